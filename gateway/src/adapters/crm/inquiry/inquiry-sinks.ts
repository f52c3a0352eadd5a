import type { InquiryLead } from '../../../features/inquiries/inquiry-read-model.js';
import type { CrmLeadRecord, DeliveryResult, LeadDeliveryContext } from '../../../features/leads/lead-types.js';
import { DeliveryError } from '../../../features/outbox/outbox-handler.js';
import type { Clock } from '../../../shared/clock.js';
import { ORIGINATOR_ID } from '../bitrix24-sink.js';
import { AMO_SOURCE_UID, amoTrackingFields } from '../amocrm-sink.js';
import { crmRequest, httpFailure } from '../crm-http.js';
import type { HttpAnswer } from '../crm-http.js';
import { postSignedEvent } from '../generic-webhook-sink.js';
import { inquiryBody, inquirySourceName, inquiryTitle, originText, repeatInquiryNote } from './inquiry-texts.js';

/** A CRM's way of taking a form, a callback request or an email: a new record, or a note on the lead's record. */
export interface InquirySink {
  deliverInquiry(l: InquiryLead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult>;
}

const compact = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== ''));
const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const unix = (d: Date): number => Math.floor(d.getTime() / 1000);
const json = (a: HttpAnswer): Record<string, unknown> | null => {
  try {
    return JSON.parse(a.text) as Record<string, unknown>;
  } catch {
    return null;
  }
};
const ok = (a: HttpAnswer): boolean => a.status >= 200 && a.status < 300;
/** The record key of the lead in a CRM: its first inquiry's id (a call id or an inquiry id), as call deliveries use. */
const leadKey = (l: InquiryLead): string => l.lead?.firstInquiryId ?? l.inquiry.id;

// ---------------------------------------------------------------------------------------------------------------
// RetailCRM: an order whose orderMethod names the kind (each code must exist in /reference/order-methods).

export interface RetailInquiryConfig {
  readonly baseUrl: string;
  readonly site: string;
  readonly apiKey: string;
  readonly orderMethods: { readonly form: string; readonly callback: string; readonly email: string };
  readonly orderType?: string | undefined;
  readonly status?: string | undefined;
  readonly timeoutMs: number;
}

export class RetailCrmInquirySink implements InquirySink {
  constructor(private readonly cfg: RetailInquiryConfig) {}

  async deliverInquiry(l: InquiryLead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    if (previous) {
      // The lead has its order (from a call or an earlier inquiry): add this inquiry to the manager's comment.
      // Orders carry the lead's first inquiry id as externalId (calls and inquiries alike), so that finds it.
      await this.edit(leadKey(l), { managerComment: repeatInquiryNote(l) }, ctx);
      return { externalRecordId: previous.externalRecordId };
    }
    const order = this.order(l);
    const a = await this.post('/api/v5/orders/create', { site: this.cfg.site, order: JSON.stringify(order) }, ctx);
    const body = json(a);
    if (ok(a) && body?.success) return { externalRecordId: String(body.id ?? (body.order as { id?: number } | undefined)?.id) };
    // API v5 has no idempotency key: a create whose answer was lost is found by its externalId.
    if (a.status === 400 || a.status === 460) {
      const found = await this.find(leadKey(l), ctx);
      if (found) return { externalRecordId: found };
    }
    throw httpFailure('RetailCRM orders/create', a, String(body?.errorMsg ?? ''));
  }

  order(l: InquiryLead): Record<string, unknown> {
    const i = l.inquiry;
    const a = l.attribution;
    return compact({
      externalId: leadKey(l),
      orderMethod: this.cfg.orderMethods[i.kind],
      orderType: this.cfg.orderType,
      status: this.cfg.status,
      firstName: i.name ?? undefined,
      phone: i.phone,
      email: i.email,
      call: i.kind === 'callback' ? true : undefined,
      customerComment: inquiryBody(l),
      managerComment: inquiryTitle(l),
      source: compact({ source: a.source, medium: a.medium, campaign: a.campaign, keyword: a.keyword, content: a.content }),
    });
  }

  private async find(externalId: string, ctx: LeadDeliveryContext): Promise<string | null> {
    const q = new URLSearchParams({ by: 'externalId', site: this.cfg.site });
    const a = await crmRequest(`${this.base()}/api/v5/orders/${encodeURIComponent(externalId)}?${q}`, {
      method: 'GET',
      headers: { 'x-api-key': this.cfg.apiKey, accept: 'application/json' },
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
      fetch: ctx.fetch,
    });
    const id = (json(a)?.order as { id?: number } | undefined)?.id;
    return ok(a) && id !== undefined ? String(id) : null;
  }

