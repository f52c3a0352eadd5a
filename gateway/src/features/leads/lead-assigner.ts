import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import type { Call, NewCall } from '../calls/call-types.js';
import type { NewCustomerLead, PgCustomerLeadStore } from './customer-lead-store.js';

/** The lead a call belongs to, and whether the call started it. */
export interface LeadMembership {
  readonly leadId: string;
  /** The call that started the lead: its CRM records are the lead's. */
  readonly firstCallId: string;
  readonly repeat: boolean;
}

interface CallRow {
  id: string;
  account_id: string;
  site_id: string | null;
  caller: string;
  started_at: Date;
  channel_id: string | null;
  session_id: string | null;
  visitor_id: string | null;
  lead_id: string | null;
  blocked: boolean;
  lead_window_hours: string | number | null;
}

const HOUR_MS = 3_600_000;

/**
 * One lead per customer: a call starts a lead unless the same caller has a lead on the site that started within the
 * site's `leadWindowHours` before the call (strictly: a call exactly that long after starts a new one); then it joins
 * it. The window runs from the lead's start, so a caller calling every few hours still opens a new lead once a day.
 * Anonymous callers and calls without a site cannot be matched: each is a lead of its own. Blocked callers get none.
 */
export class LeadAssigner {
  constructor(private readonly deps: { leads: PgCustomerLeadStore }) {}

  /** Idempotent: a call that has its lead keeps it. Runs in the transaction that changes the call. */
  async assignCall(trx: DbOrTrx, accountId: string, callId: string): Promise<LeadMembership | null> {
    const call = await this.readCall(trx, accountId, callId);
    if (!call || call.blocked) return null;
    if (call.lead_id) return this.membership(trx, accountId, call.lead_id, call.id);
    const matchable = call.site_id !== null && call.caller !== 'anonymous';
    if (matchable) {
      // Two calls of one caller racing (or two replicas): one decides at a time, so they cannot open two leads.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`lead:${accountId}:${call.site_id}:${call.caller}`]);
      const again = await this.readCall(trx, accountId, callId);
      if (again?.lead_id) return this.membership(trx, accountId, again.lead_id, call.id);
    }
    const startedAt = new Date(call.started_at);
    const hours = call.lead_window_hours === null ? DEFAULT_SITE_SETTINGS.leadWindowHours : Number(call.lead_window_hours);
    const since = new Date(startedAt.getTime() - hours * HOUR_MS);
    const joinable = matchable && hours > 0 ? await this.deps.leads.findJoinable(trx, accountId, call.site_id!, call.caller, since, startedAt) : null;
    if (joinable) {
      await this.deps.leads.addInquiry(trx, accountId, joinable.id, startedAt);
      await trx('calls').where({ account_id: accountId, id: callId }).update({ lead_id: joinable.id });
      return { leadId: joinable.id, firstCallId: joinable.firstInquiryId, repeat: joinable.firstInquiryId !== callId };
    }
    const lead = await this.deps.leads.create(trx, {
      id: newId(),
      accountId,
      siteId: call.site_id,
      contact: call.caller,
      kind: 'call',
      firstInquiryId: call.id,
      startedAt,
      channelId: call.channel_id,
      sessionId: call.session_id,
      visitorId: call.visitor_id,
    });
    await trx('calls').where({ account_id: accountId, id: callId }).update({ lead_id: lead.id });
    return { leadId: lead.id, firstCallId: call.id, repeat: false };
  }

