import type { NumberContext } from '../attribution/attribution-read-model.js';
import type { Attribution } from '../attribution/attribution-types.js';
import type { CallRingingEvent } from './call-events.js';
import type { NewCall } from './call-types.js';

/** A call to a number that is not one of ours (routed by the site's fallback): nothing to match against. */
export function unmatchedAttribution(now: Date): Attribution {
  return {
    method: 'channel',
    sessionId: null,
    visitorId: null,
    channelId: null,
    score: 0,
    candidates: [],
    assignedBy: 'auto',
    assignedAt: now.toISOString(),
  };
}

/** The row a ringing event creates, one by one or in a batch alike. */
export function newCallRow(
  id: string,
  e: CallRingingEvent,
  where: { accountId: string; siteId: string | null; ctx: NumberContext | null },
  facts: { attr: Attribution | null; firstTime: boolean | null; blocked: boolean },
): NewCall {
  const { accountId, siteId, ctx } = where;
  const { attr } = facts;
  return {
    id,
    accountId,
    siteId,
    provider: e.provider,
    providerCallId: e.providerCallId,
    trackingNumberId: ctx?.trackingNumberId ?? null,
    trackingE164: e.trackingNumber,
    caller: e.caller,
    forwardTo: e.forwardTo ?? ctx?.forwardTo ?? null,
    startedAt: e.occurredAt,
    sessionId: attr?.sessionId ?? null,
    visitorId: attr?.visitorId ?? null,
    channelId: attr?.channelId ?? ctx?.channelId ?? null,
    attribution: attr,
    firstTimeCaller: facts.firstTime,
    blocked: facts.blocked,
  };
}
