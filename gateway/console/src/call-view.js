// How a call reads in words: channel, source/medium, campaign, keyword, outcome. The calls API gives `channel`
// {id,name,kind} and the visit's fields; older gateways give only channelId, which the channel list names.
import { html } from './html.js';
import { locale, t, tEnum } from './i18n.js';
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

/**
 * A delivery's last error. The gateway writes these for operators, in English; other languages get the gist in
 * words (the HTTP status, a timeout, a refused address, the mail relay missing) and the original as a tooltip.
 */
export function DeliveryError({ text }) {
  if (!text) return '—';
  if (locale.value === 'en') return html`<span class="small break">${text}</span>`;
  const status = /(?:answered|^HTTP) (\d{3})/.exec(text)?.[1];
  const gist = status
    ? t('deliveryError.http', { status })
    : /MAIL_RELAY_URL/.test(text)
      ? t('deliveryError.noRelay')
      : /timed out/.test(text)
        ? t('deliveryError.timeout')
        : /refused/.test(text)
          ? t('deliveryError.refused')
          : t('deliveryError.other');
  const attempts = /after (\d+) attempts/.exec(text)?.[1];
  return html`<span class="small break" title=${text}>${gist}${attempts ? ` · ${t('card.attempts', { count: Number(attempts) })}` : ''}</span>`;
}

const DELIVERY_TONE = { delivered: 'ok', dead: 'bad', pending: 'warn', delivering: 'info', cancelled: 'neutral' };
/** The demo's outbox rows carry `demo: true`: samples of what deliveries look like, never sent anywhere. */
export const isDemoDelivery = (m) => m.payload?.demo === true;

/** A delivery's status; a demo sample says so next to it, so it is never taken for a real delivery. */
export function DeliveryStatus({ m }) {
  const status = html`<${Badge} tone=${DELIVERY_TONE[m.status]}>${tEnum('delivery', m.status)}</${Badge}>`;
  return isDemoDelivery(m)
    ? html`<span class="badges">${status} <${Badge} tone="neutral" title=${t('delivery.demoHint')}>${t('delivery.demo')}</${Badge}></span>`
    : status;
}

/** A delivery's error column: a demo sample's says nothing was sent. */
export function DeliveryNote({ m, attempts = false }) {
  if (isDemoDelivery(m)) return html`<span class="small muted">${t('delivery.demoHint')}</span>`;
  if (m.lastError) return html`<${DeliveryError} text=${m.lastError} />`;
  return attempts && m.attempts > 1 ? t('card.attempts', { count: m.attempts }) : '—';
}

/** Only a real failed or cancelled delivery can be sent again. */
export const canRetry = (m) => !isDemoDelivery(m) && (m.status === 'dead' || m.status === 'cancelled');

/** Where an outbox row leads: the call, or the inquiry (a form, callback or email; a forwarded email). */
export function deliveryTarget(m) {
  if (m.payload?.callId) return `#/calls/${m.payload.callId}`;
  if (m.payload?.inquiryId) return `#/inquiries/${m.payload.inquiryId}`;
  return null;
}
