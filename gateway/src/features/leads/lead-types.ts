import type { Locale } from '../../i18n/i18n.js';
import type { CallChange } from '../calls/call-change-hook.js';

export type LeadTrigger = CallChange['trigger'];

export const LEAD_TRIGGERS: readonly LeadTrigger[] = ['call.started', 'call.answered', 'call.ended', 'recording.ready', 'attribution.changed'];

/** Where the caller came from, as known when the lead is delivered. */
export interface LeadAttribution {
  readonly source: string | null;
  readonly medium: string | null;
  readonly campaign: string | null;
  /** utm_term: the search keyword. */
  readonly keyword: string | null;
  readonly content: string | null;
  readonly landingPage: string | null;
  readonly referrer: string | null;
  /** The channel's kind (paid_search, organic_search...). */
  readonly channel: string | null;
  /** The channel's name as the account calls it ("Google Ads"). */
  readonly channelName: string | null;
  /** gclid, yclid, fbclid... as captured on the visit. */
  readonly clickIds: Readonly<Record<string, string>>;
}

/** A tracked call as a CRM sees it: who called, from which campaign, how it went, where to listen to it. */
export interface Lead {
  readonly accountId: string;
  readonly callId: string;
  readonly siteId: string | null;
  /** The change this delivery reports. */
  readonly trigger: LeadTrigger;
  readonly caller: string;
  readonly trackingNumber: string;
  /** "callback": the gateway placed it for a callback request (absent: inbound). */
  readonly direction?: 'inbound' | 'callback';
  readonly status: 'ringing' | 'answered' | 'ended';
  readonly outcome: 'completed' | 'busy' | 'no-answer' | 'canceled' | 'failed' | null;
  readonly startedAt: Date;
  readonly answeredAt: Date | null;
  readonly endedAt: Date | null;
  readonly ringSeconds: number | null;
  readonly talkSeconds: number | null;
  readonly firstTimeCaller: boolean | null;
  readonly recordingUrl: string | null;
  /** The site's currency (ISO 4217): the currency of `lead.amount` and of conversion values. */
  readonly currency: string;
  /** The customer lead this call belongs to; `repeat`: the call joined a lead an earlier call started. */
  readonly lead: LeadMembershipView | null;
  /** The attributed visit, with the analytics ids the widget captured (`ga`, `ym`). */
  readonly session: { readonly id: string; readonly startedAt: Date | null; readonly clientIds: Readonly<Record<string, string>> } | null;
  readonly attribution: LeadAttribution;
  /** The site's language for titles and comments written into the CRM (absent: en). */
  readonly locale?: Locale;
}

export interface LeadMembershipView {
  readonly id: string;
  /** The call that started the lead; CRM records created for it are the lead's. */
  readonly firstCallId: string;
  readonly repeat: boolean;
  /** Calls the lead has so far, this one included. */
  readonly calls: number;
  readonly status: 'open' | 'won' | 'lost';
  readonly amount: number | null;
}

/** What we remember of a lead in one CRM, so the next event updates it. */
export interface CrmLeadRecord {
  readonly sinkId: string;
  readonly callId: string;
  /** The customer lead the record stands for (null on records made before leads existed). */
  readonly leadId?: string | null;
  readonly externalRecordId: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface DeliveryResult {
  readonly externalRecordId: string;
  /** Sink-specific ids to keep for later events (merged into the stored record). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface LeadDeliveryContext {
  readonly signal: AbortSignal;
  /** Stable across retries of one event: the receiver's idempotency key. */
  readonly deliveryId: string;
  /** Every request to the CRM goes through it (the outbound guard: no private or metadata addresses). */
  readonly fetch: typeof fetch;
}

/** One CRM (or webhook endpoint) that takes leads. Implementations live in `adapters/crm/`. */
export interface LeadSink {
  /**
   * Creates the lead, or updates the record `previous` points at. Must be safe to repeat: a delivery whose answer
   * was lost is sent again, so creation checks the CRM for our call id first where the CRM allows it.
   * Throws `DeliveryError` (retryable or not) or `SinkGoneError`.
   */
  deliver(lead: Lead, previous: CrmLeadRecord | null, ctx: LeadDeliveryContext): Promise<DeliveryResult>;
}
