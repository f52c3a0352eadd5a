import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { OutcomeBadge, callDuration, channelName, sourceMedium } from '../call-view.js';
import { saveText, toCsv } from '../csv.js';
import { DateInput } from '../date-input.js';
import { html } from '../html.js';
import { addDays, fmtDuration, fmtShortDateTime, siteDayStart, t, tEnum, todayInSite } from '../i18n.js';
import { fmtPhone } from '../phone.js';
import { navigate, setQuery } from '../router.js';
import { site } from '../state.js';
import { ActionButton, DataTable, Empty, ErrorBox, Field, Loading, Page, Select, toast, useAsync } from '../ui.js';
import { KindTabs } from './inquiries.js';

const OUTCOMES = ['completed', 'no-answer', 'busy', 'canceled', 'failed'];
const PAGE = 25;

export function useChannels(siteId) {
  return useAsync(async () => {
    if (!siteId) return new Map();
    const { items } = await api('/v1/channels', { query: { siteId } });
    return new Map(items.map((c) => [c.id, c]));
  }, [siteId]);
}

/** The list query the API takes, from the screen's URL state (dates are the site's calendar days). */
function listQuery(q, siteId) {
  return {
    siteId,
    from: q.from ? siteDayStart(q.from) : undefined,
    to: q.to ? siteDayStart(addDays(q.to, 1)) : undefined,
    channelId: q.channel,
    campaign: q.campaign,
    outcome: q.outcome,
    firstTime: q.firstTime,
    tag: q.tag,
    search: q.search,
  };
}

/** Plays on demand: the audio element appears on the first click, so a page of calls loads no audio. */
export function InlinePlayer({ call }) {
  const [on, setOn] = useState(false);
  const [failed, setFailed] = useState(false);
  if (!(call.status === 'ended' && (call.talkSeconds ?? 0) > 0)) return html`<span class="muted">—</span>`;
  if (failed) return html`<span class="muted small">${t('calls.noRecording')}</span>`;
  if (!on)
    return html`<button type="button" class="btn btn-small play" aria-label=${t('calls.play', { caller: fmtPhone(call.caller) })} onClick=${() => setOn(true)}>
      ▶ ${t('calls.listen')}</button>`;
  return html`<audio class="inline-audio" controls autoplay preload="metadata" src=${`/v1/calls/${encodeURIComponent(call.id)}/recording`}
    aria-label=${t('calls.recordingOf', { caller: fmtPhone(call.caller) })} onError=${() => setFailed(true)}></audio>`;
}

function Filters({ query, channels, tags }) {
  const [search, setSearch] = useState(query.search || '');
  const [campaign, setCampaign] = useState(query.campaign || '');
  const chOptions = [{ value: '', label: t('filter.allChannels') }, ...[...(channels?.values() || [])].map((c) => ({ value: c.id, label: c.name }))];
  const submit = (e) => {
    e.preventDefault();
    setQuery({ search: search.trim() || undefined, campaign: campaign.trim() || undefined, cursor: undefined });
  };
  return html`<form class="filters" onSubmit=${submit} aria-label=${t('filter.label')}>
    <${Field} label=${t('filter.from')}><${DateInput} name="from" value=${query.from || ''} onChange=${(v) => setQuery({ from: v || undefined, cursor: undefined })} /></${Field}>
    <${Field} label=${t('filter.to')}><${DateInput} name="to" value=${query.to || ''} onChange=${(v) => setQuery({ to: v || undefined, cursor: undefined })} /></${Field}>
    <${Field} label=${t('filter.channel')}><${Select} name="channel" value=${query.channel} options=${chOptions} onChange=${(v) => setQuery({ channel: v || undefined, cursor: undefined })} /></${Field}>
    <${Field} label=${t('filter.outcome')}><${Select} name="outcome" value=${query.outcome} options=${[{ value: '', label: t('filter.any') }, ...OUTCOMES.map((o) => ({ value: o, label: tEnum('outcome', o) }))]} onChange=${(v) => setQuery({ outcome: v || undefined, cursor: undefined })} /></${Field}>
    <${Field} label=${t('filter.firstTime')}><${Select} name="firstTime" value=${query.firstTime} options=${[{ value: '', label: t('filter.any') }, { value: 'true', label: t('filter.firstTimeOnly') }, { value: 'false', label: t('filter.repeatOnly') }]} onChange=${(v) => setQuery({ firstTime: v || undefined, cursor: undefined })} /></${Field}>
    <${Field} label=${t('filter.tag')}><${Select} name="tag" value=${query.tag} options=${[{ value: '', label: t('filter.any') }, ...(tags || []).map((x) => ({ value: x.tag, label: `${x.tag} (${x.calls})` }))]} onChange=${(v) => setQuery({ tag: v || undefined, cursor: undefined })} /></${Field}>
    <${Field} label=${t('filter.campaign')}><input name="campaign" value=${campaign} onInput=${(e) => setCampaign(e.currentTarget.value)} /></${Field}>
    <${Field} label=${t('filter.caller')}><input name="search" type="search" inputmode="tel" value=${search} placeholder=${t('filter.callerPlaceholder')} onInput=${(e) => setSearch(e.currentTarget.value)} /></${Field}>
    <div class="filters-actions">
      <button type="submit" class="btn">${t('action.apply')}</button>
      <a class="btn btn-ghost" href="#/calls">${t('action.reset')}</a>
    </div>
  </form>`;
}

