import { timingSafeEqual } from 'node:crypto';
import type { Bitrix24EntityReader } from '../../adapters/crm/bitrix24-entity-reader.js';
import type { Db } from '../../adapters/db/knex.js';
import { verifyWebhook } from '../../adapters/crm/standard-webhooks.js';
import { BadDataError, NotFoundError, UnauthorizedError, UnprocessableEntityError } from '../../errors/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { SecretBox } from '../../shared/secret-box.js';
import type { Conversion, PgConversionStore } from '../conversions/conversion-store.js';
import type { PgCrmLeadStore } from '../leads/crm-lead-store.js';
import type { CustomerLead, LeadStatus, PgCustomerLeadStore } from '../leads/customer-lead-store.js';
import type { CrmLeadRecord } from '../leads/lead-types.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import { hashFeedbackToken } from './crm-sink-service.js';
import type { PgCrmSinkStore } from './crm-sink-store.js';
import { bitrix24Outcome, retailCrmOutcome } from './crm-status-mapping.js';
import type { CrmSink } from './crm-sink-types.js';

export interface CrmFeedback {
  readonly callId?: string;
  readonly externalRecordId?: string;
  readonly stage: string;
  readonly status: 'won' | 'lost' | 'open';
  readonly amount?: number;
  readonly currency?: string;
  readonly occurredAt?: string;
}

export interface FeedbackCredentials {
  readonly bearer: string | null;
  readonly webhook: { id: string | undefined; timestamp: string | undefined; signature: string | undefined };
  readonly rawBody: string | null;
}

/** A RetailCRM order as its trigger's HTTP request reports it (order fields, by their API v5 names). */
export interface RetailCrmOrderFeedback {
  /** RetailCRM's order id. */
  readonly id?: string;
  /** Our id for the order: the lead's first call id. */
  readonly externalId?: string;
  readonly status: string;
  readonly totalSumm?: number;
  readonly currency?: string;
}

/** A Bitrix24 outbound event (ONCRMLEADUPDATE / ONCRMDEALUPDATE), as form fields. */
export interface Bitrix24EventFeedback {
  readonly event: string;
  readonly entityId: string;
  readonly applicationToken: string | null;
}

export interface FeedbackResult {
  readonly conversion: Conversion;
  readonly created: boolean;
  readonly lead: CustomerLead | null;
}

type FeedbackSink = CrmSink & { feedbackTokenHash: string | null; secretsSealed: string | null };

/**
 * A CRM reports how a lead went: won (a deal, its amount the revenue), lost, or open again. Stored as a conversion
 * (one per CRM record and stage) and as the customer lead's status and amount, which the reports read. Amounts must
 * be in the site's currency: another one is refused (422), nothing is converted.
 */
export class CrmFeedbackService {
  constructor(
    private readonly deps: {
      db: Db;
      sinks: PgCrmSinkStore;
      leads: PgCrmLeadStore;
      customerLeads: PgCustomerLeadStore;
      conversions: PgConversionStore;
      sites: SiteStore;
      bitrix24: Bitrix24EntityReader;
      box: SecretBox;
      clock: Clock;
    },
  ) {}

  /** The generic JSON format: `{callId | externalRecordId, stage, status, amount?, currency?, occurredAt?}`. */
  async record(sinkId: string, creds: FeedbackCredentials, body: CrmFeedback): Promise<FeedbackResult> {
    const { db } = this.deps;
    const sink = await this.deps.sinks.getForFeedback(db, sinkId);
    // Unknown sink and bad credentials look the same from outside.
    if (!sink || !this.authorised(sink, creds)) throw new UnauthorizedError('A valid feedback token or webhook signature is required');
    if (!body.callId && !body.externalRecordId) throw new BadDataError('callId or externalRecordId is required');
    const record = body.callId
      ? ((await this.deps.leads.get(db, sink.accountId, sink.id, body.callId)) ?? (await this.recordOfCall(sink, body.callId)))
      : await this.deps.leads.findByExternalId(db, sink.accountId, sink.id, body.externalRecordId!);
    if (!record) throw new NotFoundError('No lead of this sink matches that call or CRM record');
    return this.apply(sink, record, {
      stage: body.stage,
      status: body.status,
      amount: body.amount ?? null,
      currency: body.currency ?? null,
      occurredAt: body.occurredAt ? new Date(body.occurredAt) : this.deps.clock.now(),
    });
  }

