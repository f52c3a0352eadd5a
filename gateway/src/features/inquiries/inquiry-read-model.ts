import type { Knex } from 'knex';
import type { DbOrTrx } from '../../adapters/db/knex.js';
import { ORIGIN_COLUMNS, callOrigin } from '../calls/call-origin.js';
import type { CallOrigin, OriginRow } from '../calls/call-origin.js';
import type { LeadAttribution } from '../leads/lead-types.js';
import { INQUIRY_COLUMNS, inquiryFromRow } from './inquiry-store.js';
import type { InquiryRow } from './inquiry-store.js';
import { cursorTimeSql } from './inquiry-cursor.js';
import type { InquiryCursor } from './inquiry-cursor.js';
import type { AnyInquiryKind, Inquiry } from './inquiry-types.js';

/** An inquiry as a CRM sink sees it: the inquiry, its customer lead, where the visitor came from. */
export interface InquiryLead {
  readonly inquiry: Inquiry;
  readonly lead: { readonly id: string; readonly firstInquiryId: string; readonly repeat: boolean; readonly inquiries: number } | null;
  readonly attribution: LeadAttribution;
  readonly session: { readonly id: string; readonly clientIds: Readonly<Record<string, string>> } | null;
  readonly siteName: string | null;
  /** The site's language for CRM texts. */
  readonly locale: string | null;
}

/** One row of the inquiries list: calls and the other kinds in one shape. */
export interface InquiryListItem {
  readonly id: string;
  readonly kind: AnyInquiryKind;
  readonly siteId: string | null;
  readonly at: Date;
  /** `at` at the database's precision (microseconds, UTC): the page cursor's time. */
  readonly cursorAt: string;
  readonly status: string;
  readonly phone: string | null;
  readonly email: string | null;
  readonly name: string | null;
  readonly subject: string | null;
  readonly message: string | null;
  readonly leadId: string | null;
  readonly sessionId: string | null;
  readonly callId: string | null;
  readonly origin: CallOrigin;
  /** Calls: outcome and duration; a callback request shows the placed call's. */
  readonly outcome: string | null;
  readonly durationSeconds: number | null;
}

export interface InquiryListFilter {
  readonly accountId: string;
  readonly kinds?: readonly AnyInquiryKind[] | undefined;
  readonly siteId?: string | undefined;
  readonly leadId?: string | undefined;
  readonly from?: Date | undefined;
  /** Exclusive: older than a time, or after a page's last item in the list's (time, id) order. */
  readonly before?: InquiryCursor | undefined;
  readonly limit: number;
}

const strings = (o: Record<string, unknown> | null): Record<string, string> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;

type Joined = InquiryRow &
  OriginRow & {
    referrer: string | null;
    click_ids: Record<string, unknown> | null;
    client_ids: Record<string, unknown> | null;
    s_id: string | null;
    l_first: string | null;
    l_inquiries: number | null;
    site_name: string | null;
    site_locale: string | null;
  };

export class InquiryReadModel {
  async get(db: DbOrTrx, accountId: string, id: string): Promise<InquiryLead | null> {
    const row = (await db('inquiries as c')
      .leftJoin('web_sessions as s', function () {
        this.on('s.id', 'c.session_id').andOn('s.account_id', 'c.account_id');
      })
      .leftJoin('channels as ch', 'ch.id', db.raw('COALESCE(c.channel_id, s.channel_id)'))
      .leftJoin('leads as l', 'l.id', 'c.lead_id')
      .leftJoin('sites as site', 'site.id', 'c.site_id')
      .select(
        ...INQUIRY_COLUMNS.filter((k) => k !== 'channel_id').map((k) => `c.${k}`),
        db.raw('COALESCE(c.channel_id, s.channel_id) as channel_id'),
        ...ORIGIN_COLUMNS.filter((k) => k !== 'c.channel_id'),
        's.id as s_id',
        's.referrer',
        's.click_ids',
        's.client_ids',
        'l.first_inquiry_id as l_first',
        'l.inquiries as l_inquiries',
        'site.name as site_name',
        db.raw("site.settings->>'locale' as site_locale"),
      )
      .where({ 'c.account_id': accountId, 'c.id': id })
      .first()) as Joined | undefined;
    if (!row) return null;
    const inquiry = inquiryFromRow(row);
    const o = callOrigin(row);
    return {
      inquiry,
      lead: row.lead_id
        ? {
            id: row.lead_id,
            firstInquiryId: row.l_first ?? row.id,
            repeat: row.l_first !== null && row.l_first !== row.id,
            inquiries: Number(row.l_inquiries ?? 1),
          }
        : null,
      attribution: {
        source: o.source,
        medium: o.medium,
        campaign: o.campaign,
        keyword: o.keyword,
        content: o.content,
        landingPage: o.landingPage,
        referrer: row.referrer,
        channel: o.channel?.kind ?? null,
        channelName: o.channel?.name ?? null,
        clickIds: strings(row.click_ids),
      },
      session: row.s_id ? { id: row.s_id, clientIds: strings(row.client_ids) } : null,
      siteName: row.site_name,
      locale: row.site_locale,
    };
  }

