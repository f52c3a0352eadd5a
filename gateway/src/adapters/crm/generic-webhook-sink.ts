import type { CrmLeadRecord, DeliveryResult, Lead, LeadDeliveryContext, LeadSink, LeadTrigger } from '../../features/leads/lead-types.js';
import type { Clock } from '../../shared/clock.js';
import { SinkGoneError, crmRequest, httpFailure } from './crm-http.js';
import { signWebhook } from './standard-webhooks.js';

export interface GenericWebhookConfig {
  readonly url: string;
  /** whsec_... */
  readonly secret: string;
  readonly timeoutMs: number;
}

const EVENT_TYPES: Record<LeadTrigger, string> = {
  'call.started': 'call.started',
  'call.answered': 'call.answered',
  'call.ended': 'call.completed',
  'recording.ready': 'call.recording_ready',
  'attribution.changed': 'call.attribution_changed',
};

const iso = (d: Date | null): string | null => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

/**
 * The event body: `{type, timestamp, data}`, with `data` shaped like fixtures/crm/webhooks/signed-delivery.sample.json.
 * A repeat call (one that joined the lead of an earlier call) is a `lead.updated` event naming the lead, with the
 * call's own event in `data.call_event`: receivers update the record they made for the lead instead of adding one.
 */
export function webhookEvent(lead: Lead, now: Date): { type: string; timestamp: string; data: Record<string, unknown> } {
  const a = lead.attribution;
  const waitS = lead.answeredAt ? Math.round((lead.answeredAt.getTime() - lead.startedAt.getTime()) / 1000) : lead.ringSeconds;
  const callEvent = EVENT_TYPES[lead.trigger];
  return {
    type: lead.lead?.repeat ? 'lead.updated' : callEvent,
    timestamp: iso(now)!,
    data: {
      call_id: lead.callId,
      call_event: callEvent,
      lead_id: lead.lead?.id ?? null,
      lead_first_call_id: lead.lead?.firstCallId ?? lead.callId,
      lead_calls: lead.lead?.calls ?? 1,
      repeat_call: lead.lead?.repeat ?? false,
      site_id: lead.siteId,
      caller: lead.caller,
      tracking_number: lead.trackingNumber,
      direction: lead.direction ?? 'inbound',
      status: lead.status,
      outcome: lead.outcome,
      started_at: iso(lead.startedAt),
      answered_at: iso(lead.answeredAt),
      ended_at: iso(lead.endedAt),
      wait_s: waitS,
      talk_s: lead.talkSeconds,
      first_time_caller: lead.firstTimeCaller,
      recording_url: lead.recordingUrl,
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

/**
 * POSTs one event signed per Standard Webhooks (`webhook-id` is the delivery id, stable across retries). 2xx is
 * success; 410 disables the endpoint; anything else is a failure the outbox retries or gives up on.
 */
export async function postSignedEvent(
  cfg: { readonly url: string; readonly secret: string; readonly timeoutMs: number },
  event: unknown,
  now: Date,
  ctx: LeadDeliveryContext,
): Promise<void> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(now.getTime() / 1000);
  const a = await crmRequest(cfg.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'calltrack-gateway',
      'webhook-id': ctx.deliveryId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(cfg.secret, ctx.deliveryId, timestamp, body),
    },
    body,
    timeoutMs: cfg.timeoutMs,
    signal: ctx.signal,
    fetch: ctx.fetch,
  });
  if (a.status === 410) throw new SinkGoneError('The webhook endpoint answered 410 Gone');
  if (a.status < 200 || a.status > 299) throw httpFailure('The webhook endpoint', a);
}

/**
 * A generic HTTPS endpoint signed per Standard Webhooks. The receiver dedupes on `webhook-id`, which stays the same
 * for every retry of one event; 2xx is success, 410 disables the endpoint, 408/429/5xx and timeouts are retried.
 */
export class GenericWebhookSink implements LeadSink {
  constructor(
    private readonly cfg: GenericWebhookConfig,
    private readonly clock: Clock,
  ) {}

  async deliver(lead: Lead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult> {
    const now = this.clock.now();
    await postSignedEvent(this.cfg, webhookEvent(lead, now), now, ctx);
    // The receiver's record is the lead's: named by its first call, whichever call this event is about.
    return { externalRecordId: previous?.externalRecordId ?? lead.lead?.firstCallId ?? lead.callId };
  }
}
