import { DeliveryError } from '../../features/outbox/outbox-handler.js';
import type { CrmLeadRecord, DeliveryResult, Lead, LeadDeliveryContext, LeadSink } from '../../features/leads/lead-types.js';
import { crmRequest, httpFailure } from './crm-http.js';
import type { HttpAnswer } from './crm-http.js';

/** Connection errors that mean the request never reached the collector: safe to send again. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function neverSent(err: DeliveryError): boolean {
  let e: unknown = err.cause;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * GA4 Measurement Protocol (fixtures/crm/analytics/ga4-measurement-protocol.sample.json): one `generate_lead` event
 * per customer lead, sent once its first call has ended (so the talk time is known), for the visitor's GA client id.
 */
export interface Ga4Config {
  /** G-XXXXXXXXXX */
  readonly measurementId: string;
  readonly apiSecret: string;
  /** The value of a lead when the CRM has not reported an amount yet (GA4 recommends a value for generate_lead). */
  readonly leadValue?: number | undefined;
  /** https://www.google-analytics.com (or https://region1.google-analytics.com for EU collection). */
  readonly endpoint?: string | undefined;
  readonly timeoutMs: number;
}

export const GA4_ENDPOINT = 'https://www.google-analytics.com';
/** "Events can be backdated ... up to 72 h": older events are dropped by GA4, so they are not sent. */
const MAX_BACKDATE_MS = 72 * 3_600_000;

/** The Measurement Protocol body for a lead; `null` when GA4 cannot take it (no client id: the call had no GA visit). */
export function ga4LeadEvent(lead: Lead, leadValue: number | undefined): Record<string, unknown> | null {
  const clientId = lead.session?.clientIds.ga;
  if (!clientId) return null;
  const params: Record<string, unknown> = {
    currency: lead.currency,
    value: lead.lead?.amount ?? leadValue ?? 0,
    lead_source: 'phone_call',
    // GA4's session id is the session start in unix seconds; with engagement_time_msec the event joins the session.
    ...(lead.session?.startedAt ? { session_id: String(Math.floor(lead.session.startedAt.getTime() / 1000)) } : {}),
    engagement_time_msec: 1,
    call_id: lead.callId,
    call_duration_s: lead.talkSeconds ?? 0,
    first_time_caller: lead.firstTimeCaller ? 1 : 0,
  };
  return {
    client_id: clientId,
    timestamp_micros: lead.startedAt.getTime() * 1000,
    events: [{ name: 'generate_lead', params }],
  };
}

export class Ga4Sink implements LeadSink {
  constructor(
    private readonly cfg: Ga4Config,
    private readonly now: () => number = Date.now,
  ) {}

  async deliver(lead: Lead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    const id = lead.lead?.id ?? lead.callId;
    // One event per lead: repeat calls and later events of the lead's call send nothing more, nor does a lead whose
    // event may have reached GA4 already (see below).
    if (previous?.details.sent === true || previous?.details.sent === 'unknown' || lead.lead?.repeat) {
      return { externalRecordId: previous?.externalRecordId ?? id };
    }
    if (lead.status !== 'ended') return { externalRecordId: id, details: { sent: false } };
    const body = ga4LeadEvent(lead, this.cfg.leadValue);
    if (!body) return { externalRecordId: id, details: { sent: false, skipped: 'no GA client id on the visit' } };
    if (this.now() - lead.startedAt.getTime() > MAX_BACKDATE_MS) {
      return { externalRecordId: id, details: { sent: false, skipped: 'older than the 72 h GA4 accepts' } };
    }
    const q = new URLSearchParams({ measurement_id: this.cfg.measurementId, api_secret: this.cfg.apiSecret });
    let a: HttpAnswer;
    try {
      a = await crmRequest(`${(this.cfg.endpoint ?? GA4_ENDPOINT).replace(/\/+$/, '')}/mp/collect?${q}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: this.cfg.timeoutMs,
        signal: ctx.signal,
        fetch: ctx.fetch,
      });
    } catch (err) {
      // GA4 has no idempotency key for generate_lead (it deduplicates only purchase events by transaction_id), so a
      // request that may have arrived is not sent again: a second event would count the lead twice, in GA4 and in
      // every Google Ads conversion imported from it. Only a request that cannot have left (no connection) retries.
      if (err instanceof DeliveryError && err.retryable && !neverSent(err)) {
        return { externalRecordId: id, details: { sent: 'unknown', skipped: `not repeated: ${err.message}` } };
      }
      throw err;
    }
    // GA4 answers 2xx without a body whether or not it accepted the event (validation lives at /debug/mp/collect).
    if (a.status < 200 || a.status > 299) {
      if (a.status >= 400 && a.status < 500 && a.status !== 408 && a.status !== 429) {
        throw new DeliveryError(`GA4 /mp/collect answered ${a.status}`, { retryable: false });
      }
      throw httpFailure('GA4 /mp/collect', a);
    }
    return { externalRecordId: id, details: { sent: true } };
  }
}
