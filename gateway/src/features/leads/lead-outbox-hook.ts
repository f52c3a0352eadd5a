import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { CallChange, CallChangeHook } from '../calls/call-change-hook.js';
import type { PgCrmSinkStore } from '../crm-sinks/crm-sink-store.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';

export const LEAD_TOPIC = 'crm.lead';

export interface LeadOutboxPayload {
  readonly callId: string;
  readonly trigger: CallChange['trigger'];
}

export const leadDedupeKey = (sinkId: string, callId: string, trigger: string): string => `lead:${sinkId}:${callId}:${trigger}`;

/**
 * Turns a call change into one outbox row per interested sink, in the caller's transaction. The row carries ids only:
 * the worker reads the call as it is at delivery time, so a late delivery still sends current data.
 */
export class LeadOutboxHook implements CallChangeHook {
  constructor(private readonly deps: { sinks: PgCrmSinkStore; outbox: OutboxStore; onEnqueued?: () => void }) {}

  async onCallChange(trx: DbOrTrx, change: CallChange): Promise<void> {
    const sinks = await this.deps.sinks.listForSite(trx, change.accountId, change.siteId);
    let enqueued = 0;
    for (const sink of sinks) {
      if (sink.status !== 'active' || !sink.deliverOn.includes(change.trigger)) continue;
      const payload: LeadOutboxPayload = { callId: change.callId, trigger: change.trigger };
      const row = await this.deps.outbox.enqueue(trx, {
        accountId: change.accountId,
        topic: LEAD_TOPIC,
        sinkId: sink.id,
        aggregateId: change.callId,
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
