import type { Knex } from 'knex';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { SecretBox } from '../../shared/secret-box.js';
import type { PgCrmSinkStore } from '../crm-sinks/crm-sink-store.js';
import type { CrmSink } from '../crm-sinks/crm-sink-types.js';
import { DeliveryError } from '../outbox/outbox-handler.js';
import type { DeliveryContext, OutboxHandler } from '../outbox/outbox-handler.js';
import type { OutboxMessage } from '../outbox/outbox-types.js';
import type { RetryPolicy } from '../outbox/retry-policy.js';
import type { RateLimit } from '../outbox/token-bucket.js';
import type { PgCrmLeadStore } from './crm-lead-store.js';
import { LEAD_TOPIC } from './lead-outbox-hook.js';
import type { LeadOutboxPayload } from './lead-outbox-hook.js';
import type { LeadReadModel } from './lead-read-model.js';
import type { CrmLeadRecord, Lead, LeadSink } from './lead-types.js';

/** Builds the adapter for a sink; lives at the edge (adapters/crm) and is handed in by the composition root. */
export interface LeadSinkFactory {
  create(sink: CrmSink, secrets: Record<string, unknown>): LeadSink;
  rateLimit(sink: CrmSink, secrets: Record<string, unknown>): RateLimit | null;
  /** True for the error a sink throws when its endpoint is gone for good. */
  isGone(err: unknown): boolean;
}

const CACHE_MS = 5_000;

/** Delivers `crm.lead` outbox rows: reads the current call, sends it to the sink, remembers the CRM's record id. */
export class LeadDeliveryHandler implements OutboxHandler {
  readonly topic = LEAD_TOPIC;
  private readonly cache = new Map<string, { sink: CrmSink; adapter: LeadSink; limit: RateLimit | null; atMs: number }>();

  constructor(
    private readonly deps: {
      db: Knex;
      sinks: PgCrmSinkStore;
      leads: PgCrmLeadStore;
      readModel: LeadReadModel;
      factory: LeadSinkFactory;
      box: SecretBox;
      clock: Clock;
      logger: Logger;
      /** The outbound guard's fetch: no request to a CRM reaches a private or metadata address. */
      fetch: typeof fetch;
    },
    readonly policy: RetryPolicy,
  ) {}

  async rateLimit(msg: OutboxMessage): Promise<RateLimit | null> {
    return (await this.load(msg))?.limit ?? null;
  }

  async handle(msg: OutboxMessage, ctx: DeliveryContext): Promise<void> {
    const { db, clock } = this.deps;
    const payload = msg.payload as unknown as LeadOutboxPayload;
    const entry = await this.load(msg);
    if (!entry) throw new DeliveryError(`Sink ${msg.sinkId} no longer exists`, { retryable: false });
    if (entry.sink.status !== 'active') throw new DeliveryError(`Sink ${entry.sink.id} is disabled`, { retryable: false });
    const lead = await this.deps.readModel.get(db, msg.accountId, payload.callId, payload.trigger);
    if (!lead) throw new DeliveryError(`Call ${payload.callId} no longer exists`, { retryable: false });
    const previous = await this.previous(msg.accountId, entry.sink.id, lead);
    try {
      const result = await entry.adapter.deliver(lead, previous, { signal: ctx.signal, deliveryId: `msg_${msg.id}`, fetch: this.deps.fetch });
      await this.deps.leads.save(
        db,
        {
          accountId: msg.accountId,
          sinkId: entry.sink.id,
          callId: lead.callId,
          leadId: lead.lead?.id ?? null,
          externalRecordId: result.externalRecordId,
          details: { ...result.details },
          trigger: payload.trigger,
        },
        clock.now(),
      );
    } catch (err) {
      if (this.deps.factory.isGone(err)) {
        this.cache.delete(entry.sink.id);
        await this.deps.sinks.update(db, msg.accountId, entry.sink.id, { status: 'disabled', disabledReason: (err as Error).message }, clock.now());
        this.deps.logger.error({ sinkId: entry.sink.id }, 'CRM sink disabled: the endpoint said it is gone');
      }
      throw err;
    }
  }

  /**
   * What this CRM already holds for the call: its own record, else (a repeat call) the record its lead got, so the
   * sink updates that record instead of creating a second one. Sink-specific details (telephony ids) are per call.
   */
  private async previous(accountId: string, sinkId: string, lead: Lead): Promise<CrmLeadRecord | null> {
    const own = await this.deps.leads.get(this.deps.db, accountId, sinkId, lead.callId);
    if (own || !lead.lead) return own;
    const ofLead =
      (await this.deps.leads.getForLead(this.deps.db, accountId, sinkId, lead.lead.id)) ??
      // Records written before leads existed know only their call.
      (await this.deps.leads.get(this.deps.db, accountId, sinkId, lead.lead.firstCallId));
    return ofLead ? { ...ofLead, callId: lead.callId, details: {} } : null;
  }

  private async load(msg: OutboxMessage) {
    if (!msg.sinkId) return null;
    const cached = this.cache.get(msg.sinkId);
    if (cached && this.deps.clock.nowMs() - cached.atMs < CACHE_MS) return cached;
    const sink = await this.deps.sinks.get(this.deps.db, msg.accountId, msg.sinkId);
    if (!sink) return null;
    const sealed = await this.deps.sinks.getSecrets(this.deps.db, msg.accountId, msg.sinkId);
    const secrets = sealed ? (JSON.parse(this.deps.box.open(sealed)) as Record<string, unknown>) : {};
    const entry = {
      sink,
      adapter: this.deps.factory.create(sink, secrets),
      limit: this.deps.factory.rateLimit(sink, secrets),
      atMs: this.deps.clock.nowMs(),
    };
    this.cache.set(sink.id, entry);
    return entry;
  }
}
