import { DeliveryError } from '../../features/outbox/outbox-handler.js';
import type { CrmLeadRecord, DeliveryResult, Lead, LeadDeliveryContext, LeadSink } from '../../features/leads/lead-types.js';
import { crmRequest, httpFailure } from './crm-http.js';
import { retailCustomerComment, retailManagerComment, repeatCallNote } from './lead-texts.js';
import type { HttpAnswer } from './crm-http.js';

/**
 * RetailCRM (Simla.com) API v5: a lead is an order. Shapes follow retailcrm/api-client-php (see
 * fixtures/crm/retailcrm/*.http): `X-Api-Key`, form-encoded bodies whose entities are JSON strings in form fields.
 */
export interface RetailCrmConfig {
  /** https://{account}.retailcrm.ru */
  readonly baseUrl: string;
  /** The store code (`site`), required when the account has several stores. */
  readonly site: string;
  readonly apiKey: string;
  /** Must exist in /reference/order-methods; `phone` by default. */
  readonly orderMethod?: string | undefined;
  readonly orderType?: string | undefined;
  readonly status?: string | undefined;
  /** Operator extension for the call history (`code`). */
  readonly userCode?: string | undefined;
  /** Time zone of the account: call dates are sent as local "Y-m-d H:i:s". */
  readonly timezone?: string | undefined;
  /** Upload the call to history at call end even without a recording (when no recording event will follow). */
  readonly uploadCallAtEnd: boolean;
  readonly timeoutMs: number;
}

interface RetailAnswer {
  success?: boolean;
  id?: number;
  errorMsg?: string;
  errors?: Record<string, string> | string[];
  order?: { id?: number };
}

const RESULT: Record<string, string> = { completed: 'answered', busy: 'busy', 'no-answer': 'no answer', canceled: 'no answer', failed: 'failed' };

function localDateTime(d: Date, timeZone: string): string {
  // sv-SE formats as "YYYY-MM-DD HH:MM:SS", the "Y-m-d H:i:s" RetailCRM expects.
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

const orderExternalId = (lead: Lead): string => lead.lead?.firstCallId ?? lead.callId;

const compact = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== '')) as Partial<T>;

export class RetailCrmSink implements LeadSink {
  constructor(private readonly cfg: RetailCrmConfig) {}

  async deliver(lead: Lead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    let id = previous?.externalRecordId ?? null;
    if (!id) id = await this.create(lead, ctx);
    else await this.edit(lead, ctx);
    if (lead.status === 'ended' && (lead.recordingUrl || (lead.trigger === 'call.ended' && this.cfg.uploadCallAtEnd))) {
      await this.uploadCall(lead, ctx);
    }
    return { externalRecordId: id };
  }

  source(lead: Lead) {
    const a = lead.attribution;
    return compact({ source: a.source, medium: a.medium, campaign: a.campaign, keyword: a.keyword, content: a.content });
  }

  order(lead: Lead): Record<string, unknown> {
    const rec = lead.recordingUrl;
    return compact({
      // The order is the customer lead's: its first call's id, so every later call finds and edits it.
      externalId: orderExternalId(lead),
      orderMethod: this.cfg.orderMethod ?? 'phone',
      orderType: this.cfg.orderType,
      status: this.cfg.status,
      firstName: 'Caller',
      phone: lead.caller,
      call: true,
      customerComment: retailCustomerComment(lead),
      managerComment: retailManagerComment(lead),
      source: this.source(lead),
      customFields: rec ? { calltracking_record_url: rec } : undefined,
    });
  }

  private async create(lead: Lead, ctx: LeadDeliveryContext): Promise<string> {
    const a = await this.post('/api/v5/orders/create', { site: this.cfg.site, order: JSON.stringify(this.order(lead)) }, ctx);
    const body = parse(a);
    if (a.status >= 200 && a.status < 300 && body?.success) return String(body.id ?? body.order?.id);
    // No idempotency key in API v5: a create whose answer was lost, or one refused because the externalId is taken,
    // is settled by looking the order up by our call id and editing it instead.
    if (a.status === 400 || a.status === 409 || a.status === 460) {
      const existing = await this.findByExternalId(orderExternalId(lead), ctx);
      if (existing) {
        await this.edit(lead, ctx);
        return existing;
      }
    }
    throw this.failure('orders/create', a, body);
  }