  /** Newest first; calls (inbound) and the other kinds merged by time. */
  async list(db: DbOrTrx, f: InquiryListFilter): Promise<InquiryListItem[]> {
    const kinds = f.kinds?.length ? f.kinds : (['call', 'form', 'callback', 'email'] as const);
    const others = kinds.filter((k) => k !== 'call');
    const [calls, rest] = await Promise.all([kinds.includes('call') ? this.calls(db, f) : [], others.length ? this.others(db, f, others) : []]);
    // The SQL order: time at microseconds, then id by code point (COLLATE "C"), both descending.
    return [...calls, ...rest]
      .sort((a, b) => (a.cursorAt === b.cursorAt ? (a.id < b.id ? 1 : -1) : a.cursorAt < b.cursorAt ? 1 : -1))
      .slice(0, f.limit);
  }

  /** Keyset paging on (time, id): rows sharing the last item's timestamp are not skipped. */
  private page(q: Knex.QueryBuilder, column: string, before: InquiryCursor | undefined): void {
    if (!before) return;
    if (before.kind === 'time') q.andWhere(column, '<', before.before);
    else q.andWhereRaw(`(${column}, c.id COLLATE "C") < (?::timestamptz, ? COLLATE "C")`, [before.at, before.id]);
  }

  private async calls(db: DbOrTrx, f: InquiryListFilter): Promise<InquiryListItem[]> {
    const q = db('calls as c')
      .leftJoin('web_sessions as s', function () {
        this.on('s.id', 'c.session_id').andOn('s.account_id', 'c.account_id');
      })
      .leftJoin('channels as ch', 'ch.id', 'c.channel_id')
      .select(
        'c.id',
        'c.site_id',
        'c.started_at',
        'c.status',
        'c.outcome',
        'c.caller',
        'c.lead_id',
        'c.session_id',
        'c.ring_seconds',
        'c.talk_seconds',
        db.raw(`${cursorTimeSql('c.started_at')} as cursor_at`),
        ...ORIGIN_COLUMNS,
      )
      .where({ 'c.account_id': f.accountId, 'c.direction': 'inbound', 'c.blocked': false })
      .orderBy('c.started_at', 'desc')
      .orderByRaw('c.id COLLATE "C" DESC')
      .limit(f.limit);
    if (f.siteId) q.andWhere('c.site_id', f.siteId);
    if (f.leadId) q.andWhere('c.lead_id', f.leadId);
    if (f.from) q.andWhere('c.started_at', '>=', f.from);
    this.page(q, 'c.started_at', f.before);
    const rows = (await q) as (OriginRow & {
      id: string;
      site_id: string | null;
      started_at: Date;
      status: string;
      outcome: string | null;
      caller: string;
      lead_id: string | null;
      session_id: string | null;
      ring_seconds: number | null;
      talk_seconds: number | null;
      cursor_at: string;
    })[];
    return rows.map((r) => ({
      id: r.id,
      kind: 'call',
      siteId: r.site_id,
      at: new Date(r.started_at),
      cursorAt: r.cursor_at,
      status: r.status,
      phone: r.caller === 'anonymous' ? null : r.caller,
      email: null,
      name: null,
      subject: null,
      message: null,
      leadId: r.lead_id,
      sessionId: r.session_id,
      callId: r.id,
      origin: callOrigin(r),
      outcome: r.outcome,
      durationSeconds: r.status === 'ended' ? (r.ring_seconds ?? 0) + (r.talk_seconds ?? 0) : null,
    }));
  }

  private async others(db: DbOrTrx, f: InquiryListFilter, kinds: readonly AnyInquiryKind[]): Promise<InquiryListItem[]> {
    const q = db('inquiries as c')
      .leftJoin('web_sessions as s', function () {
        this.on('s.id', 'c.session_id').andOn('s.account_id', 'c.account_id');
      })
      .leftJoin('channels as ch', 'ch.id', db.raw('COALESCE(c.channel_id, s.channel_id)'))
      .leftJoin('calls as pc', 'pc.id', 'c.call_id')
      .select(
        ...INQUIRY_COLUMNS.filter((k) => k !== 'channel_id').map((k) => `c.${k}`),
        db.raw('COALESCE(c.channel_id, s.channel_id) as channel_id'),
        ...ORIGIN_COLUMNS.filter((k) => k !== 'c.channel_id'),
        'pc.outcome as call_outcome',
        'pc.status as call_status',
        'pc.ring_seconds as call_ring',
        'pc.talk_seconds as call_talk',
        db.raw(`${cursorTimeSql('c.received_at')} as cursor_at`),
      )
      .where('c.account_id', f.accountId)
      .whereIn('c.kind', kinds)
      .orderBy('c.received_at', 'desc')
      .orderByRaw('c.id COLLATE "C" DESC')
      .limit(f.limit);
    if (f.siteId) q.andWhere('c.site_id', f.siteId);
    if (f.leadId) q.andWhere('c.lead_id', f.leadId);
    if (f.from) q.andWhere('c.received_at', '>=', f.from);
    this.page(q, 'c.received_at', f.before);
    const rows = (await q) as (InquiryRow &
      OriginRow & {
        call_outcome: string | null;
        call_status: string | null;
        call_ring: number | null;
        call_talk: number | null;
        cursor_at: string;
      })[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      siteId: r.site_id,
      at: new Date(r.received_at),
      cursorAt: r.cursor_at,
      status: r.status,
      phone: r.phone,
      email: r.email,
      name: r.name,
      subject: r.subject,
      message: r.message,
      leadId: r.lead_id,
      sessionId: r.session_id,
      callId: r.call_id,
      origin: callOrigin(r),
      outcome: r.call_outcome,
      durationSeconds: r.call_status === 'ended' ? (r.call_ring ?? 0) + (r.call_talk ?? 0) : null,
    }));
  }
}
