import type { Lead } from '../../features/leads/lead-types.js';

/**
 * Every text a person reads in a CRM, built in one place for all sinks (titles, comments, source descriptions), so
 * the wording can move into message catalogs without touching the sinks.
 */

const via = (lead: Lead): string => [lead.attribution.source, lead.attribution.medium].filter(Boolean).join(' / ');

/** "Google Ads (google / cpc)", or what is known of it. */
export function originText(lead: Lead): string {
  const a = lead.attribution;
  const sm = via(lead);
  const name = a.channelName ?? a.channel;
  if (name && sm) return `${name} (${sm})`;
  return name ?? sm;
}

export function leadTitle(lead: Lead): string {
  const sm = via(lead);
  return `Call from ${lead.caller}${sm ? ` (${sm})` : ''}`;
}

export function sourceDescription(lead: Lead): string {
  const name = lead.attribution.channelName ?? lead.attribution.channel;
  return `Call tracking: number ${lead.trackingNumber}${name ? `, channel ${name}` : ''}`;
}

const hms = (s: number): string =>
  `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;

/** One call in a sentence: number, outcome, talk time, landing page, recording. */
export function callSummary(lead: Lead): string {
  const a = lead.attribution;
  const parts = [
    `Incoming call to ${lead.trackingNumber}`,
    lead.outcome ? `outcome ${lead.outcome}` : null,
    lead.talkSeconds !== null ? `talk ${lead.talkSeconds} s` : null,
    a.landingPage ? `landing page ${a.landingPage}` : null,
    lead.recordingUrl ? `Recording: ${lead.recordingUrl}` : null,
  ];
  return parts.filter(Boolean).join('. ');
}

/** A later call of a customer whose lead exists: what the CRM record is updated with. */
export function repeatCallNote(lead: Lead): string {
  const n = lead.lead?.calls ?? 2;
  const at = lead.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const parts = [
    `Repeat call (${n} calls in this lead) at ${at} to ${lead.trackingNumber}`,
    lead.outcome ? `outcome ${lead.outcome}` : null,
    lead.talkSeconds !== null ? `talk ${lead.talkSeconds} s` : null,
    lead.recordingUrl ? `Recording: ${lead.recordingUrl}` : null,
  ];
  return parts.filter(Boolean).join('. ');
}

export function retailCustomerComment(lead: Lead): string {
  const rec = lead.recordingUrl;
  return `Incoming call ${hms(lead.talkSeconds ?? 0)} to ${lead.trackingNumber}${lead.outcome ? ` (${lead.outcome})` : ''}.${rec ? ` Recording: ${rec}` : ''}`;
}

export function retailManagerComment(lead: Lead): string {
  const rec = lead.recordingUrl;
  const origin = originText(lead);
  return `Call-tracking lead${origin ? ` from ${origin}` : ''}${lead.attribution.landingPage ? `; landing page ${lead.attribution.landingPage}` : ''}${rec ? `; recording ${rec}` : ''}`;
}

export function amoSourceName(lead: Lead): string {
  const name = lead.attribution.channelName;
  return `Call tracking: ${lead.trackingNumber}${name ? ` (${name})` : ''}`;
}

/** amoCRM's call_result: the outcome in words. */
export function callResult(lead: Lead): string {
  if (lead.outcome === 'completed' && (lead.talkSeconds ?? 0) > 0) return 'Conversation took place';
  if (lead.outcome === 'busy') return 'Busy';
  return 'Not answered';
}