  /** RetailCRM's order status: the code maps to won / lost / open per the sink's config; `totalSumm` is the amount. */
  async recordRetailCrm(sinkId: string, token: string | null, order: RetailCrmOrderFeedback): Promise<FeedbackResult | null> {
    const { db } = this.deps;
    const sink = await this.deps.sinks.getForFeedback(db, sinkId);
    if (sink?.kind !== 'retailcrm' || !this.tokenMatches(sink, token)) {
      throw new UnauthorizedError('A valid feedback token is required (?token= or Authorization: Bearer)');
    }
    if (!order.id && !order.externalId)
      throw new BadDataError('The order needs its id or externalId', [{ path: 'body/id', message: 'id or externalId' }]);
    return this.retailCrmOrder(sink, order);
  }

  /**
   * An order found changed in the sink's order history (retailcrm-history-poller.ts) and read back: the same mapping
   * as the trigger's request. Null when the sink is gone or is no RetailCRM sink, or the order is not ours.
   */
  async recordRetailCrmPolled(sinkId: string, order: RetailCrmOrderFeedback): Promise<FeedbackResult | null> {
    const sink = await this.deps.sinks.getForFeedback(this.deps.db, sinkId);
    if (sink?.kind !== 'retailcrm' || (!order.id && !order.externalId)) return null;
    return this.retailCrmOrder(sink, order);
  }

  /** Our record of a RetailCRM order (by our externalId, else RetailCRM's id), or null for an order that is not ours. */
  async retailCrmRecord(sink: { id: string; accountId: string }, order: { id?: string; externalId?: string }): Promise<CrmLeadRecord | null> {
    const { db } = this.deps;
    return (
      (order.externalId ? await this.deps.leads.get(db, sink.accountId, sink.id, order.externalId) : null) ??
      (order.id ? await this.deps.leads.findByExternalId(db, sink.accountId, sink.id, order.id) : null)
    );
  }

  private async retailCrmOrder(sink: FeedbackSink, order: RetailCrmOrderFeedback): Promise<FeedbackResult | null> {
    const record = await this.retailCrmRecord(sink, order);
    // RetailCRM reports every order it has; only ours become outcomes.
    if (!record) return null;
    return this.apply(sink, record, {
      stage: order.status,
      status: retailCrmOutcome(sink.config, order.status),
      amount: order.totalSumm ?? null,
      currency: order.currency ?? null,
      occurredAt: this.deps.clock.now(),
    });
  }

  /**
   * A Bitrix24 outbound event names only the entity: authenticated by the handler's application_token, the lead or
   * deal is read back through the sink's incoming webhook and its status (lead) or stage (deal) mapped. A deal counts
   * for the lead it was converted from (LEAD_ID).
   */
  async recordBitrix24(sinkId: string, e: Bitrix24EventFeedback): Promise<FeedbackResult | null> {
    const { db } = this.deps;
    const sink = await this.deps.sinks.getForFeedback(db, sinkId);
    const secrets = sink?.kind === 'bitrix24' && sink.secretsSealed ? this.secrets(sink.secretsSealed) : {};
    const expected = typeof secrets.applicationToken === 'string' ? secrets.applicationToken : null;
    if (!sink || !expected || !e.applicationToken || !safeEqual(expected, e.applicationToken)) {
      throw new UnauthorizedError('The event must carry the application_token of this sink');
    }
    const event = e.event.toUpperCase();
    const entity =
      event === 'ONCRMLEADUPDATE' || event === 'ONCRMLEADADD' ? 'lead' : event === 'ONCRMDEALUPDATE' || event === 'ONCRMDEALADD' ? 'deal' : null;
    if (!entity)
      throw new BadDataError(`Unsupported Bitrix24 event "${e.event}"`, [{ path: 'body/event', message: 'ONCRMLEADUPDATE or ONCRMDEALUPDATE' }]);
    const found = await this.deps.bitrix24.get(String(secrets.webhookUrl), entity, e.entityId);
    if (!found) return null;
    const leadId = entity === 'lead' ? found.id : found.leadId;
    const record = leadId ? await this.deps.leads.findByExternalId(db, sink.accountId, sink.id, leadId) : null;
    if (!record) return null;
    return this.apply(sink, record, {
      stage: `${entity}:${found.code}`,
      status: bitrix24Outcome(sink.config, entity, found.code, found.semantic),
      amount: found.amount,
      currency: found.currency,
      occurredAt: this.deps.clock.now(),
    });
  }

