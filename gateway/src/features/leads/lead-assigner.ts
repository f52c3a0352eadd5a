import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import type { PgCustomerLeadStore } from './customer-lead-store.js';

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
