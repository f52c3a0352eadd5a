import type { Knex } from 'knex';
import { createInquirySink } from '../../adapters/crm/inquiry/create-inquiry-sink.js';
import type { Clock } from '../../shared/clock.js';
import type { SecretBox } from '../../shared/secret-box.js';
import type { PgCrmSinkStore } from '../crm-sinks/crm-sink-store.js';
import type { PgCrmLeadStore } from '../leads/crm-lead-store.js';
import type { LeadTrigger } from '../leads/lead-types.js';
import { DeliveryError } from '../outbox/outbox-handler.js';
import type { DeliveryContext, OutboxHandler } from '../outbox/outbox-handler.js';
import type { OutboxMessage } from '../outbox/outbox-types.js';
import type { InquiryReadModel } from './inquiry-read-model.js';
import type { InquiryOutboxPayload } from './inquiry-service.js';

const isInquiry = (payload: unknown): payload is InquiryOutboxPayload => typeof (payload as { inquiryId?: unknown } | null)?.inquiryId === 'string';

/**
 * The `crm.lead` topic carries calls and inquiries of one lead in order; this handler takes the inquiry rows and
 * hands every other row to the call deliveries. Pacing and retry policy are the call handler's (same sinks).
 */
export class InquiryAwareLeadHandler implements OutboxHandler {
  readonly topic: string;
  readonly policy: OutboxHandler['policy'];

  constructor(
    private readonly calls: OutboxHandler,
    private readonly deps: {
      db: Knex;
      sinks: PgCrmSinkStore;
      records: PgCrmLeadStore;
      readModel: InquiryReadModel;
      box: SecretBox;
      clock: Clock;
      timeoutMs: number;
      /** The outbound guard's fetch. */
      fetch: typeof fetch;
    },
  ) {
    this.topic = calls.topic;
    this.policy = calls.policy;
  }

  rateLimit(msg: OutboxMessage) {
    return this.calls.rateLimit ? this.calls.rateLimit(msg) : null;
  }

  async handle(msg: OutboxMessage, ctx: DeliveryContext): Promise<void> {
    if (!isInquiry(msg.payload)) return this.calls.handle(msg, ctx);
    const { db, clock } = this.deps;
    const payload = msg.payload;
    if (!msg.sinkId) throw new DeliveryError('An inquiry row without a sink', { retryable: false });
    const sink = await this.deps.sinks.get(db, msg.accountId, msg.sinkId);
    if (!sink) throw new DeliveryError(`Sink ${msg.sinkId} no longer exists`, { retryable: false });
    if (sink.status !== 'active') throw new DeliveryError(`Sink ${sink.id} is disabled`, { retryable: false });
    const sealed = await this.deps.sinks.getSecrets(db, msg.accountId, sink.id);
    const secrets = sealed ? (JSON.parse(this.deps.box.open(sealed)) as Record<string, unknown>) : {};
    const adapter = createInquirySink(sink, secrets, { clock, timeoutMs: this.deps.timeoutMs });
    if (!adapter) return;
    const view = await this.deps.readModel.get(db, msg.accountId, payload.inquiryId);
    if (!view) throw new DeliveryError(`Inquiry ${payload.inquiryId} no longer exists`, { retryable: false });
    // This inquiry's own record (a retry after a lost answer), else the record the lead got from a call or inquiry.
    const own = await this.deps.records.get(db, msg.accountId, sink.id, view.inquiry.id);
    const ofLead = !own && view.lead ? await this.deps.records.getForLead(db, msg.accountId, sink.id, view.lead.id) : null;
    const result = await adapter.deliverInquiry(view, own ?? ofLead, { signal: ctx.signal, deliveryId: `msg_${msg.id}`, fetch: this.deps.fetch });
    await this.deps.records.save(
      db,
      {
        accountId: msg.accountId,
        sinkId: sink.id,
        // crm_leads is keyed by the delivered item: call ids and inquiry ids never collide (both ULIDs).
        callId: view.inquiry.id,
        leadId: view.lead?.id ?? null,
        externalRecordId: result.externalRecordId,
        details: { ...(ofLead?.details ?? {}), ...result.details },
        // last_trigger is free text: inquiry rows name their own event.
        trigger: payload.trigger as unknown as LeadTrigger,
      },
      clock.now(),
    );
  }
}