  private async apply(
    sink: FeedbackSink,
    record: CrmLeadRecord,
    o: { stage: string; status: LeadStatus; amount: number | null; currency: string | null; occurredAt: Date },
  ): Promise<FeedbackResult> {
    const { db } = this.deps;
    const leadId = record.leadId ?? (await this.leadOfCall(sink.accountId, record.callId));
    const lead = leadId ? await this.deps.customerLeads.get(db, sink.accountId, leadId) : null;
    const site = lead?.siteId ? await this.deps.sites.get(db, sink.accountId, lead.siteId) : null;
    const currency = site?.settings.currency ?? DEFAULT_SITE_SETTINGS.currency;
    if (o.currency && o.currency.toUpperCase() !== currency) {
      throw new UnprocessableEntityError(`The amount is in ${o.currency}; this site counts revenue in ${currency}`, [
        { path: 'body/currency', message: `must be ${currency}, the site's currency` },
      ]);
    }
    return db.transaction(async (trx) => {
      const { conversion, created } = await this.deps.conversions.upsert(trx, {
        accountId: sink.accountId,
        callId: record.callId,
        leadId,
        sinkId: sink.id,
        externalRecordId: record.externalRecordId,
        stage: o.stage,
        status: o.status,
        revenue: o.amount,
        currency: o.amount === null ? null : currency,
        occurredAt: o.occurredAt,
      });
      const updated = leadId
        ? await this.deps.customerLeads.setOutcome(trx, sink.accountId, leadId, {
            status: o.status,
            amount: o.amount,
            currency: o.amount === null ? null : currency,
            at: o.occurredAt,
          })
        : null;
      return { conversion, created, lead: updated };
    });
  }

  /**
   * A call this sink has no record of yet (its delivery is still on the way, or the sink came later): the outcome is
   * about the call's lead all the same, filed under the lead's record in this sink, or its first call.
   */
  private async recordOfCall(sink: FeedbackSink, callId: string): Promise<CrmLeadRecord | null> {
    const row = (await this.deps.db('calls').select('lead_id', 'site_id').where({ account_id: sink.accountId, id: callId }).first()) as
      | { lead_id: string | null; site_id: string | null }
      | undefined;
    if (!row?.lead_id || (sink.siteId && row.site_id !== sink.siteId)) return null;
    const ofLead = await this.deps.leads.getForLead(this.deps.db, sink.accountId, sink.id, row.lead_id);
    if (ofLead) return { ...ofLead, callId };
    const lead = await this.deps.customerLeads.get(this.deps.db, sink.accountId, row.lead_id);
    return lead ? { sinkId: sink.id, callId, leadId: lead.id, externalRecordId: lead.firstInquiryId, details: {} } : null;
  }

  private async leadOfCall(accountId: string, callId: string): Promise<string | null> {
    const row = (await this.deps.db('calls').select('lead_id').where({ account_id: accountId, id: callId }).first()) as
      | { lead_id: string | null }
      | undefined;
    return row?.lead_id ?? null;
  }

  private secrets(sealed: string): Record<string, unknown> {
    return JSON.parse(this.deps.box.open(sealed)) as Record<string, unknown>;
  }

  private tokenMatches(sink: { feedbackTokenHash: string | null }, token: string | null): boolean {
    if (!token || !sink.feedbackTokenHash) return false;
    return safeEqual(hashFeedbackToken(token), sink.feedbackTokenHash);
  }

  private authorised(sink: FeedbackSink, creds: FeedbackCredentials): boolean {
    if (this.tokenMatches(sink, creds.bearer)) return true;
    if (sink.kind === 'webhook' && creds.webhook.signature && creds.rawBody !== null && sink.secretsSealed) {
      const secret = (this.secrets(sink.secretsSealed) as { secret?: string }).secret;
      if (secret) return verifyWebhook(secret, creds.webhook, creds.rawBody, this.deps.clock.nowMs());
    }
    return false;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
