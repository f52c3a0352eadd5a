// One form, callback request or email (GET /v1/inquiries/{id}): what was sent, where it came from, its lead; a
// callback shows the call it placed with the recording (GET /v1/calls/{callId}).
import { api } from '../api.js';
import { OutcomeBadge, callDuration } from '../call-view.js';
import { html } from '../html.js';
import { fmtDateTime, fmtDuration, t, tEnum } from '../i18n.js';
import { fmtPhone } from '../phone.js';
import { href } from '../router.js';
import { Badge, Card, ErrorBox, Loading, Page, useAsync } from '../ui.js';
import { Player } from './call-card.js';
import { KindBadge } from './inquiries.js';

const statusTone = { received: 'ok', queued: 'warn', placing: 'info', placed: 'ok', failed: 'bad' };
const dash = (v) => v || '—';
const Facts = ({ rows }) => html`<dl class="facts inquiry-facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;

function who(i) {
  if (i.kind === 'email') return i.name && i.email ? `${i.name} <${i.email}>` : (i.email ?? t('inquiry.anonymous'));
  return i.name || (i.phone ? fmtPhone(i.phone) : null) || i.email || t('inquiry.anonymous');
}

function FormFields({ i }) {
  const fields = Object.entries(i.fields || {});
  return html`<${Facts}
      rows=${[
        [t('inquiry.name'), dash(i.name)],
        [t('inquiry.phone'), i.phone ? html`<span class="nowrap">${fmtPhone(i.phone)}</span>` : '—'],
        [t('inquiry.email'), i.email ? html`<span class="break">${i.email}</span>` : '—'],
        [t('inquiry.subject'), dash(i.subject)],
        [t('inquiry.message'), i.message ? html`<span class="pre">${i.message}</span>` : '—'],
        ...fields.map(([k, v]) => [html`<span class="break">${k}</span>`, html`<span class="pre">${v}</span>`]),
        [t('inquiry.page'), i.pageUrl ? html`<span class="break">${i.pageUrl}</span>` : '—'],
      ]}
    />
    ${fields.length ? null : html`<p class="muted small">${t('inquiry.noFields')}</p>`}
    <p class="muted small">${t('inquiry.privacy')}</p>`;
}

function Mail({ i }) {
  return html`<${Facts}
      rows=${[
        [t('inquiry.from'), html`<span class="break">${who(i)}</span>`],
        [t('inquiry.to'), i.alias ? html`<span class="break">${i.alias}</span>` : '—'],
        [t('inquiry.subject'), dash(i.subject)],
        [t('inquiry.forwarded'), i.forwardedAt ? fmtDateTime(i.forwardedAt) : t('inquiry.notForwarded')],
      ]}
    />
    ${i.message ? html`<pre class="mail-text">${i.message}</pre>` : html`<p class="muted">${t('inquiry.noText')}</p>`}`;
}

function CallbackCall({ callId }) {
  const card = useAsync(() => api(`/v1/calls/${encodeURIComponent(callId)}`), [callId]);
  if (card.error) return html`<${ErrorBox} error=${card.error} retry=${card.reload} />`;
  if (!card.data) return html`<${Loading} />`;
  const { call } = card.data;
  return html`<${Facts}
      rows=${[
        [t('inquiry.callOutcome'), html`<${OutcomeBadge} call=${call} />`],
        [t('calls.col.started'), fmtDateTime(call.startedAt)],
        [t('calls.col.duration'), fmtDuration(callDuration(call))],
      ]}
    />
    <${Player} card=${card.data} />
    <p><a class="btn btn-small" href=${`#/calls/${call.id}`}>${t('inquiry.openCall')} →</a></p>`;
}

function Callback({ i }) {
  return html`<${Facts}
    rows=${[
      [t('inquiry.phone'), i.phone ? html`<span class="nowrap">${fmtPhone(i.phone)}</span>` : '—'],
      [t('inquiry.name'), dash(i.name)],
      [t('inquiries.col.status'), html`<${Badge} tone=${statusTone[i.status]}>${tEnum('inquiryStatus', i.status)}</${Badge}>`],
      ...(i.dueAt ? [[t('inquiry.dueAt'), fmtDateTime(i.dueAt)]] : []),
      ...(i.callbackOutcome ? [[t('inquiry.callbackOutcome'), tEnum('callbackOutcome', i.callbackOutcome)]] : []),
      [t('inquiry.page'), i.pageUrl ? html`<span class="break">${i.pageUrl}</span>` : '—'],
    ]}
  />`;
}

function Attribution({ i }) {
  const a = i.attribution || {};
  return html`<${Facts}
      rows=${[
        [t('inquiry.channel'), a.channelName ?? t('common.none')],
        ['utm_source / utm_medium', `${a.source ?? '—'} / ${a.medium ?? '—'}`],
        ['utm_campaign', dash(a.campaign)],
        [t('inquiry.keyword'), dash(a.keyword)],
        [t('card.landing'), a.landingPage ? html`<span class="break">${a.landingPage}</span>` : '—'],
        [t('card.referrer'), a.referrer ? html`<span class="break">${a.referrer}</span>` : '—'],
        [t('inquiry.visit'), i.sessionId ? html`<code>${i.sessionId.slice(-10)}</code>` : t('inquiry.noVisit')],
      ]}
    />`;
}

function Lead({ i }) {
  if (!i.lead) return html`<p class="muted">${t('inquiry.noLead')}</p>`;
  const about = [i.lead.repeat ? t('inquiry.leadRepeat') : t('inquiry.leadFirst'), t('inquiry.leadCount', { count: i.lead.inquiries })];
  return html`<p><code>${i.lead.id.slice(-10)}</code> · ${about.join(' · ')}</p>
    <p><a class="btn btn-small" href=${href('/inquiries', { lead: i.lead.id })}>${t('inquiries.sameLead')}</a></p>`;
}

export function InquiryCard({ params }) {
  const res = useAsync(() => api(`/v1/inquiries/${encodeURIComponent(params.id)}`), [params.id]);
  const back = html`<a href="#/inquiries">← ${t('inquiries.back')}</a>`;
  if (res.error && !res.data)
    return html`<${Page} title=${t('inquiry.title')}><${ErrorBox} error=${res.error} retry=${res.reload} /><p>${back}</p></${Page}>`;
  if (!res.data) return html`<${Loading} />`;
  const i = res.data;
  const main =
    i.kind === 'email'
      ? html`<${Card} title=${t('inquiry.mail')}><${Mail} i=${i} /></${Card}>`
      : i.kind === 'callback'
        ? html`<${Card} title=${t('inquiry.callback')}><${Callback} i=${i} /></${Card}>
            <${Card} title=${t('inquiry.callbackCall')}>${i.callId ? html`<${CallbackCall} callId=${i.callId} />` : html`<p class="muted">${t('inquiry.noCall')}</p>`}</${Card}>`
        : html`<${Card} title=${t('inquiry.fields')}><${FormFields} i=${i} /></${Card}>`;
  return html`<${Page} title=${t(`inquiry.heading.${i.kind}`, { who: who(i) })} subtitle=${back}
      actions=${html`<${KindBadge} kind=${i.kind} />`}>
    <div class="summary-grid">
      <div class="stat"><span class="stat-label">${t('inquiry.received')}</span><span class="stat-value small">${fmtDateTime(i.receivedAt)}</span></div>
      <div class="stat"><span class="stat-label">${t('inquiry.channel')}</span><span class="stat-value small">${i.attribution?.channelName ?? t('common.none')}</span></div>
      <div class="stat"><span class="stat-label">${t('calls.col.campaign')}</span><span class="stat-value small">${dash(i.attribution?.campaign)}</span></div>
      <div class="stat"><span class="stat-label">${t('inquiry.via')}</span><span class="stat-value small">${tEnum('inquiryOrigin', i.origin)}</span></div>
    </div>
    <div class="grid-2">
      <div class="stack">${main}</div>
      <div class="stack">
        <${Card} title=${t('inquiry.attribution')}><${Attribution} i=${i} /></${Card}>
        <${Card} title=${t('inquiry.lead')}><${Lead} i=${i} /></${Card}>
      </div>
    </div>
  </${Page}>`;
}
