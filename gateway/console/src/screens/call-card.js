import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { DeliveryNote, DeliveryStatus, OutcomeBadge, callDuration, canRetry, channelName, methodLabel, sourceMedium } from '../call-view.js';
import { html } from '../html.js';
import { fmtDateTime, fmtDuration, fmtPercent, fmtShortDateTime, locale, t, tEnum } from '../i18n.js';
import { fmtPhone } from '../phone.js';
import { isAdmin, me } from '../state.js';
import { ActionButton, Badge, Card, DataTable, Empty, ErrorBox, Loading, Page, toast, useAsync } from '../ui.js';
import { useChannels } from './calls.js';

const canHandle = () => ['owner', 'admin', 'manager'].includes(me.value.role);

export function Player({ card }) {
  const stored = card.recordings.filter((r) => r.playbackUrl);
  if (!stored.length) {
    const r = card.recordings[0];
    return html`<p class="muted">${r ? t('card.recordingStatus', { status: tEnum('recording', r.status) }) : t('card.noRecording')}</p>`;
  }
  return stored.map(
    (r) => html`<div class="player" key=${r.id}>
      <audio controls preload="none" src=${r.playbackUrl} aria-label=${t('calls.recordingOf', { caller: fmtPhone(card.call.caller) })}></audio>
      <span class="muted small">${fmtDuration(r.durationSeconds)} · ${r.channels === 2 ? t('card.stereo') : t('card.mono')}</span>
      <a class="btn btn-small btn-ghost" href=${`${r.playbackUrl}?download=true`}>${t('action.download')}</a>
    </div>`,
  );
}

