import { DeliveryError } from '../../features/outbox/outbox-handler.js';
import type { CrmLeadRecord, DeliveryResult, Lead, LeadDeliveryContext, LeadSink } from '../../features/leads/lead-types.js';
import { crmRequest, httpFailure } from './crm-http.js';
import { callSummary, leadTitle, repeatCallNote, sourceDescription } from './lead-texts.js';

/**
 * Bitrix24 REST (bitrix24/b24restdocs; fixtures/crm/bitrix24). Leads go through an incoming webhook
 * `https://{portal}/rest/{user}/{code}/` + `crm.lead.add.json`. The call card and recording
 * (`telephony.externalCall.*`) "work only in the context of an application" (WRONG_AUTH_TYPE otherwise), so they are
 * sent only when the sink also has an application's OAuth access token.
 */
export interface Bitrix24Config {
  /** The incoming webhook base, e.g. https://example.bitrix24.com/rest/1/xxxxxxxx/ (the code in it is a secret). */
  readonly webhookUrl: string;
  /** Application mode: https://example.bitrix24.com, an OAuth access token and the portal user who takes calls. */
  readonly app?: { readonly portalUrl: string; readonly accessToken: string; readonly userId: number } | undefined;
  readonly assignedById?: number | undefined;
  readonly timeoutMs: number;
}

/** Who we are to Bitrix24: ORIGINATOR_ID + ORIGIN_ID (our call id) link a lead to us and make it findable. */
export const ORIGINATOR_ID = 'calltracking-gw';

interface B24Answer {
  result?: unknown;
  error?: string;
  error_description?: string;
}

const STATUS_CODE: Record<string, string> = { completed: '200', busy: '486', 'no-answer': '304', canceled: '603-S', failed: 'OTHER' };

const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== ''));

export class Bitrix24Sink implements LeadSink {
  constructor(private readonly cfg: Bitrix24Config) {}

  async deliver(lead: Lead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    let leadId = previous?.externalRecordId ?? (await this.findByOrigin(lead.lead?.firstCallId ?? lead.callId, ctx));
    if (leadId) await this.call('crm.lead.update', { id: leadId, fields: this.fields(lead, false) }, ctx);
    else leadId = String(await this.call('crm.lead.add', { fields: this.fields(lead, true), params: { REGISTER_SONET_EVENT: 'Y' } }, ctx));
    const details = this.cfg.app ? await this.telephony(lead, leadId, previous?.details ?? {}, ctx) : {};
    return { externalRecordId: leadId, details };
  }

  fields(lead: Lead, creating: boolean): Record<string, unknown> {
    const a = lead.attribution;
    // A repeat call updates the lead its customer already has; the lead keeps the first call's source.
    if (lead.lead?.repeat && !creating) return { COMMENTS: repeatCallNote(lead) };
    return compact({
      ...(creating
        ? {
            TITLE: leadTitle(lead),
            STATUS_ID: 'NEW',
            OPENED: 'Y',
            ASSIGNED_BY_ID: this.cfg.assignedById,
            SOURCE_ID: 'CALL',
            PHONE: [{ VALUE: lead.caller, VALUE_TYPE: 'WORK' }],
            ORIGINATOR_ID: ORIGINATOR_ID,
            ORIGIN_ID: lead.lead?.firstCallId ?? lead.callId,
          }
        : {}),
      SOURCE_DESCRIPTION: sourceDescription(lead),
      UTM_SOURCE: a.source,
      UTM_MEDIUM: a.medium,
      UTM_CAMPAIGN: a.campaign,
      UTM_CONTENT: a.content,
      UTM_TERM: a.keyword,
      COMMENTS: callSummary(lead),
    });
  }

  private async findByOrigin(callId: string, ctx: LeadDeliveryContext): Promise<string | null> {
    const result = await this.call('crm.lead.list', { filter: { ORIGINATOR_ID, ORIGIN_ID: callId }, select: ['ID'] }, ctx);
    const first = Array.isArray(result) ? (result[0] as { ID?: string | number } | undefined) : undefined;
    return first?.ID !== undefined ? String(first.ID) : null;
  }

