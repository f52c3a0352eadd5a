import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { CallbackOutcome, Inquiry, InquiryKind, InquiryOrigin, InquiryStatus, NewInquiry } from './inquiry-types.js';

const TABLE = 'inquiries';
export const INQUIRY_COLUMNS = [
  'id',
  'account_id',
  'site_id',
  'kind',
  'origin',
  'external_key',
  'phone',
  'email',
  'name',
  'subject',
  'message',
  'fields',
  'page_url',
  'session_id',
  'visitor_id',
  'channel_id',
  'lead_id',
  'status',
  'call_id',
  'due_at',
  'alias',
  'forwarded_at',
  'received_at',
  'callback_outcome',
] as const;

export interface InquiryRow {
  id: string;
  account_id: string;
  site_id: string | null;
  kind: InquiryKind;
  origin: InquiryOrigin;
  external_key: string | null;
  phone: string | null;
  email: string | null;
  name: string | null;
  subject: string | null;
  message: string | null;
  fields: Record<string, string> | null;
  page_url: string | null;
  session_id: string | null;
  visitor_id: string | null;
  channel_id: string | null;
  lead_id: string | null;
  status: InquiryStatus;
  call_id: string | null;
  due_at: Date | null;
  alias: string | null;
  forwarded_at: Date | null;
  received_at: Date;
  callback_outcome?: CallbackOutcome | null;
}

const d = (v: Date | null): Date | null => (v ? new Date(v) : null);

export const inquiryFromRow = (r: InquiryRow): Inquiry => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  kind: r.kind,
  origin: r.origin,
  externalKey: r.external_key,
  phone: r.phone,
  email: r.email,
  name: r.name,
  subject: r.subject,
  message: r.message,
  fields: r.fields ?? {},
  pageUrl: r.page_url,
  sessionId: r.session_id,
  visitorId: r.visitor_id,
  channelId: r.channel_id,
  leadId: r.lead_id,
  status: r.status,
  callId: r.call_id,
  dueAt: d(r.due_at),
  alias: r.alias,
  forwardedAt: d(r.forwarded_at),
  receivedAt: new Date(r.received_at),
  callbackOutcome: r.callback_outcome ?? null,
});

/** The `inquiries` table. */
export class PgInquiryStore {
  async get(db: DbOrTrx, accountId: string, id: string): Promise<Inquiry | null> {
    const row = (await db(TABLE)
      .select(...INQUIRY_COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as InquiryRow | undefined;
    return row ? inquiryFromRow(row) : null;
  }

  /** Inserts, or returns the inquiry that already has this external key (a resubmission): `created` tells which. */
  async insert(db: DbOrTrx, i: NewInquiry): Promise<{ inquiry: Inquiry; created: boolean }> {
    const row = {
      id: i.id,
      account_id: i.accountId,
      site_id: i.siteId,
      kind: i.kind,
      origin: i.origin,
      external_key: i.externalKey,
      phone: i.phone,
      email: i.email,
      name: i.name,
      subject: i.subject,
      message: i.message,
      fields: JSON.stringify(i.fields),
      page_url: i.pageUrl,
      session_id: i.sessionId,
      visitor_id: i.visitorId,
      channel_id: i.channelId,
      status: i.status ?? 'received',
      due_at: i.dueAt ?? null,
      alias: i.alias,
      received_at: i.receivedAt,
    };
    const inserted = (await db(TABLE)
      .insert(row)
      .onConflict(db.raw('(account_id, site_id, kind, external_key) WHERE external_key IS NOT NULL'))
      .ignore()
      .returning(INQUIRY_COLUMNS)) as InquiryRow[];
    if (inserted[0]) return { inquiry: inquiryFromRow(inserted[0]), created: true };
    const existing = (await db(TABLE)
      .select(...INQUIRY_COLUMNS)
      .where({ account_id: i.accountId, site_id: i.siteId, kind: i.kind, external_key: i.externalKey })
      .first()) as InquiryRow;
    return { inquiry: inquiryFromRow(existing), created: false };
  }

  async setLead(db: DbOrTrx, accountId: string, id: string, leadId: string): Promise<void> {
    await db(TABLE).where({ account_id: accountId, id }).update({ lead_id: leadId, updated_at: db.fn.now() });
  }

  async update(
    db: DbOrTrx,
    accountId: string,
    id: string,
    p: { status?: InquiryStatus; callId?: string | null; dueAt?: Date | null; forwardedAt?: Date; callbackOutcome?: CallbackOutcome },
  ): Promise<void> {
    await db(TABLE)
      .where({ account_id: accountId, id })
      .update({
        ...(p.status ? { status: p.status } : {}),
        ...(p.callId !== undefined ? { call_id: p.callId } : {}),
        ...(p.dueAt !== undefined ? { due_at: p.dueAt } : {}),
        ...(p.forwardedAt ? { forwarded_at: p.forwardedAt } : {}),
        ...(p.callbackOutcome ? { callback_outcome: p.callbackOutcome } : {}),
        updated_at: db.fn.now(),
      });
  }

  /** Spam limits: inquiries of the site since `since`, and of one phone or email address. */
  async countSince(db: DbOrTrx, siteId: string, since: Date, contact?: { phone: string | null; email: string | null }): Promise<number> {
    const q = db(TABLE).where({ site_id: siteId }).where('received_at', '>=', since);
    if (contact) {
      if (!contact.phone && !contact.email) return 0;
      q.andWhere((w) => {
        if (contact.phone) w.orWhere('phone', contact.phone);
        if (contact.email) w.orWhere('email', contact.email);
      });
    }
    const row = (await q.count('* as n').first()) as { n: string | number } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Callback requests whose opening has come. */
  async dueCallbacks(db: DbOrTrx, now: Date, limit: number): Promise<Inquiry[]> {
    const rows = (await db(TABLE)
      .select(...INQUIRY_COLUMNS)
      .where({ kind: 'callback', status: 'queued' })
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(limit)) as InquiryRow[];
    return rows.map(inquiryFromRow);
  }
}
