import { translator } from '../../i18n/i18n.js';
import type { Lead } from '../../features/leads/lead-types.js';

/**
 * Every text a person reads in a CRM, built in one place for all sinks (titles, comments, source descriptions), in
 * the site's language from the message catalogs.
 */

const tr = (lead: Lead) => translator(lead.locale ?? 'en');
const via = (lead: Lead): string => [lead.attribution.source, lead.attribution.medium].filter(Boolean).join(' / ');
const outcomeText = (lead: Lead): string | null => (lead.outcome ? tr(lead)(`outcome.${lead.outcome}`) : null);

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
  return sm ? tr(lead)('lead.titleVia', { caller: lead.caller, via: sm }) : tr(lead)('lead.title', { caller: lead.caller });
}

export function sourceDescription(lead: Lead): string {
  const name = lead.attribution.channelName ?? lead.attribution.channel;
  const t = tr(lead);
  return [t('lead.sourceDescription', { number: lead.trackingNumber }), name ? t('lead.channel', { channel: name }) : null]
    .filter(Boolean)
    .join(', ');
}

const hms = (s: number): string =>
  `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;

/** The outcome, talk time and recording of a call, as sentence parts. */
function callFacts(lead: Lead): (string | null)[] {
  const t = tr(lead);
  const outcome = outcomeText(lead);
  return [outcome ? t('lead.outcome', { outcome }) : null, lead.talkSeconds !== null ? t('lead.talk', { count: lead.talkSeconds }) : null];
}

/** One call in a sentence: number, outcome, talk time, landing page, recording. */
export function callSummary(lead: Lead): string {
  const t = tr(lead);
  const a = lead.attribution;
  return [
    t('lead.incomingCall', { number: lead.trackingNumber }),
    ...callFacts(lead),
    a.landingPage ? t('lead.landingPage', { url: a.landingPage }) : null,
    lead.recordingUrl ? t('lead.recording', { url: lead.recordingUrl }) : null,
  ]
    .filter(Boolean)
    .join('. ');
}

/** A later call of a customer whose lead exists: what the CRM record is updated with. */
export function repeatCallNote(lead: Lead): string {
  const t = tr(lead);
  const at = lead.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return [
    t('lead.repeatCall', { count: lead.lead?.calls ?? 2, at, number: lead.trackingNumber }),
    ...callFacts(lead),
    lead.recordingUrl ? t('lead.recording', { url: lead.recordingUrl }) : null,
  ]
    .filter(Boolean)
    .join('. ');
}

export function retailCustomerComment(lead: Lead): string {
  const t = tr(lead);
  const rec = lead.recordingUrl;
  const outcome = outcomeText(lead);
  return `${t('lead.incomingCallDuration', { duration: hms(lead.talkSeconds ?? 0), number: lead.trackingNumber })}${outcome ? ` (${outcome})` : ''}.${rec ? ` ${t('lead.recording', { url: rec })}` : ''}`;
}

export function retailManagerComment(lead: Lead): string {
  const t = tr(lead);
  const rec = lead.recordingUrl;
  const origin = originText(lead);
  return [
    origin ? t('lead.managerCommentFrom', { origin }) : t('lead.managerComment'),
    lead.attribution.landingPage ? t('lead.landingPage', { url: lead.attribution.landingPage }) : null,
    rec ? t('lead.recordingLower', { url: rec }) : null,
  ]
    .filter(Boolean)
    .join('; ');
}

export function amoSourceName(lead: Lead): string {
  const name = lead.attribution.channelName;
  return name
    ? tr(lead)('lead.sourceNameChannel', { number: lead.trackingNumber, channel: name })
    : tr(lead)('lead.sourceName', { number: lead.trackingNumber });
}

/** amoCRM's call_result: the outcome in words. */
export function callResult(lead: Lead): string {
  const t = tr(lead);
  if (lead.outcome === 'completed' && (lead.talkSeconds ?? 0) > 0) return t('lead.callResult.talked');
  if (lead.outcome === 'busy') return t('lead.callResult.busy');
  return t('lead.callResult.notAnswered');
}

/** The caller's name on a CRM record when nothing better is known. */
export const callerName = (lead: Lead): string => tr(lead)('lead.callerName');