  /** register at the first event, finish once ended, attachRecord once there is a recording; each at most once. */
  private async telephony(lead: Lead, leadId: string, known: Record<string, unknown>, ctx: LeadDeliveryContext): Promise<Record<string, unknown>> {
    const app = this.cfg.app!;
    const out: Record<string, unknown> = {};
    let callId = typeof known.b24CallId === 'string' ? known.b24CallId : null;
    if (!callId) {
      const r = (await this.call(
        'telephony.externalCall.register',
        {
          USER_ID: app.userId,
          PHONE_NUMBER: lead.caller,
          TYPE: 2,
          CALL_START_DATE: lead.startedAt.toISOString(),
          CRM_CREATE: 0,
          CRM_SOURCE: 'CALL',
          CRM_ENTITY_TYPE: 'LEAD',
          CRM_ENTITY_ID: Number(leadId),
          SHOW: 0,
          LINE_NUMBER: lead.trackingNumber,
          // Unique per physical call: a re-register within 30 min then returns the same CALL_ID instead of a new one.
          EXTERNAL_CALL_ID: lead.callId,
        },
        ctx,
        true,
      )) as { CALL_ID?: string };
      callId = r.CALL_ID ?? null;
      if (!callId) throw new DeliveryError('Bitrix24 telephony.externalCall.register returned no CALL_ID', { retryable: true });
      out.b24CallId = callId;
    }
    let finished = known.b24Finished === true;
    if (lead.status === 'ended' && !finished) {
      await this.call(
        'telephony.externalCall.finish',
        {
          CALL_ID: callId,
          USER_ID: app.userId,
          DURATION: lead.talkSeconds ?? 0,
          STATUS_CODE: STATUS_CODE[lead.outcome ?? ''] ?? 'OTHER',
          ADD_TO_CHAT: 0,
        },
        ctx,
        true,
      );
      finished = true;
      out.b24Finished = true;
    }
    // attachRecord must follow finish ("Call is not found in the statistic table" otherwise); a repeat replaces it.
    if (finished && lead.recordingUrl && known.b24RecordUrl !== lead.recordingUrl) {
      await this.call(
        'telephony.externalCall.attachRecord',
        { CALL_ID: callId, RECORD_URL: lead.recordingUrl, FILENAME: `call-${lead.callId}.mp3` },
        ctx,
        true,
      );
      out.b24RecordUrl = lead.recordingUrl;
    }
    return out;
  }

  private async call(method: string, params: Record<string, unknown>, ctx: LeadDeliveryContext, asApp = false): Promise<unknown> {
    const app = this.cfg.app;
    const url =
      asApp && app ? `${app.portalUrl.replace(/\/+$/, '')}/rest/${method}.json` : `${this.cfg.webhookUrl.replace(/\/+$/, '')}/${method}.json`;
    const body = asApp && app ? { ...params, auth: app.accessToken } : params;
    const a = await crmRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
    });
    let parsed: B24Answer | null = null;
    try {
      parsed = JSON.parse(a.text) as B24Answer;
    } catch {
      parsed = null;
    }
    if (a.status >= 200 && a.status < 300 && parsed && !parsed.error) return parsed.result;
    const code = parsed?.error ?? '';
    const detail = [code, parsed?.error_description].filter(Boolean).join(': ');
    // Leaky bucket overflow (503 QUERY_LIMIT_EXCEEDED) and method time budget (429 OPERATION_TIME_LIMIT): wait and retry.
    if (code === 'QUERY_LIMIT_EXCEEDED' || code === 'OPERATION_TIME_LIMIT') {
      return Promise.reject(new DeliveryError(`Bitrix24 ${method}: ${detail}`, { retryable: true, retryAfterMs: 2_000 }));
    }
    // An expired OAuth token is refreshed out of band; until then keep the lead waiting rather than dropping it.
    if (code === 'expired_token') return Promise.reject(new DeliveryError(`Bitrix24 ${method}: ${detail}`, { retryable: true }));
    return Promise.reject(httpFailure(`Bitrix24 ${method}`, a, detail));
  }
}