  /**
   * `assignCall` for calls about to be created together in this transaction, in their order, with a fixed number of
   * statements: the sites' windows, the callers' locks (sorted: two batches wait, not deadlock), their joinable
   * leads as one set query, new leads and joins as multi-row writes. A call joins a lead an earlier call of the same
   * batch started exactly as it would one by one (counted in memory). The caller stores each call's lead id with
   * its row (`leads` has no reference to `calls`, so the leads can be written first).
   */
  async assignNewCalls(trx: DbOrTrx, calls: readonly NewCall[]): Promise<Map<string, LeadMembership | null>> {
    const out = new Map<string, LeadMembership | null>();
    const todo = calls.filter((c) => {
      if (c.blocked) out.set(c.id, null);
      return !c.blocked;
    });
    if (!todo.length) return out;
    const siteIds = [...new Set(todo.flatMap((c) => (c.siteId ? [c.siteId] : [])))];
    const windows = siteIds.length
      ? ((await trx('sites').select('id', trx.raw("settings->>'leadWindowHours' as lead_window_hours")).whereIn('id', siteIds)) as {
          id: string;
          lead_window_hours: string | number | null;
        }[])
      : [];
    const hoursOf = new Map(windows.map((w) => [w.id, w.lead_window_hours] as const));
    const plan = todo.map((c) => {
      const raw = c.siteId ? (hoursOf.get(c.siteId) ?? null) : null;
      const hours = raw === null ? DEFAULT_SITE_SETTINGS.leadWindowHours : Number(raw);
      const matchable = c.siteId !== null && c.caller !== 'anonymous';
      return { c, matchable, joins: matchable && hours > 0, since: new Date(c.startedAt.getTime() - hours * HOUR_MS) };
    });
    const locks = [...new Set(plan.flatMap((p) => (p.matchable ? [`lead:${p.c.accountId}:${p.c.siteId}:${p.c.caller}`] : [])))].sort();
    if (locks.length)
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(k)) FROM (SELECT k FROM jsonb_array_elements_text(?::jsonb) AS k ORDER BY k) AS s', [
        JSON.stringify(locks),
      ]);
    const asked = plan.filter((p) => p.joins);
    const found = asked.length
      ? (
          (await trx.raw(
            `SELECT q.i, l.id, l.first_inquiry_id, l.started_at FROM jsonb_to_recordset(?::jsonb)
               AS q(i int, account_id text, site_id text, contact text, since timestamptz, at timestamptz)
             CROSS JOIN LATERAL (SELECT id, first_inquiry_id, started_at FROM leads
               WHERE account_id = q.account_id AND site_id = q.site_id AND contact = q.contact
                 AND started_at > q.since AND started_at <= q.at ORDER BY started_at DESC LIMIT 1) l`,
            [
              JSON.stringify(
                asked.map((p, i) => ({ i, account_id: p.c.accountId, site_id: p.c.siteId, contact: p.c.caller, since: p.since, at: p.c.startedAt })),
              ),
            ],
          )) as { rows: { i: number; id: string; first_inquiry_id: string; started_at: Date }[] }
        ).rows
      : [];
    const joinable = new Map(
      found.map((r) => [asked[r.i]!.c.id, { id: r.id, firstInquiryId: r.first_inquiry_id, startedAt: new Date(r.started_at) }]),
    );
    const created: (NewCustomerLead & { startedAt: Date })[] = [];
    const joined = new Map<string, { id: string; at: Date }[]>();
    for (const p of plan) {
      const { c } = p;
      let join = p.joins ? (joinable.get(c.id) ?? null) : null;
      if (p.joins)
        for (const l of created)
          if (l.accountId === c.accountId && l.siteId === c.siteId && l.contact === c.caller && l.startedAt > p.since && l.startedAt <= c.startedAt)
            if (!join || l.startedAt > join.startedAt) join = { id: l.id, firstInquiryId: l.firstInquiryId, startedAt: l.startedAt };
      if (join) {
        joined.set(c.accountId, [...(joined.get(c.accountId) ?? []), { id: join.id, at: c.startedAt }]);
        out.set(c.id, { leadId: join.id, firstCallId: join.firstInquiryId, repeat: join.firstInquiryId !== c.id });
        continue;
      }
      const lead = {
        id: newId(),
        accountId: c.accountId,
        siteId: c.siteId,
        contact: c.caller,
        kind: 'call' as const,
        firstInquiryId: c.id,
        startedAt: c.startedAt,
        channelId: c.channelId,
        sessionId: c.sessionId,
        visitorId: c.visitorId,
      };
      created.push(lead);
      out.set(c.id, { leadId: lead.id, firstCallId: c.id, repeat: false });
    }
    await this.deps.leads.createMany(trx, created);
    for (const [accountId, list] of joined) await this.deps.leads.addInquiries(trx, accountId, list);
    return out;
  }

  /**
   * What `assignCall` answers for calls that have their lead already (or are blocked), in one statement; calls
   * without a lead are left out (they get one from `assignCall`).
   */
  async memberships(
    trx: DbOrTrx,
    calls: readonly Pick<Call, 'id' | 'accountId' | 'blocked' | 'leadId'>[],
  ): Promise<Map<string, LeadMembership | null>> {
    const out = new Map<string, LeadMembership | null>();
    for (const c of calls) if (c.blocked) out.set(c.id, null);
    const withLead = calls.filter((c) => !c.blocked && c.leadId);
    if (!withLead.length) return out;
    const rows = (await trx('leads')
      .select('account_id', 'id', 'first_inquiry_id')
      .whereIn(
        ['account_id', 'id'],
        [...new Set(withLead.map((c) => `${c.accountId}\n${c.leadId}`))].map((k) => k.split('\n')),
      )) as { account_id: string; id: string; first_inquiry_id: string }[];
    const first = new Map(rows.map((r) => [`${r.account_id}\n${r.id}`, r.first_inquiry_id] as const));
    for (const c of withLead) {
      const f = first.get(`${c.accountId}\n${c.leadId}`);
      // A lead gone (deleted): `membership` answers null for it too.
      out.set(c.id, f === undefined ? null : { leadId: c.leadId!, firstCallId: f, repeat: f !== c.id });
    }
    return out;
  }

  /** A manager re-attributed a call: if it started its lead, the lead's source moves with it. */
  async followAttribution(trx: DbOrTrx, accountId: string, callId: string): Promise<void> {
    const call = await this.readCall(trx, accountId, callId);
    if (!call?.lead_id) return;
    const lead = await this.deps.leads.get(trx, accountId, call.lead_id);
    if (lead?.firstInquiryId !== callId) return;
    await this.deps.leads.setAttribution(trx, accountId, lead.id, {
      channelId: call.channel_id,
      sessionId: call.session_id,
      visitorId: call.visitor_id,
    });
  }

  private async membership(trx: DbOrTrx, accountId: string, leadId: string, callId: string): Promise<LeadMembership | null> {
    const lead = await this.deps.leads.get(trx, accountId, leadId);
    if (!lead) return null;
    return { leadId, firstCallId: lead.firstInquiryId, repeat: lead.firstInquiryId !== callId };
  }

  private async readCall(trx: DbOrTrx, accountId: string, callId: string): Promise<CallRow | null> {
    const row = (await trx('calls as c')
      .leftJoin('sites as s', 's.id', 'c.site_id')
      .select(
        'c.id',
        'c.account_id',
        'c.site_id',
        'c.caller',
        'c.started_at',
        'c.channel_id',
        'c.session_id',
        'c.visitor_id',
        'c.lead_id',
        'c.blocked',
        trx.raw("s.settings->>'leadWindowHours' as lead_window_hours"),
      )
      .where({ 'c.account_id': accountId, 'c.id': callId })
      .first()) as CallRow | undefined;
    return row ?? null;
  }
}