  private async edit(externalId: string, changes: Record<string, unknown>, ctx: LeadDeliveryContext): Promise<void> {
    const a = await this.post(
      `/api/v5/orders/${encodeURIComponent(externalId)}/edit`,
      { by: 'externalId', site: this.cfg.site, order: JSON.stringify(changes) },
      ctx,
    );
    if (!(ok(a) && json(a)?.success)) throw httpFailure('RetailCRM orders/edit', a, String(json(a)?.errorMsg ?? ''));
  }

  private base(): string {
    return this.cfg.baseUrl.replace(/\/+$/, '');
  }

  private post(path: string, form: Record<string, string>, ctx: LeadDeliveryContext): Promise<HttpAnswer> {
    return crmRequest(`${this.base()}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': this.cfg.apiKey, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
      fetch: ctx.fetch,
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Bitrix24: crm.lead.add with the SOURCE_ID of the kind (Bitrix24's default source list: WEBFORM, CALLBACK, EMAIL).

export const BITRIX_SOURCE: Readonly<Record<InquiryLead['inquiry']['kind'], string>> = { form: 'WEBFORM', callback: 'CALLBACK', email: 'EMAIL' };

export class Bitrix24InquirySink implements InquirySink {
  constructor(private readonly cfg: { webhookUrl: string; assignedById?: number | undefined; timeoutMs: number }) {}

  async deliverInquiry(l: InquiryLead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    const existing = previous?.externalRecordId ?? (await this.findByOrigin(leadKey(l), ctx));
    if (existing) {
      await this.call('crm.lead.update', { id: existing, fields: { COMMENTS: l.lead?.repeat ? repeatInquiryNote(l) : inquiryBody(l) } }, ctx);
      return { externalRecordId: existing };
    }
    const id = await this.call('crm.lead.add', { fields: this.fields(l), params: { REGISTER_SONET_EVENT: 'Y' } }, ctx);
    return { externalRecordId: String(id) };
  }

  fields(l: InquiryLead): Record<string, unknown> {
    const i = l.inquiry;
    const a = l.attribution;
    return compact({
      TITLE: inquiryTitle(l),
      NAME: i.name,
      STATUS_ID: 'NEW',
      OPENED: 'Y',
      ASSIGNED_BY_ID: this.cfg.assignedById,
      SOURCE_ID: BITRIX_SOURCE[i.kind],
      SOURCE_DESCRIPTION: [inquirySourceName(l), originText(l)].filter(Boolean).join(', '),
      PHONE: i.phone ? [{ VALUE: i.phone, VALUE_TYPE: 'WORK' }] : undefined,
      EMAIL: i.email ? [{ VALUE: i.email, VALUE_TYPE: 'WORK' }] : undefined,
      COMMENTS: inquiryBody(l),
      UTM_SOURCE: a.source,
      UTM_MEDIUM: a.medium,
      UTM_CAMPAIGN: a.campaign,
      UTM_CONTENT: a.content,
      UTM_TERM: a.keyword,
      ORIGINATOR_ID,
      ORIGIN_ID: leadKey(l),
    });
  }

  private async findByOrigin(originId: string, ctx: LeadDeliveryContext): Promise<string | null> {
    const result = await this.call('crm.lead.list', { filter: { ORIGINATOR_ID, ORIGIN_ID: originId }, select: ['ID'] }, ctx);
    const first = Array.isArray(result) ? (result[0] as { ID?: string | number } | undefined) : undefined;
    return first?.ID !== undefined ? String(first.ID) : null;
  }

  private async call(method: string, params: Record<string, unknown>, ctx: LeadDeliveryContext): Promise<unknown> {
    const a = await crmRequest(`${this.cfg.webhookUrl.replace(/\/+$/, '')}/${method}.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(params),
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
      fetch: ctx.fetch,
    });
    const body = json(a);
    if (ok(a) && body && !body.error) return body.result;
    const code = String(body?.error ?? '');
    const detail = [code, body?.error_description].filter(Boolean).join(': ');
    // The portal's leaky bucket or method time budget: wait and retry (as call deliveries do).
    if (code === 'QUERY_LIMIT_EXCEEDED' || code === 'OPERATION_TIME_LIMIT') {
      throw new DeliveryError(`Bitrix24 ${method}: ${detail}`, { retryable: true, retryAfterMs: 2_000 });
    }
    throw httpFailure(`Bitrix24 ${method}`, a, detail);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// amoCRM: "Incoming leads" of the forms category (POST /api/v4/leads/unsorted/forms, FormsMetadata). The API
// offers no create for the mail category (amocrm-api-php MailMetadata::toApi sends nothing), so an email arrives as a
// form named after its alias; a later inquiry of a lead amoCRM has becomes a note on that lead.

export class AmoCrmInquirySink implements InquirySink {
  constructor(private readonly cfg: { baseUrl: string; accessToken: string; pipelineId?: number | undefined; timeoutMs: number }) {}