function Journey({ j }) {
  if (!j) return html`<${Empty} title=${t('card.noJourney')} text=${t('card.noJourneyHint')} />`;
  const clickIds = Object.entries(j.clickIds || {});
  const rows = [
    [t('card.landing'), j.landingUrl ? html`<span class="break">${j.landingUrl}</span>` : '—'],
    [t('card.referrer'), j.referrer ? html`<span class="break">${j.referrer}</span>` : t('card.direct')],
    ['utm_source / utm_medium', `${j.utm.source ?? '—'} / ${j.utm.medium ?? '—'}`],
    ['utm_campaign', j.utm.campaign ?? '—'],
    ['utm_term', j.utm.term ?? '—'],
    ['utm_content', j.utm.content ?? '—'],
    [t('card.clickIds'), clickIds.length ? clickIds.map(([k, v]) => html`<code class="break">${k}=${String(v)}</code> `) : '—'],
    [t('card.device'), [j.device?.type && tEnum('deviceType', j.device.type), j.device?.os, j.device?.browser].filter(Boolean).join(' · ') || '—'],
    [t('card.visit'), `${fmtDateTime(j.firstSeenAt)} → ${fmtDateTime(j.lastSeenAt)}`],
  ];
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
    ${
      j.pages?.length
        ? html`<h3>${t('card.pages', { count: j.pages.length })}</h3><ol class="pages">${j.pages.map(
            (p) => html`<li><span class="break">${typeof p === 'string' ? p : (p.url ?? p.path ?? '')}</span></li>`,
          )}</ol>`
        : null
    }`;
}

function Evidence({ call, onChanged }) {
  const a = call.attribution;
  const [manual, setManual] = useState('');
  const reassign = async (sessionId) => {
    await api(`/v1/calls/${call.id}/attribution`, { method: 'PUT', body: { sessionId, reason: t('card.reassignReason') } });
    toast(t('card.reassigned'));
    onChanged();
  };
  const candidates = a?.candidates || [];
  return html`
    <p>${a ? html`${t('card.matchedBy')} <strong>${methodLabel(a.method)}</strong> · ${t('card.score')} ${fmtPercent(a.score)}${a.method === 'manual' ? html` · ${t('card.byHand')}` : null}` : t('card.unmatched')}</p>
    <${DataTable}
      caption=${t('card.evidence')}
      rowKey=${(c) => `${c.sessionId}-${c.method}`}
      columns=${[
        { label: t('card.col.method'), render: (c) => methodLabel(c.method) },
        {
          label: t('card.col.score'),
          className: 'num',
          render: (c) =>
            html`<span class="score"><span class="score-bar"><span class=${`score-fill w${Math.round(c.score * 10)}`}></span></span>${fmtPercent(c.score)}</span>`,
        },
        { label: t('card.col.session'), render: (c) => (c.sessionId ? html`<code>${c.sessionId.slice(-10)}</code>` : '—') },
        // The matcher writes its reasons in English; other languages get the method explained, the original as a tooltip.
        {
          label: t('card.col.reason'),
          render: (c) => (locale.value === 'en' ? c.reason || '—' : html`<span title=${c.reason}>${t(`methodWhy.${c.method}`)}</span>`),
        },
        {
          label: t('card.col.action'),
          render: (c) =>
            c.sessionId && c.sessionId !== call.sessionId && canHandle()
              ? html`<${ActionButton} className="btn btn-small" onClick=${() => reassign(c.sessionId)}>${t('card.assignHere')}</${ActionButton}>`
              : c.sessionId && c.sessionId === call.sessionId
                ? html`<${Badge} tone="ok">${t('card.current')}</${Badge}>`
                : '—',
        },
      ]}
      rows=${candidates}
      empty=${html`<p class="muted">${t('card.noCandidates')}</p>`}
    />
    ${
      canHandle()
        ? html`<form class="inline-form" onSubmit=${(e) => {
            e.preventDefault();
            if (manual.trim()) reassign(manual.trim()).catch((err) => toast(err.message, 'error'));
          }}>
            <label class="field grow"><span class="field-label">${t('card.reassignTo')}</span>
              <input name="sessionId" value=${manual} onInput=${(e) => setManual(e.currentTarget.value)} placeholder=${t('card.sessionId')} /></label>
            <button type="submit" class="btn">${t('card.reassign')}</button>
            <${ActionButton} className="btn btn-ghost" onClick=${() => reassign(null)}>${t('card.channelOnly')}</${ActionButton}>
          </form>`
        : null
    }`;
}

function Notes({ call, onChanged }) {
  const notes = useAsync(() => api(`/v1/calls/${call.id}/notes`), [call.id]);
  const [tag, setTag] = useState('');
  const [note, setNote] = useState(null);
  if (!notes.data) return html`<${ErrorBox} error=${notes.error} /><${Loading} />`;
  const n = notes.data;
  const save = async (patch) => {
    await api(`/v1/calls/${call.id}/notes`, { method: 'PATCH', body: patch });
    notes.reload();
    onChanged();
  };
  const editable = canHandle();
  return html`<div class="notes">
    <div class="tags" aria-label=${t('card.tags')}>
      ${n.tags.map((x) => html`<span class="tag">${x}${editable ? html`<button type="button" class="tag-x" aria-label=${t('card.removeTag', { tag: x })} onClick=${() => save({ tags: n.tags.filter((y) => y !== x) })}>×</button>` : null}</span>`)}
      ${n.tags.length ? null : html`<span class="muted">${t('card.noTags')}</span>`}
    </div>
    ${
      editable
        ? html`<form class="inline-form" onSubmit=${async (e) => {
            e.preventDefault();
            if (!tag.trim()) return;
            await save({ tags: [...n.tags, tag.trim()] }).catch((err) => toast(err.message, 'error'));
            setTag('');
          }}>
            <label class="field grow"><span class="field-label">${t('card.addTag')}</span><input name="tag" maxlength="40" value=${tag} onInput=${(e) => setTag(e.currentTarget.value)} /></label>
            <button type="submit" class="btn">${t('action.add')}</button>
          </form>
          <label class="field"><span class="field-label">${t('card.note')}</span>
            <textarea name="note" rows="3" maxlength="4000" onInput=${(e) => setNote(e.currentTarget.value)}>${note ?? n.note}</textarea></label>
          <div class="row">
            <${ActionButton} className="btn" onClick=${async () => {
              await save({ note: note ?? n.note });
              toast(t('card.saved'));
            }}>${t('action.saveNote')}</${ActionButton}>
            <${ActionButton} className=${n.spam ? 'btn btn-danger' : 'btn'} onClick=${() => save({ spam: !n.spam })} aria-pressed=${n.spam}>
              ${n.spam ? t('card.unmarkSpam') : t('card.markSpam')}</${ActionButton}>
            ${
              isAdmin() && call.siteId
                ? html`<${ActionButton} className="btn btn-danger" confirm=${t('card.blockConfirm', { caller: fmtPhone(call.caller) })} onClick=${async () => {
                    await api(`/v1/sites/${call.siteId}/blocked-callers`, {
                      method: 'POST',
                      body: { e164: call.caller, reason: t('card.blockReason') },
                    });
                    toast(t('card.blocked', { caller: fmtPhone(call.caller) }));
                    onChanged();
                  }}>${t('card.block')}</${ActionButton}>`
                : null
            }
          </div>`
        : html`<p>${n.note || html`<span class="muted">${t('card.noNote')}</span>`}</p>`
    }
  </div>`;
}

function Deliveries({ call }) {
  const res = useAsync(() => api('/v1/outbox', { query: { callId: call.id, limit: 50 } }), [call.id]);
  const sinks = useAsync(
    () => (call.siteId ? api(`/v1/sites/${call.siteId}/crm-sinks`).then((r) => new Map(r.items.map((s) => [s.id, s]))) : new Map()),
    [call.siteId],
  );
  if (res.error) return html`<${ErrorBox} error=${res.error} retry=${res.reload} />`;
  if (!res.data) return html`<${Loading} />`;
  return html`<${DataTable}
    caption=${t('card.deliveries')}
    columns=${[
      { label: t('card.col.sink'), render: (m) => sinks.data?.get(m.sinkId)?.name ?? m.sinkId ?? '—' },
      { label: t('card.col.event'), render: (m) => tEnum('trigger', m.payload?.trigger ?? m.topic) },
      { label: t('card.col.status'), render: (m) => html`<${DeliveryStatus} m=${m} />` },
      { label: t('card.col.error'), render: (m) => html`<${DeliveryNote} m=${m} attempts />` },
      { label: t('card.col.when'), render: (m) => html`<span class="nowrap">${fmtShortDateTime(m.deliveredAt ?? m.createdAt)}</span>` },
      {
        label: t('card.col.action'),
        render: (m) =>
          canRetry(m)
            ? html`<${ActionButton} className="btn btn-small" onClick=${async () => {
                await api(`/v1/outbox/${m.id}/retry`, { method: 'POST' });
                toast(t('card.retried'));
                res.reload();
              }}>${t('action.retry')}</${ActionButton}>`
            : '—',
      },
    ]}
    rows=${res.data.items}
    empty=${html`<p class="muted">${t('card.noDeliveries')}</p>`}
  />`;
}

export function AuditLines({ items, link = false }) {
  return html`<ol class="timeline">${items.map(
    (e) => html`<li key=${e.id}><time>${fmtDateTime(e.at)}</time> <strong>${e.actor.label ?? t('audit.system')}</strong> ${tEnum('action', e.action)}
      ${auditDetail(e)}${link ? auditTarget(e) : null}</li>`,
  )}</ol>`;
}

function auditTarget(e) {
  if (e.targetType === 'call' && e.targetId) return html` · <a href=${`#/calls/${e.targetId}`}>${t('audit.openCall')}</a>`;
  if (e.targetType === 'site' && e.targetId) return html` · <a href=${`#/sites/${e.targetId}`}>${t('audit.openSite')}</a>`;
  if (e.targetType && e.targetId) return html` <span class="muted small">(${tEnum('target', e.targetType)} …${e.targetId.slice(-6)})</span>`;
  return null;
}

function auditDetail(e) {
  const d = e.details || {};
  if (e.action === 'call.reassign') return html`<span class="muted"> — ${t('audit.reassignDetail', { from: short(d.from), to: short(d.to) })}</span>`;
  if (e.action === 'call.notes') {
    const parts = [];
    if (d.tags) parts.push(`${t('card.tags')}: ${(d.tags.to || []).join(', ') || '—'}`);
    if (d.note) parts.push(t('card.noteChanged'));
    if (d.spam) parts.push(d.spam.to ? t('card.markedSpam') : t('card.unmarkedSpam'));
    return parts.length ? html`<span class="muted"> — ${parts.join(' · ')}</span>` : null;
  }
  return null;
}
const short = (id) => (id ? `…${String(id).slice(-8)}` : t('card.channelOnly'));

function History({ call, version }) {
  const res = useAsync(() => api('/v1/audit', { query: { targetType: 'call', targetId: call.id, limit: 100 } }), [call.id, version]);
  if (res.error) return html`<${ErrorBox} error=${res.error} />`;
  if (!res.data) return html`<${Loading} />`;
  return res.data.items.length ? html`<${AuditLines} items=${res.data.items} />` : html`<p class="muted">${t('card.noHistory')}</p>`;
}

export function CallCard({ params }) {
  const [version, setVersion] = useState(0);
  const card = useAsync(() => api(`/v1/calls/${encodeURIComponent(params.id)}`), [params.id, version]);
  const channels = useChannels(card.data?.call.siteId);
  if (card.error && !card.data)
    return html`<${Page} title=${t('card.title')}><${ErrorBox} error=${card.error} retry=${card.reload} /><p><a href="#/calls">← ${t('card.back')}</a></p></${Page}>`;
  if (!card.data) return html`<${Loading} />`;
  const { call, journey } = card.data;
  const changed = () => setVersion((v) => v + 1);
  const source = sourceMedium({ ...call, journey });
  return html`<${Page} title=${t('card.heading', { caller: fmtPhone(call.caller) })}
      subtitle=${html`<a href="#/calls">← ${t('card.back')}</a>`}
      actions=${html`<${OutcomeBadge} call=${call} />`}>
    <div class="summary-grid">
      <div class="stat"><span class="stat-label">${t('calls.col.started')}</span><span class="stat-value small">${fmtDateTime(call.startedAt)}</span></div>
      <div class="stat"><span class="stat-label">${t('calls.col.channel')}</span><span class="stat-value small">${channelName(call, channels.data) ?? t('common.none')}</span></div>
      <div class="stat"><span class="stat-label">${t('calls.col.sourceMedium')}</span><span class="stat-value small">${source ?? '—'}</span></div>
      <div class="stat"><span class="stat-label">${t('calls.col.number')}</span><span class="stat-value small nowrap">${fmtPhone(call.trackingNumber)}</span></div>
      <div class="stat"><span class="stat-label">${t('card.ring')}</span><span class="stat-value small">${fmtDuration(call.ringSeconds)}</span></div>
      <div class="stat"><span class="stat-label">${t('calls.col.duration')}</span><span class="stat-value small">${fmtDuration(callDuration(call))}</span></div>
      <div class="stat"><span class="stat-label">${t('card.caller')}</span><span class="stat-value small">${call.firstTimeCaller ? t('calls.firstTime') : t('calls.repeat')}${call.blocked ? ` · ${t('card.isBlocked')}` : ''}</span></div>
      ${call.leadId ? html`<div class="stat"><span class="stat-label">${t('card.lead')}</span><span class="stat-value small"><code>${call.leadId.slice(-10)}</code></span></div>` : null}
    </div>
    <div class="grid-2">
      <div class="stack">
        <${Card} title=${t('card.recording')}><${Player} card=${card.data} /></${Card}>
        <${Card} title=${t('card.journey')}><${Journey} j=${journey} /></${Card}>
      </div>
      <div class="stack">
        <${Card} title=${t('card.evidence')}><${Evidence} call=${call} onChanged=${changed} /></${Card}>
        <${Card} title=${t('card.tagsNote')}><${Notes} call=${call} onChanged=${changed} /></${Card}>
        ${isAdmin() ? html`<${Card} title=${t('card.deliveries')}><${Deliveries} call=${call} /></${Card}>` : null}
        <${Card} title=${t('card.history')}><${History} call=${call} version=${version} /></${Card}>
      </div>
    </div>
  </${Page}>`;
}
