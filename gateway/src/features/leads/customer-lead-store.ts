import type { DbOrTrx } from '../../adapters/db/knex.js';

/** How a lead began. Calls today; forms, callbacks, emails and chats join leads by the same contact and window. */
export type InquiryKind = 'call' | 'form' | 'callback' | 'email' | 'chat';
export type LeadStatus = 'open' | 'won' | 'lost';

/**
 * One customer's inquiry, however many calls it took: the unit CRMs get one record for and reports count as a lead.
 * Its attribution (channel, session) is the first inquiry's. `status` won makes it a deal; `amount` is its revenue
 * in the site's currency.
 */
export interface CustomerLead {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string | null;
  /** E.164 caller number for calls. */
  readonly contact: string;
  readonly kind: InquiryKind;
  readonly firstInquiryId: string;
  readonly startedAt: Date;
  readonly lastInquiryAt: Date;
  readonly inquiries: number;
  readonly channelId: string | null;
  readonly sessionId: string | null;
  readonly visitorId: string | null;
  readonly status: LeadStatus;
  readonly amount: number | null;
  readonly currency: string | null;
  readonly statusChangedAt: Date | null;
}

export type NewCustomerLead = Pick<
  CustomerLead,
  'id' | 'accountId' | 'siteId' | 'contact' | 'kind' | 'firstInquiryId' | 'startedAt' | 'channelId' | 'sessionId' | 'visitorId'
>;

const TABLE = 'leads';
const COLUMNS = [
  'id',
  'account_id',
  'site_id',
  'contact',
  'kind',
  'first_inquiry_id',
  'started_at',
  'last_inquiry_at',
  'inquiries',
  'channel_id',
  'session_id',
  'visitor_id',
  'status',
  'amount',
  'currency',
  'status_changed_at',
] as const;

interface LeadRow {
  id: string;
  account_id: string;
  site_id: string | null;
  contact: string;
  kind: InquiryKind;
  first_inquiry_id: string;
  started_at: Date;
  last_inquiry_at: Date;
  inquiries: number;
  channel_id: string | null;
  session_id: string | null;
  visitor_id: string | null;
  status: LeadStatus;
  amount: string | number | null;
  currency: string | null;
  status_changed_at: Date | null;
}

const toDomain = (r: LeadRow): CustomerLead => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  contact: r.contact,
  kind: r.kind,
  firstInquiryId: r.first_inquiry_id,
  startedAt: new Date(r.started_at),
  lastInquiryAt: new Date(r.last_inquiry_at),
  inquiries: Number(r.inquiries),
  channelId: r.channel_id,
  sessionId: r.session_id,
  visitorId: r.visitor_id,
  status: r.status,
  amount: r.amount === null ? null : Number(r.amount),
  currency: r.currency,
  statusChangedAt: r.status_changed_at ? new Date(r.status_changed_at) : null,
});

/** The `leads` table: one row per customer lead. */
/** A new lead's row: its first inquiry is the only one so far. */
function toRow(l: NewCustomerLead): Record<string, unknown> {
  return {
    id: l.id,
    account_id: l.accountId,
    site_id: l.siteId,
    contact: l.contact,
    kind: l.kind,
    first_inquiry_id: l.firstInquiryId,
    started_at: l.startedAt,
    last_inquiry_at: l.startedAt,
    inquiries: 1,
    channel_id: l.channelId,
    session_id: l.sessionId,
    visitor_id: l.visitorId,
  };
}

export class PgCustomerLeadStore {
  async get(db: DbOrTrx, accountId: string, id: string): Promise<CustomerLead | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as LeadRow | undefined;
    return row ? toDomain(row) : null;
  }

  /** The contact's latest lead on the site that started in (since, at]: the one a new inquiry at `at` joins. */
  async findJoinable(db: DbOrTrx, accountId: string, siteId: string, contact: string, since: Date, at: Date): Promise<CustomerLead | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, site_id: siteId, contact })
      .where('started_at', '>', since)
      .where('started_at', '<=', at)
      .orderBy('started_at', 'desc')
      .first()) as LeadRow | undefined;
    return row ? toDomain(row) : null;
  }

  async create(db: DbOrTrx, l: NewCustomerLead): Promise<CustomerLead> {
    const [row] = (await db(TABLE).insert(toRow(l)).returning(COLUMNS)) as LeadRow[];
    return toDomain(row!);
  }

  /** New leads in one statement (the calls of a batch that started one). */
  async createMany(db: DbOrTrx, ls: readonly NewCustomerLead[]): Promise<void> {
    if (!ls.length) return;
    await db(TABLE).insert(ls.map(toRow));
  }

  /** `addInquiry` for many inquiries in one statement: per lead, how many joined and the latest one's time. */
  async addInquiries(db: DbOrTrx, accountId: string, joined: readonly { id: string; at: Date }[]): Promise<void> {
    if (!joined.length) return;
    const per = new Map<string, { n: number; at: Date }>();
    for (const j of joined) {
      const p = per.get(j.id);
      per.set(j.id, { n: (p?.n ?? 0) + 1, at: p && p.at > j.at ? p.at : j.at });
    }
    await db.raw(
      `UPDATE ${TABLE} l SET inquiries = l.inquiries + v.n, last_inquiry_at = GREATEST(l.last_inquiry_at, v.at), updated_at = now()
         FROM jsonb_to_recordset(?::jsonb) AS v(id text, n int, at timestamptz) WHERE l.account_id = ? AND l.id = v.id`,
      [JSON.stringify([...per].map(([id, p]) => ({ id, n: p.n, at: p.at }))), accountId],
    );
  }

  /** A repeat inquiry joined the lead. */
  async addInquiry(db: DbOrTrx, accountId: string, id: string, at: Date): Promise<void> {
    await db(TABLE)
      .where({ account_id: accountId, id })
      .update({ inquiries: db.raw('inquiries + 1'), last_inquiry_at: db.raw('GREATEST(last_inquiry_at, ?)', [at]), updated_at: db.fn.now() });
  }

  /** The first inquiry was re-attributed: the lead follows it. */
  async setAttribution(
    db: DbOrTrx,
    accountId: string,
    id: string,
    a: { channelId: string | null; sessionId: string | null; visitorId: string | null },
  ): Promise<void> {
    await db(TABLE)
      .where({ account_id: accountId, id })
      .update({ channel_id: a.channelId, session_id: a.sessionId, visitor_id: a.visitorId, updated_at: db.fn.now() });
  }

  /** The CRM's verdict: won (a deal, with its amount), lost, or open again. */
  async setOutcome(
    db: DbOrTrx,
    accountId: string,
    id: string,
    o: { status: LeadStatus; amount: number | null; currency: string | null; at: Date },
  ): Promise<CustomerLead | null> {
    const [row] = (await db(TABLE)
      .where({ account_id: accountId, id })
      .update({
        status: o.status,
        amount: o.amount,
        currency: o.currency,
        status_changed_at: db.raw('CASE WHEN status = ? THEN status_changed_at ELSE ? END', [o.status, o.at]),
        updated_at: db.fn.now(),
      })
      .returning(COLUMNS)) as LeadRow[];
    return row ? toDomain(row) : null;
  }
}
