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

/** amoCRM's tracking-data fields (UTM_*, GCLID, YCLID) from what is known of the visit; empty ones left out. */
export function amoTrackingFields(a: {
  readonly source: string | null;
  readonly medium: string | null;
  readonly campaign: string | null;
  readonly content: string | null;
  readonly keyword: string | null;
  readonly referrer: string | null;
  readonly clickIds: Readonly<Record<string, string | undefined>>;
}): { field_code: string; values: { value: string }[] }[] {
  return Object.entries({
    UTM_SOURCE: a.source,
    UTM_MEDIUM: a.medium,
    UTM_CAMPAIGN: a.campaign,
    UTM_CONTENT: a.content,
    UTM_TERM: a.keyword,
    UTM_REFERRER: a.referrer,
    GCLID: a.clickIds['gclid'],
    YCLID: a.clickIds['yclid'],
  })
    .filter((e): e is [string, string] => Boolean(e[1]))
    .map(([field_code, value]) => ({ field_code, values: [{ value }] }));
}

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
    const tracking = amoTrackingFields(a);
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
      // amoCRM's call log knows inbound and outbound only; a callback is placed by the business, so it is outbound.
      direction: lead.direction === 'callback' ? 'outbound' : 'inbound',
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
      fetch: ctx.fetch,
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
    // Only amoCRM's own problem fields (RFC 7807 title/detail), never the raw answer: the text ends up in the
    // outbox's last error, which admins read, and must not echo whatever a misdirected URL answered.
    return Promise.reject(httpFailure(`amoCRM ${path}`, a, problemDetail(a.text)));
  }
}

function problemDetail(text: string): string {
  try {
    const p = JSON.parse(text) as { title?: unknown; detail?: unknown };
    const parts = [p.title, p.detail].filter((x): x is string => typeof x === 'string' && x.length > 0);
    return parts
      .join(': ')
      .replace(/[^\p{L}\p{N} .,:;'"()_-]/gu, '')
      .slice(0, 120);
  } catch {
    return '';
  }
}
