// How a call reads in words: channel, source/medium, campaign, keyword, outcome. The calls API gives `channel`
// {id,name,kind} and the visit's fields; older gateways give only channelId, which the channel list names.
import { html } from './html.js';
import { t, tEnum } from './i18n.js';
import { Badge } from './ui.js';

export const channelName = (call, channels) => call.channel?.name ?? channels?.get(call.channelId)?.name ?? null;
export const sourceMedium = (c) => {
  const s = c.source ?? c.journey?.utm?.source ?? null;
  const m = c.medium ?? c.journey?.utm?.medium ?? null;
  return s || m ? `${s ?? '—'} / ${m ?? '—'}` : null;
};

export function outcomeTone(c) {
  if (c.status === 'ringing') return 'warn';
  if (c.status === 'answered') return 'info';
  return c.outcome === 'completed' ? 'ok' : 'bad';
}
export function OutcomeBadge({ call }) {
  const key = call.status === 'ended' ? call.outcome || 'ended' : call.status;
  return html`<${Badge} tone=${outcomeTone(call)}>${tEnum('outcome', key)}</${Badge}>`;
}
export const callDuration = (c) => c.durationSeconds ?? c.talkSeconds;
export const methodLabel = (m) => tEnum('method', m);
export const NONE = () => t('common.none');
