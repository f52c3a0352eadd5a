import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { CallChange, CallChangeHook } from '../calls/call-change-hook.js';
import type { PgCrmSinkStore } from '../crm-sinks/crm-sink-store.js';
import type { CrmSink } from '../crm-sinks/crm-sink-types.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';
import type { Call, NewCall } from '../calls/call-types.js';
import type { LeadAssigner, LeadMembership } from './lead-assigner.js';

export const LEAD_TOPIC = 'crm.lead';

export interface LeadOutboxPayload {
  readonly callId: string;
  /** The customer lead the call belongs to (absent on rows written before leads existed). */
  readonly leadId?: string;
  readonly trigger: CallChange['trigger'];
}

export const leadDedupeKey = (sinkId: string, callId: string, trigger: string): string => `lead:${sinkId}:${callId}:${trigger}`;

/**
 * Gives the call its customer lead, then turns the change into one outbox row per interested sink, in the caller's
 * transaction. The row carries ids only: the worker reads the call as it is at delivery time, so a late delivery
 * still sends current data. Rows are ordered per lead (the aggregate), so a repeat call's update never overtakes the
 * delivery that creates the lead's CRM record.
 */
export class LeadOutboxHook implements CallChangeHook {
  /**
   * The sinks per site, read once per transaction: a batch of call events runs in one, and each of its changes
   * would otherwise read (and unseal) the same rows again.
   */
  private readonly sinksIn = new WeakMap<DbOrTrx, Map<string, Promise<CrmSink[]>>>();

  constructor(private readonly deps: { sinks: PgCrmSinkStore; outbox: OutboxStore; assigner: LeadAssigner; onEnqueued?: () => void }) {}

  private listSinks(trx: DbOrTrx, accountId: string, siteId: string | null): Promise<CrmSink[]> {
    if (!(trx as { isTransaction?: boolean }).isTransaction) return this.deps.sinks.listForSite(trx, accountId, siteId);
    const perSite = this.sinksIn.get(trx) ?? new Map<string, Promise<CrmSink[]>>();
    this.sinksIn.set(trx, perSite);
    const key = `${accountId}:${siteId ?? ''}`;
    const sinks = perSite.get(key) ?? this.deps.sinks.listForSite(trx, accountId, siteId);
    perSite.set(key, sinks);
    return sinks;
  }

  /** Leads given to calls created together (`beforeCallsCreated`), per transaction, for their `call.started`. */
  private readonly assignedIn = new WeakMap<DbOrTrx, Map<string, LeadMembership | null>>();

  async beforeCallsCreated(trx: DbOrTrx, calls: readonly NewCall[]): Promise<ReadonlyMap<string, string>> {
    const assigned = await this.deps.assigner.assignNewCalls(trx, calls);
    const known = this.assignedIn.get(trx) ?? new Map<string, LeadMembership | null>();
    const leadIds = new Map<string, string>();
    for (const [id, m] of assigned) {
      known.set(id, m);
      if (m) leadIds.set(id, m.leadId);
    }
    this.assignedIn.set(trx, known);
    return leadIds;
  }

  /** The leads of calls that have one, read at once: their answers and ends then need no read each. */
  async beforeCallsChanged(trx: DbOrTrx, calls: readonly Call[]): Promise<void> {
    const memberships = await this.deps.assigner.memberships(trx, calls);
    const known = this.assignedIn.get(trx) ?? new Map<string, LeadMembership | null>();
    for (const [id, m] of memberships) known.set(id, m);
    this.assignedIn.set(trx, known);
  }

  async onCallChange(trx: DbOrTrx, change: CallChange): Promise<void> {
    // A manager's re-attribution reads afresh; a call's lead does not change once given (`assignCall` keeps it).
    const known = change.trigger !== 'attribution.changed' ? this.assignedIn.get(trx) : undefined;
    const lead = known?.has(change.callId) ? known.get(change.callId)! : await this.deps.assigner.assignCall(trx, change.accountId, change.callId);
    if (change.trigger === 'attribution.changed') await this.deps.assigner.followAttribution(trx, change.accountId, change.callId);
    const sinks = await this.listSinks(trx, change.accountId, change.siteId);
    let enqueued = 0;
    for (const sink of sinks) {
      if (sink.status !== 'active' || !sink.deliverOn.includes(change.trigger)) continue;
      const payload: LeadOutboxPayload = { callId: change.callId, ...(lead ? { leadId: lead.leadId } : {}), trigger: change.trigger };
      const row = await this.deps.outbox.enqueue(trx, {
        accountId: change.accountId,
        topic: LEAD_TOPIC,
        sinkId: sink.id,
        aggregateId: lead?.leadId ?? change.callId,
        dedupeKey: leadDedupeKey(sink.id, change.callId, change.trigger),
        payload: { ...payload },
      });
      if (row) enqueued++;
    }
    if (enqueued && this.deps.onEnqueued) {
      const wake = this.deps.onEnqueued;
      // Wake the worker once the rows are visible: after the caller's commit, not before.
      const committed = 'executionPromise' in trx ? (trx as { executionPromise: Promise<unknown> }).executionPromise : null;
      if (committed) committed.then(wake, () => undefined);
      else wake();
    }
  }
}