  private async findByExternalId(externalId: string, ctx: LeadDeliveryContext): Promise<string | null> {
    const q = new URLSearchParams({ by: 'externalId', site: this.cfg.site });
    const a = await crmRequest(`${this.base()}/api/v5/orders/${encodeURIComponent(externalId)}?${q}`, {
      method: 'GET',
      headers: this.headers(),
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
    });
    const body = parse(a);
    if (a.status === 404) return null;
    if (a.status >= 200 && a.status < 300 && body?.success && body.order?.id !== undefined) return String(body.order.id);
    throw this.failure('orders/get', a, body);
  }

  private async edit(lead: Lead, ctx: LeadDeliveryContext): Promise<void> {
    const { externalId: _omit, orderMethod: _m, orderType: _t, status: _s, ...full } = this.order(lead);
    // A repeat call leaves the order's source and texts as the first call set them and adds its own note;
    // the call itself goes to the telephony history (calls/upload) with its own externalId.
    const changes = lead.lead?.repeat ? { managerComment: repeatCallNote(lead) } : full;
    const a = await this.post(
      `/api/v5/orders/${encodeURIComponent(orderExternalId(lead))}/edit`,
      { by: 'externalId', site: this.cfg.site, order: JSON.stringify(changes) },
      ctx,
    );
    const body = parse(a);
    if (!(a.status >= 200 && a.status < 300 && body?.success)) throw this.failure('orders/edit', a, body);
  }

  private async uploadCall(lead: Lead, ctx: LeadDeliveryContext): Promise<void> {
    const wait = lead.answeredAt ? Math.round((lead.answeredAt.getTime() - lead.startedAt.getTime()) / 1000) : (lead.ringSeconds ?? undefined);
    const call = compact({
      date: localDateTime(lead.startedAt, this.cfg.timezone ?? 'UTC'),
      type: 'in',
      phone: lead.caller,
      code: this.cfg.userCode,
      result: RESULT[lead.outcome ?? ''] ?? 'unknown',
      duration: lead.talkSeconds ?? 0,
      durationWaiting: wait,
      externalId: lead.callId,
      recordUrl: lead.recordingUrl,
      externalPhone: lead.trackingNumber,
      site: this.cfg.site,
      source: this.source(lead),
    });
    // calls/upload reports `duplicateCalls` by externalId, so sending again after a lost answer is harmless.
    const a = await this.post('/api/v5/telephony/calls/upload', { calls: JSON.stringify([call]) }, ctx);
    const body = parse(a);
    if (!(a.status >= 200 && a.status < 300 && body?.success)) throw this.failure('telephony/calls/upload', a, body);
  }

  private base(): string {
    return this.cfg.baseUrl.replace(/\/+$/, '');
  }

  private headers(): Record<string, string> {
    return { 'x-api-key': this.cfg.apiKey, accept: 'application/json' };
  }

  private post(path: string, form: Record<string, string>, ctx: LeadDeliveryContext): Promise<HttpAnswer> {
    return crmRequest(`${this.base()}${path}`, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
    });
  }

  private failure(what: string, a: HttpAnswer, body: RetailAnswer | null): DeliveryError {
    if (a.text.trimStart().startsWith('<')) {
      // An HTML page instead of JSON: wrong URL or no such account; retrying will not help.
      return new DeliveryError(`RetailCRM ${what}: the URL does not lead to an API v5 account (HTML answer, ${a.status})`, { retryable: false });
    }
    const errors = body?.errors ? (Array.isArray(body.errors) ? body.errors : Object.entries(body.errors).map(([k, v]) => `${k}: ${v}`)) : [];
    const detail = [body?.errorMsg, ...errors].filter(Boolean).join('; ');
    // 503 and 429 are RetailCRM's rate limiting (api-client-go rate.go): retry later, like any 5xx.
    return httpFailure(`RetailCRM ${what}`, a, detail);
  }
}

function parse(a: HttpAnswer): RetailAnswer | null {
  try {
    return JSON.parse(a.text) as RetailAnswer;
  } catch {
    return null;
  }
}