  async deliverInquiry(l: InquiryLead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    if (previous) {
      const leadId = Number(previous.details.leadId);
      if (Number.isInteger(leadId) && leadId > 0) {
        await this.post('/api/v4/leads/notes', [{ entity_id: leadId, note_type: 'common', params: { text: repeatInquiryNote(l) } }], ctx);
      }
      return { externalRecordId: previous.externalRecordId };
    }
    const answer = (await this.post('/api/v4/leads/unsorted/forms', [this.unsorted(l)], ctx)) as {
      _embedded?: { unsorted?: { uid?: string; _embedded?: { leads?: { id?: number }[] } }[] };
    };
    const item = answer._embedded?.unsorted?.[0];
    if (!item?.uid) throw new DeliveryError('amoCRM leads/unsorted/forms answered without an unsorted uid', { retryable: false });
    const leadId = item._embedded?.leads?.[0]?.id;
    return { externalRecordId: item.uid, details: leadId ? { leadId } : {} };
  }

  unsorted(l: InquiryLead): Record<string, unknown> {
    const i = l.inquiry;
    const a = l.attribution;
    const tracking = amoTrackingFields(a);
    const contactFields = [
      ...(i.phone ? [{ field_code: 'PHONE', values: [{ value: i.phone, enum_code: 'WORK' }] }] : []),
      ...(i.email ? [{ field_code: 'EMAIL', values: [{ value: i.email, enum_code: 'WORK' }] }] : []),
    ];
    const formName = i.kind === 'email' ? (i.alias ?? 'email') : (i.subject ?? inquirySourceName(l));
    return {
      source_name: inquirySourceName(l),
      source_uid: AMO_SOURCE_UID,
      created_at: unix(i.receivedAt),
      ...(this.cfg.pipelineId ? { pipeline_id: this.cfg.pipelineId } : {}),
      metadata: {
        ...compact({
          form_id: `${i.kind}:${i.id}`,
          form_name: formName,
          form_sent_at: unix(i.receivedAt),
          referer: a.referrer,
          visitor_uid: l.session?.id,
        }),
        // FormsMetadata always sends form_page: the page, else the landing page, else the alias or the site.
        form_page: i.pageUrl ?? a.landingPage ?? (i.alias ? `mailto:${i.alias}` : (l.siteName ?? '')),
      },
      _embedded: {
        leads: [{ name: inquiryTitle(l), ...(tracking.length ? { custom_fields_values: tracking } : {}) }],
        contacts: [
          { name: i.name ?? i.phone ?? i.email ?? inquiryTitle(l), ...(contactFields.length ? { custom_fields_values: contactFields } : {}) },
        ],
      },
    };
  }

  private async post(path: string, body: unknown, ctx: LeadDeliveryContext): Promise<unknown> {
    const a = await crmRequest(`${this.cfg.baseUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.cfg.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
      fetch: ctx.fetch,
    });
    if (ok(a)) return json(a) ?? {};
    if (a.status === 401) throw new DeliveryError(`amoCRM ${path} answered 401 (token expired or revoked)`, { retryable: true });
    throw httpFailure(`amoCRM ${path}`, a, a.text.slice(0, 200));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The generic webhook: `inquiry.created` (Standard Webhooks signed), naming the lead so receivers join a repeat.

export function inquiryWebhookEvent(l: InquiryLead, now: Date): { type: string; timestamp: string; data: Record<string, unknown> } {
  const i = l.inquiry;
  const a = l.attribution;
  return {
    type: 'inquiry.created',
    timestamp: iso(now),
    data: {
      inquiry_id: i.id,
      kind: i.kind,
      lead_id: l.lead?.id ?? null,
      lead_first_inquiry_id: l.lead?.firstInquiryId ?? i.id,
      lead_inquiries: l.lead?.inquiries ?? 1,
      repeat: l.lead?.repeat ?? false,
      site_id: i.siteId,
      phone: i.phone,
      email: i.email,
      name: i.name,
      subject: i.subject,
      message: i.message,
      fields: i.fields,
      page_url: i.pageUrl,
      alias: i.alias,
      session_id: l.session?.id ?? null,
      received_at: iso(i.receivedAt),
      attribution: {
        utm_source: a.source,
        utm_medium: a.medium,
        utm_campaign: a.campaign,
        utm_content: a.content,
        utm_term: a.keyword,
        ...a.clickIds,
        landing_page: a.landingPage,
        referrer: a.referrer,
        channel: a.channel,
        channel_name: a.channelName,
      },
    },
  };
}

export class WebhookInquirySink implements InquirySink {
  constructor(
    private readonly cfg: { url: string; secret: string; timeoutMs: number },
    private readonly clock: Clock,
  ) {}

  async deliverInquiry(l: InquiryLead, _previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    const now = this.clock.now();
    await postSignedEvent(this.cfg, inquiryWebhookEvent(l, now), now, ctx);
    return { externalRecordId: l.lead?.id ?? l.inquiry.id };
  }
}
