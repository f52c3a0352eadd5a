import { DeliveryError } from '../../features/outbox/outbox-handler.js';
import type { CrmLeadRecord, DeliveryResult, Lead, LeadDeliveryContext, LeadSink } from '../../features/leads/lead-types.js';
import { crmRequest, httpFailure } from './crm-http.js';
import { amoSourceName, callResult, leadTitle } from './lead-texts.js';

/**
 * amoCRM / Kommo API v4 (amocrm/amocrm-api-php; fixtures/crm/amocrm). A call becomes an incoming lead in
 * "Incoming leads" (`POST /api/v4/leads/unsorted/sip`) with UTM tracking fields and the recording in metadata.link;
 * a later event (the recording) is logged with `POST /api/v4/calls`, which attaches to the contact found by phone.
 */
export interface AmoCrmConfig {
  /** https://{subdomain}.amocrm.ru (or .kommo.com) */
  readonly baseUrl: string;
  readonly accessToken: string;
  readonly pipelineId?: number | undefined;
  readonly sourceName?: string | undefined;
  readonly timeoutMs: number;
}

export const AMO_SOURCE_UID = 'calltracking-gw';
const SERVICE_CODE = 'calltracking_gw';

interface UnsortedAnswer {
  _embedded?: { unsorted?: { uid?: string; _embedded?: { leads?: { id?: number }[] } }[] };
}

const unix = (d: Date): number => Math.floor(d.getTime() / 1000);

export class AmoCrmSink implements LeadSink {
  constructor(private readonly cfg: AmoCrmConfig) {}

  async deliver(lead: Lead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    if (previous) {
      // The record exists (this call's, or the lead's for a repeat call): log the call on the contact the lead has,
      // once it has ended (a repeat call) or once its recording is there, never a second incoming lead.
      const repeatEnded = lead.lead?.repeat === true && lead.status === 'ended' && previous.details.callLogged !== true;
      const newRecording = lead.recordingUrl !== null && previous.details.recordUrl !== lead.recordingUrl;
      if (repeatEnded || newRecording) {
        await this.post('/api/v4/calls', [this.callLog(lead)], ctx);
        return {
          externalRecordId: previous.externalRecordId,
          details: { callLogged: true, ...(lead.recordingUrl ? { recordUrl: lead.recordingUrl } : {}) },
        };
      }
      return { externalRecordId: previous.externalRecordId };
    }
    const answer = (await this.post('/api/v4/leads/unsorted/sip', [this.unsorted(lead)], ctx)) as UnsortedAnswer;
    const item = answer._embedded?.unsorted?.[0];
    if (!item?.uid) throw new DeliveryError('amoCRM leads/unsorted/sip answered without an unsorted uid', { retryable: false });
    const leadId = item._embedded?.leads?.[0]?.id;
    return { externalRecordId: item.uid, details: { ...(leadId ? { leadId } : {}), ...(lead.recordingUrl ? { recordUrl: lead.recordingUrl } : {}) } };
  }

  unsorted(lead: Lead): Record<string, unknown> {
    const a = lead.attribution;
    const tracking = Object.entries({
      UTM_SOURCE: a.source,
      UTM_MEDIUM: a.medium,
      UTM_CAMPAIGN: a.campaign,
      UTM_CONTENT: a.content,
      UTM_TERM: a.keyword,
      UTM_REFERRER: a.referrer,
      GCLID: a.clickIds.gclid,
      YCLID: a.clickIds.yclid,
    })
      .filter(([, v]) => v)
      .map(([field_code, value]) => ({ field_code, values: [{ value }] }));
    return {
      source_name: this.cfg.sourceName ?? amoSourceName(lead),
      source_uid: AMO_SOURCE_UID,
      created_at: unix(lead.startedAt),
      ...(this.cfg.pipelineId ? { pipeline_id: this.cfg.pipelineId } : {}),
      metadata: {
        from: lead.caller,
        phone: lead.trackingNumber,
        called_at: unix(lead.startedAt),
        duration: lead.talkSeconds ?? 0,
        link: lead.recordingUrl ?? '',
        service_code: SERVICE_CODE,
        uniq: lead.lead?.firstCallId ?? lead.callId,
        is_call_event_needed: true,
      },
      _embedded: {
        leads: [{ name: leadTitle(lead), ...(tracking.length ? { custom_fields_values: tracking } : {}) }],
        contacts: [{ name: lead.caller, custom_fields_values: [{ field_code: 'PHONE', values: [{ value: lead.caller }] }] }],
      },
    };
  }

  callLog(lead: Lead): Record<string, unknown> {
    const talked = lead.outcome === 'completed' && (lead.talkSeconds ?? 0) > 0;
    return {
      direction: 'inbound',
      uniq: lead.callId,
      duration: lead.talkSeconds ?? 0,
      source: AMO_SOURCE_UID,
      link: lead.recordingUrl,
      phone: lead.caller,
      call_result: callResult(lead),
      // call_status (CallInterface): 4 conversation took place, 6 not phoned through, 7 busy.
      call_status: talked ? 4 : lead.outcome === 'busy' ? 7 : 6,
      call_responsible: lead.trackingNumber,
    };
  }

  private async post(path: string, body: unknown, ctx: LeadDeliveryContext): Promise<unknown> {
    const a = await crmRequest(`${this.cfg.baseUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.cfg.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.cfg.timeoutMs,
      signal: ctx.signal,
    });
    if (a.status >= 200 && a.status < 300) {
      try {
        return JSON.parse(a.text);
      } catch {
        return {};
      }
    }
    // 401: the token expired; it is refreshed out of band, so keep the lead waiting rather than dropping it.
    if (a.status === 401) return Promise.reject(new DeliveryError(`amoCRM ${path} answered 401 (token expired or revoked)`, { retryable: true }));
    return Promise.reject(httpFailure(`amoCRM ${path}`, a, a.text.slice(0, 200)));
  }
}
