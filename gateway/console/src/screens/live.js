import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { OutcomeBadge, channelName, sourceMedium } from '../call-view.js';
import { html } from '../html.js';
import { fmtDuration, fmtTime, t } from '../i18n.js';
import { fmtPhone } from '../phone.js';
import { site } from '../state.js';
import { Badge, DataTable, Empty, ErrorBox, Page } from '../ui.js';
import { useChannels } from './calls.js';

const RECENT = 8;

/**
 * Calls ringing and in progress now, from the WebSocket feed (GET /v1/live); the list starts from the calls API so
 * a reload shows what is already on the line. Reconnects with backoff when the socket drops.
 */
function useLiveCalls(siteId) {
  const [calls, setCalls] = useState(new Map());
  const [status, setStatus] = useState('connecting');
  const [error, setError] = useState(null);
  useEffect(() => {
    let ws;
    let stopped = false;
    let retry = 0;
    let timer;
    const upsert = (c) =>
      setCalls((m) => {
        if (siteId && c.siteId && c.siteId !== siteId) return m;
        const next = new Map(m);
        next.set(c.id, { ...(m.get(c.id) || {}), ...c, seenAt: m.get(c.id)?.seenAt ?? Date.now() });
        return next;
      });
    Promise.all(['ringing', 'answered'].map((s) => api('/v1/calls', { query: { siteId, status: s, limit: 50 } })))
      .then((pages) => pages.flatMap((p) => p.items).forEach(upsert))
      .catch(setError);
    const connect = () => {
      ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/live`);
      ws.addEventListener('open', () => {
        retry = 0;
        setStatus('open');
      });
      ws.addEventListener('message', (e) => {
        try {
          const msg = JSON.parse(e.data);
          if (msg.call) upsert({ ...msg.call, endedSeenAt: msg.type === 'call.ended' ? Date.now() : undefined });
        } catch {
          /* a malformed frame is dropped; the next one carries the full call again */
        }
      });
      ws.addEventListener('close', () => {
        if (stopped) return;
        setStatus('reconnecting');
        timer = setTimeout(connect, Math.min(30_000, 1000 * 2 ** retry++));
      });
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ws?.close();
    };
  }, [siteId]);
  return { calls, status, error };
}

function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

export function LiveScreen() {
  const siteId = site.value?.id;
  const { calls, status, error } = useLiveCalls(siteId);
  const channels = useChannels(siteId);
  const now = useNow();
  const all = [...calls.values()].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  const active = all.filter((c) => c.status !== 'ended');
  const recent = all.filter((c) => c.status === 'ended').slice(0, RECENT);
  const waited = (c) => ((c.answeredAt ? Date.parse(c.answeredAt) : now) - Date.parse(c.startedAt)) / 1000;
  const columns = [
    { label: t('live.col.state'), render: (c) => html`<${OutcomeBadge} call=${c} />` },
    { label: t('calls.col.caller'), render: (c) => html`<a href=${`#/calls/${c.id}`} class="nowrap">${fmtPhone(c.caller)}</a>` },
    { label: t('calls.col.channel'), render: (c) => channelName(c, channels.data) ?? t('common.none') },
    { label: t('calls.col.sourceMedium'), render: (c) => sourceMedium(c) ?? '—' },
    { label: t('calls.col.campaign'), render: (c) => c.campaign ?? '—' },
    { label: t('calls.col.number'), render: (c) => html`<span class="nowrap">${fmtPhone(c.trackingNumber)}</span>` },
    {
      label: t('live.col.waiting'),
      className: 'num',
      render: (c) => html`<span class=${!c.answeredAt && waited(c) > 30 ? 'text-bad' : ''}>${fmtDuration(waited(c))}</span>`,
    },
    { label: t('live.col.talking'), className: 'num', render: (c) => (c.answeredAt ? fmtDuration((now - Date.parse(c.answeredAt)) / 1000) : '—') },
  ];
  const tone = status === 'open' ? 'ok' : 'warn';
  return html`<${Page} title=${t('live.title')} subtitle=${t('live.subtitle')}
      actions=${html`<${Badge} tone=${tone}><span class=${`dot dot-${tone}`} aria-hidden="true"></span>${t(`live.status.${status}`)}</${Badge}>`}>
    <${ErrorBox} error=${error} />
    <div class="summary-grid">
      <div class="stat"><span class="stat-label">${t('live.ringing')}</span><span class="stat-value">${active.filter((c) => c.status === 'ringing').length}</span></div>
      <div class="stat"><span class="stat-label">${t('live.talking')}</span><span class="stat-value">${active.filter((c) => c.status === 'answered').length}</span></div>
    </div>
    <section class="card" aria-live="polite">
      <header class="card-head"><h2>${t('live.now')}</h2></header>
      <${DataTable} caption=${t('live.now')} columns=${columns} rows=${active}
        empty=${html`<${Empty} title=${t('live.empty')} text=${t('live.emptyHint')} />`} />
    </section>
    ${
      recent.length
        ? html`<section class="card"><header class="card-head"><h2>${t('live.recent')}</h2></header>
            <${DataTable} caption=${t('live.recent')} rows=${recent} columns=${[
              columns[0],
              columns[1],
              columns[2],
              { label: t('live.col.ended'), render: (c) => fmtTime(c.endedAt) },
            ]} /></section>`
        : null
    }
  </${Page}>`;
}