export function CallsScreen({ query }) {
  const siteId = site.value?.id;
  const channels = useChannels(siteId);
  const tags = useAsync(() => api('/v1/call-tags').then((r) => r.items), []);
  const page = useAsync(
    () => api('/v1/calls', { query: { ...listQuery(query, siteId), limit: PAGE, cursor: query.cursor } }),
    [siteId, JSON.stringify(query)],
  );
  const ch = channels.data;
  const columns = [
    { label: t('calls.col.started'), render: (c) => html`<a class="nowrap" href=${`#/calls/${c.id}`}>${fmtShortDateTime(c.startedAt)}</a>` },
    {
      label: t('calls.col.caller'),
      render: (c) =>
        html`<span class="nowrap" title=${c.caller}>${fmtPhone(c.caller)}</span>${c.firstTimeCaller ? html` <span class="badge badge-info">${t('calls.new')}</span>` : null}`,
    },
    { label: t('calls.col.channel'), render: (c) => channelName(c, ch) ?? html`<span class="muted">${t('common.none')}</span>` },
    { label: t('calls.col.sourceMedium'), render: (c) => sourceMedium(c) ?? '—' },
    { label: t('calls.col.campaign'), render: (c) => c.campaign ?? '—' },
    { label: t('calls.col.keyword'), render: (c) => c.keyword ?? '—' },
    { label: t('calls.col.number'), render: (c) => html`<span class="nowrap">${fmtPhone(c.trackingNumber)}</span>` },
    { label: t('calls.col.outcome'), render: (c) => html`<${OutcomeBadge} call=${c} />` },
    { label: t('calls.col.duration'), className: 'num', render: (c) => fmtDuration(callDuration(c)) },
    { label: t('calls.col.recording'), className: 'player-cell', render: (c) => html`<${InlinePlayer} call=${c} />` },
  ];
  const exportCsv = async () => {
    const rows = [];
    let cursor;
    do {
      const res = await api('/v1/calls', { query: { ...listQuery(query, siteId), limit: 200, cursor } });
      rows.push(...res.items);
      cursor = res.nextCursor;
    } while (cursor && rows.length < 10_000);
    const header = ['started', 'caller', 'channel', 'sourceMedium', 'campaign', 'keyword', 'number', 'outcome', 'duration'].map((k) =>
      t(`calls.col.${k}`),
    );
    const body = rows.map((c) => [
      c.startedAt,
      c.caller,
      channelName(c, ch) ?? '',
      sourceMedium(c) ?? '',
      c.campaign ?? '',
      c.keyword ?? '',
      c.trackingNumber,
      c.outcome ?? c.status,
      callDuration(c) ?? '',
    ]);
    saveText(`calls-${todayInSite()}.csv`, toCsv(header, body));
    toast(t('calls.exported', { count: rows.length }));
  };
  const items = page.data?.items;
  // The calls kind of the inquiries screen: same title and kind filter, plus the call-only filters and CSV.
  return html`<${Page} title=${t('inquiries.title')} subtitle=${t('calls.subtitle')}
      actions=${html`<${ActionButton} onClick=${exportCsv}>${t('action.exportCsv')}</${ActionButton}>`}>
    <${KindTabs} current="call" />
    <${Filters} query=${query} channels=${ch} tags=${tags.data} />
    <${ErrorBox} error=${page.error} retry=${page.reload} />
    ${
      page.loading && !items
        ? html`<${Loading} />`
        : html`<${DataTable} className=${page.loading ? 'stale' : ''} caption=${t('calls.title')} columns=${columns} rows=${items || []}
            onRow=${(c) => navigate(`/calls/${c.id}`)}
            empty=${html`<${Empty} title=${t('calls.empty')} text=${query.from || query.channel || query.search ? t('calls.emptyFiltered') : t('calls.emptyHint')} />`} />`
    }
    <nav class="pager" aria-label=${t('pager.label')}>
      ${query.cursor ? html`<button type="button" class="btn" onClick=${() => history.back()}>← ${t('pager.prev')}</button>` : null}
      ${page.data?.nextCursor ? html`<button type="button" class="btn" onClick=${() => navigate('/calls', { ...query, cursor: page.data.nextCursor })}>${t('pager.next')} →</button>` : null}
    </nav>
  </${Page}>`;
}
