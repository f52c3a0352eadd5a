import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { Attribution } from '../attribution/attribution-types.js';
import type { AnsweredBy, CallOutcome, CallProvider } from './call-events.js';
import type { Call, CallListFilter, CallPatch, CallStatus, NewCall } from './call-types.js';

const TABLE = 'calls';
const COLUMNS = [
  'id',
  'account_id',
  'site_id',
  'provider',
  'provider_call_id',
  'tracking_number_id',
  'tracking_e164',
  'caller',
  'forward_to',
  'status',
  'outcome',
  'answered_by',
  'started_at',
  'answered_at',
  'ended_at',
  'ring_seconds',
  'talk_seconds',
  'talk_reported',
  'session_id',
  'visitor_id',
  'channel_id',
  'attribution',
  'first_time_caller',
  'blocked',
  'lead_id',
  'created_at',
  'updated_at',
] as const;

interface CallRow {
  id: string;
  account_id: string;
  site_id: string | null;
  provider: CallProvider;
  provider_call_id: string;
  tracking_number_id: string | null;
  tracking_e164: string;
  caller: string;
  forward_to: string | null;
  status: CallStatus;
  outcome: CallOutcome | null;
  answered_by: AnsweredBy | null;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  ring_seconds: number | null;
  talk_seconds: number | null;
  talk_reported: boolean;
  session_id: string | null;
  visitor_id: string | null;
  channel_id: string | null;
  attribution: Attribution | Record<string, never>;
  first_time_caller: boolean | null;
  blocked: boolean;
  lead_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: CallRow): Call => ({
  id: r.id,
  accountId: r.account_id,
  siteId: r.site_id,
  provider: r.provider,
  providerCallId: r.provider_call_id,
  trackingNumberId: r.tracking_number_id,
  trackingE164: r.tracking_e164,
  caller: r.caller,
  forwardTo: r.forward_to,
  status: r.status,
  outcome: r.outcome,
  answeredBy: r.answered_by,
  startedAt: r.started_at,
  answeredAt: r.answered_at,
  endedAt: r.ended_at,
  ringSeconds: r.ring_seconds,
  talkSeconds: r.talk_seconds,
  talkReported: r.talk_reported,
  sessionId: r.session_id,
  visitorId: r.visitor_id,
  channelId: r.channel_id,
  attribution: r.attribution && 'method' in r.attribution ? (r.attribution as Attribution) : null,
  firstTimeCaller: r.first_time_caller,
  blocked: r.blocked,
  leadId: r.lead_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class PgCallStore {
  /** Creates the call unless the provider's call id already has one; null when it existed. */
  async createIfAbsent(db: DbOrTrx, c: NewCall): Promise<Call | null> {
    return (await this.createManyIfAbsent(db, [c]))[0] ?? null;
  }

  /** Creates the calls in one statement, each unless its provider call id has one; returns the ones created. */
  async createManyIfAbsent(db: DbOrTrx, cs: readonly NewCall[]): Promise<Call[]> {
    if (!cs.length) return [];
    const rows = (await db(TABLE)
      .insert(
        cs.map((c) => ({
          id: c.id,
          account_id: c.accountId,
          site_id: c.siteId,
          provider: c.provider,
          provider_call_id: c.providerCallId,
          tracking_number_id: c.trackingNumberId,
          tracking_e164: c.trackingE164,
          caller: c.caller,
          forward_to: c.forwardTo,
          started_at: c.startedAt,
          session_id: c.sessionId,
          visitor_id: c.visitorId,
          channel_id: c.channelId,
          attribution: JSON.stringify(c.attribution ?? {}),
          first_time_caller: c.firstTimeCaller,
          blocked: c.blocked,
          lead_id: c.leadId ?? null,
        })),
      )
      .onConflict(['provider', 'provider_call_id'])
      .ignore()
      .returning(COLUMNS)) as CallRow[];
    return rows.map(toDomain);
  }

  /** Which of these provider call ids have a call already. */
  async existingProviderIds(db: DbOrTrx, provider: CallProvider, providerCallIds: readonly string[]): Promise<Set<string>> {
    if (!providerCallIds.length) return new Set();
    const rows = (await db(TABLE)
      .select('provider_call_id')
      .where('provider', provider)
      .whereIn('provider_call_id', [...providerCallIds])) as { provider_call_id: string }[];
    return new Set(rows.map((r) => r.provider_call_id));
  }

  /** Calls of any account still ringing or in progress that started before `before`, oldest first: reconciliation. */
  async listUnfinishedBefore(db: DbOrTrx, before: Date, limit: number): Promise<Call[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .whereIn('status', ['ringing', 'answered'])
      .where('started_at', '<', before)
      .orderBy('started_at')
      .limit(limit)) as CallRow[];
    return rows.map(toDomain);
  }

  /** The call with a row lock, for a read-modify-write inside a transaction. */
  async getByProviderIdForUpdate(db: DbOrTrx, provider: CallProvider, providerCallId: string): Promise<Call | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ provider, provider_call_id: providerCallId })
      .forUpdate()
      .first()) as CallRow | undefined;
    return row ? toDomain(row) : null;
  }

  /** `getByProviderIdForUpdate` for many calls in one statement (the calls of a batch's events); absent ones are not returned. */
  async getManyByProviderIdForUpdate(db: DbOrTrx, keys: readonly { provider: CallProvider; providerCallId: string }[]): Promise<Call[]> {
    if (!keys.length) return [];
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .whereIn(
        ['provider', 'provider_call_id'],
        keys.map((k) => [k.provider, k.providerCallId]),
      )
      .forUpdate()) as CallRow[];
    return rows.map(toDomain);
  }

  /**
   * Stores the progress columns (status, outcome, answer, end, durations) of calls read with a row lock and
   * changed in memory, in one statement: the calls as `update` with each event's patch in turn leaves them.
   */
  async saveProgress(db: DbOrTrx, cs: readonly Call[]): Promise<Call[]> {
    if (!cs.length) return [];
    const result = (await db.raw(
      `UPDATE ${TABLE} c SET status = v.status, outcome = v.outcome, answered_by = v.answered_by, answered_at = v.answered_at,
         ended_at = v.ended_at, ring_seconds = v.ring_seconds, talk_seconds = v.talk_seconds, talk_reported = v.talk_reported,
         updated_at = CURRENT_TIMESTAMP
       FROM jsonb_to_recordset(?::jsonb) AS v(account_id text, id text, status text, outcome text, answered_by text,
         answered_at timestamptz, ended_at timestamptz, ring_seconds int, talk_seconds int, talk_reported boolean)
       WHERE c.account_id = v.account_id AND c.id = v.id
       RETURNING ${COLUMNS.map((col) => `c.${col}`).join(', ')}`,
      [
        JSON.stringify(
          cs.map((c) => ({
            account_id: c.accountId,
            id: c.id,
            status: c.status,
            outcome: c.outcome,
            answered_by: c.answeredBy,
            answered_at: c.answeredAt,
            ended_at: c.endedAt,
            ring_seconds: c.ringSeconds,
            talk_seconds: c.talkSeconds,
            talk_reported: c.talkReported,
          })),
        ),
      ],
    )) as { rows: CallRow[] };
    return result.rows.map(toDomain);
  }

  async get(db: DbOrTrx, accountId: string, id: string): Promise<Call | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as CallRow | undefined;
    return row ? toDomain(row) : null;
  }

  async getMany(db: DbOrTrx, accountId: string, ids: readonly string[]): Promise<Call[]> {
    if (!ids.length) return [];
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId })
      .whereIn('id', [...ids])) as CallRow[];
    return rows.map(toDomain);
  }

  async getForUpdate(db: DbOrTrx, accountId: string, id: string): Promise<Call | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .forUpdate()
      .first()) as CallRow | undefined;
    return row ? toDomain(row) : null;
  }

  async update(db: DbOrTrx, accountId: string, id: string, p: CallPatch): Promise<Call> {
    const changes: Record<string, unknown> = { updated_at: db.fn.now() };
    if (p.status !== undefined) changes.status = p.status;
    if (p.outcome !== undefined) changes.outcome = p.outcome;
    if (p.answeredBy !== undefined) changes.answered_by = p.answeredBy;
    if (p.answeredAt !== undefined) changes.answered_at = p.answeredAt;
    if (p.endedAt !== undefined) changes.ended_at = p.endedAt;
    if (p.ringSeconds !== undefined) changes.ring_seconds = p.ringSeconds;
    if (p.talkSeconds !== undefined) changes.talk_seconds = p.talkSeconds;
    if (p.talkReported !== undefined) changes.talk_reported = p.talkReported;
    if (p.sessionId !== undefined) changes.session_id = p.sessionId;
    if (p.visitorId !== undefined) changes.visitor_id = p.visitorId;
    if (p.channelId !== undefined) changes.channel_id = p.channelId;
    if (p.attribution !== undefined) changes.attribution = JSON.stringify(p.attribution ?? {});
    const [row] = (await db(TABLE).where({ account_id: accountId, id }).update(changes).returning(COLUMNS)) as CallRow[];
    return toDomain(row!);
  }

  /**
   * Has this caller called this site before `before`, within the site's first-time window
   * (settings.firstTimeWindowDays; absent or null = ever)?
   */
  async hasCalledBefore(db: DbOrTrx, accountId: string, siteId: string, caller: string, before: Date): Promise<boolean> {
    return (await this.calledBeforeMany(db, [{ accountId, siteId, caller, before }]))[0]!.calledBefore;
  }

  /**
   * `hasCalledBefore` for many callers in one statement, with each site's window in days (null = ever) so that a
   * batch can count its own earlier calls the same way.
   */
  async calledBeforeMany(
    db: DbOrTrx,
    items: readonly { accountId: string; siteId: string; caller: string; before: Date }[],
  ): Promise<{ calledBefore: boolean; windowDays: number | null }[]> {
    if (!items.length) return [];
    const result = (await db.raw(
      `SELECT q.i, w.days, EXISTS (
         SELECT 1 FROM ${TABLE} c
          WHERE c.account_id = q.account_id AND c.site_id = q.site_id AND c.caller = q.caller AND c.started_at < q.before
            AND c.started_at >= COALESCE(q.before - make_interval(days => w.days), '-infinity'::timestamptz)) AS called
       FROM jsonb_to_recordset(?::jsonb) AS q(i int, account_id text, site_id text, caller text, before timestamptz)
       CROSS JOIN LATERAL (SELECT (SELECT (s.settings->>'firstTimeWindowDays')::int FROM sites s WHERE s.id = q.site_id) AS days) w`,
      [JSON.stringify(items.map((it, i) => ({ i, account_id: it.accountId, site_id: it.siteId, caller: it.caller, before: it.before })))],
    )) as { rows: { i: number; days: number | null; called: boolean }[] };
    const out = items.map(() => ({ calledBefore: false, windowDays: null as number | null }));
    for (const r of result.rows) out[r.i] = { calledBefore: r.called, windowDays: r.days };
    return out;
  }

  async list(db: DbOrTrx, accountId: string, f: CallListFilter): Promise<Call[]> {
    const q = db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId });
    if (f.from) q.where('started_at', '>=', f.from);
    if (f.to) q.where('started_at', '<', f.to);
    if (f.siteId) q.where('site_id', f.siteId);
    if (f.channelId) q.where('channel_id', f.channelId);
    if (f.outcome) q.where('outcome', f.outcome);
    if (f.caller) q.where('caller', f.caller);
    if (f.status) q.where('status', f.status);
    if (f.firstTime !== undefined) q.where('first_time_caller', f.firstTime);
    if (f.campaign) q.whereIn('session_id', db('web_sessions').select('id').where({ account_id: accountId, utm_campaign: f.campaign }));
    if (f.tag)
      q.whereIn(
        'id',
        db('call_notes')
          .select('call_id')
          .where({ account_id: accountId })
          .whereRaw('tags @> ?::jsonb', [JSON.stringify([f.tag])]),
      );
    if (f.callerContains) q.whereLike('caller', `%${f.callerContains}%`);
    if (f.leadId) q.where('lead_id', f.leadId);
    if (f.before) {
      const b = f.before;
      q.where((w) => w.where('started_at', '<', b.startedAt).orWhere((x) => x.where('started_at', '=', b.startedAt).andWhere('id', '<', b.id)));
    }
    const rows = (await q
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(f.limit)) as CallRow[];
    return rows.map(toDomain);
  }
}
