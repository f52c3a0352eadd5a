import { useState } from 'preact/hooks';
import { api, toQuery } from '../api.js';
import { BarChart, TimeChart } from '../chart.js';
import { DateInput } from '../date-input.js';
import { html } from '../html.js';
import { addDays, daysBetween, fmtDay, fmtMoney, fmtNumber, fmtPercent, siteCurrency, t, todayInSite } from '../i18n.js';
import { setQuery } from '../router.js';
import { isAdmin, site } from '../state.js';
import { ActionButton, Card, DataTable, Empty, ErrorBox, Field, Loading, Page, Select, download, errorText, toast, useAsync } from '../ui.js';

const GROUPS = [
  'channel',
  'source',
  'medium',
  'source_medium',
  'campaign',
  'keyword',
  'landing_page',
  'device',
  'tracking_number',
  'first_time',
  'hour',
  'weekday',
  'date',
  'week',
  'month',
];
const MODELS = ['last_non_direct', 'last_click', 'first_click'];
const METRICS = ['calls', 'leads', 'revenue'];

function period(query) {
  const to = query.to || todayInSite();
  const from = query.from || addDays(to, -29);
  const len = daysBetween(from, to) + 1;
  return { from, to, prevFrom: addDays(from, -len), prevTo: addDays(from, -1), len };
}

const summary = (siteId, q) => api('/v1/reports/summary', { query: { siteId, ...q } });

/** Every calendar day of a period, so a day without calls is drawn as 0, not skipped. */
function fillDays(from, to, rows) {
  const byKey = new Map(rows.map((r) => [String(r.key).slice(0, 10), r]));
  const days = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return { days, pick: (f) => days.map((d) => Number(byKey.get(d)?.[f] ?? 0)) };
}

function Delta({ now, before, money = false, invert = false }) {
  // No change is shown against an empty previous period: "+∞ %" says nothing.
  if (now == null || before == null || before === 0) return html`<span class="delta"></span>`;
  const d = (now - before) / Math.abs(before);
  const good = invert ? d < 0 : d > 0;
  return html`<span class=${`delta ${d === 0 ? 'muted' : good ? 'text-ok' : 'text-bad'}`} title=${t('reports.vsPrev', { value: money ? fmtMoney(before) : fmtNumber(before) })}>
    ${d > 0 ? '▲' : d < 0 ? '▼' : ''} ${fmtPercent(Math.abs(d))}</span>`;
}

function Kpis({ totals, prev }) {
  const p = prev || {};
  const tiles = [
    ['calls', fmtNumber(totals.calls), totals.calls, p.calls],
    ['leads', fmtNumber(totals.leads), totals.leads, p.leads],
    ['revenue', fmtMoney(totals.revenue), totals.revenue, p.revenue, true],
    ['spend', fmtMoney(totals.spend), totals.spend, p.spend, true, true],
    ['cpl', fmtMoney(totals.cpl), totals.cpl, p.cpl, true, true],
    ['romi', totals.romi == null ? '—' : `${fmtNumber(totals.romi, { maximumFractionDigits: 0 })} %`, totals.romi, p.romi],
  ];
  return html`<div class="summary-grid kpis">${tiles.map(
    ([k, text, now, before, money, invert]) => html`<div class="stat" data-kpi=${k}><span class="stat-label">${t(`metric.${k}`)}</span>
      <span class="stat-value">${text}</span><${Delta} now=${now} before=${before} money=${money} invert=${invert} /></div>`,
  )}</div>`;
}

const cols = () => [
  ['visits', 'n'],
  ['calls', 'n'],
  ['answeredCalls', 'n'],
  ['missedCalls', 'n'],
  ['firstTimeCallers', 'n'],
  ['targetCalls', 'n'],
  ['leads', 'n'],
  ['deals', 'n'],
  ['revenue', 'm'],
  ['spend', 'm'],
  ['costPerCall', 'm'],
  ['cpl', 'm'],
  ['roas', 'r'],
  ['romi', 'p'],
];
const cell = (v, kind) =>
  kind === 'm'
    ? fmtMoney(v)
    : kind === 'p'
      ? v == null
        ? '—'
        : `${fmtNumber(v, { maximumFractionDigits: 0 })} %`
      : kind === 'r'
        ? fmtNumber(v, { maximumFractionDigits: 2 })
        : fmtNumber(v);

function rowLabel(r, groupBy) {
  if (r.key === null || r.label === '(none)') return t('common.none');
  if (groupBy === 'first_time') return r.key === true || r.key === 'true' ? t('calls.firstTime') : t('calls.repeat');
  if (groupBy === 'date') return fmtDay(String(r.key));
  return r.label ?? String(r.key);
}

function SpendUpload({ siteId, onDone }) {
  const [format, setFormat] = useState('yandex-metrica');
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const upload = async (e) => {
    e.preventDefault();
    const file = new FormData(e.currentTarget).get('file');
    if (!file?.size) return;
    setBusy(true);
    setResult(null);
    try {
      const body = await file.text();
      const res = await api(`/v1/sites/${siteId}/spend?${toQuery({ format })}`, { method: 'POST', body, headers: { 'content-type': 'text/csv' } });
      setResult({ ok: res });
      toast(t('spend.done', { count: res.rows }));
      onDone();
    } catch (err) {
      setResult({ error: err });
    } finally {
      setBusy(false);
    }
  };
  const lines = result?.error?.body?.errors;
  return html`<form class="stack" onSubmit=${upload}>
    <div class="row wrap">
      <${Field} label=${t('spend.format')}><${Select} name="format" value=${format} onChange=${setFormat} options=${[
        { value: 'yandex-metrica', label: 'Yandex Metrica' },
        { value: 'google-ads', label: 'Google Ads' },
      ]} /></${Field}>
      <${Field} label=${t('spend.file')} className="grow"><input type="file" name="file" accept=".csv,.tsv,text/csv" required /></${Field}>
      <button type="submit" class="btn btn-primary" disabled=${busy}>${t('spend.upload')}</button>
    </div>
    ${result?.ok ? html`<p class="alert alert-ok" role="status">${t('spend.result', { count: result.ok.rows, inserted: result.ok.inserted, replaced: result.ok.replaced })}</p>` : null}
    ${
      lines?.length
        ? html`<div class="alert alert-error" role="alert"><strong>${t('spend.rejected', { count: lines.length })}</strong>
            <ul class="bad-lines">${lines.slice(0, 50).map((l) => html`<li><span class="line-no">${t('spend.line', { line: l.line })}</span> ${l.message}</li>`)}</ul></div>`
        : result?.error
          ? html`<p class="alert alert-error" role="alert">${errorText(result.error)}</p>`
          : null
    }
  </form>`;
}

export function ReportsScreen({ query }) {
  const s = site.value;
  const siteId = s?.id;
  const groupBy = query.groupBy || 'channel';
  const model = query.model || 'last_non_direct';
  const metric = query.metric || 'calls';
  const p = period(query);
  const [version, setVersion] = useState(0);
  const key = [siteId, groupBy, model, p.from, p.to, version];
  const main = useAsync(() => (siteId ? summary(siteId, { from: p.from, to: p.to, groupBy, model }) : null), key);
  const prev = useAsync(() => (siteId ? summary(siteId, { from: p.prevFrom, to: p.prevTo, groupBy: 'channel', model }) : null), key);
  const daily = useAsync(() => (siteId ? summary(siteId, { from: p.from, to: p.to, groupBy: 'date', model }) : null), key);
  const byChannel = useAsync(() => (siteId ? summary(siteId, { from: p.from, to: p.to, groupBy: 'channel', model }) : null), key);
  if (!s) return html`<${Page} title=${t('reports.title')}><${Empty} title=${t('sites.none')} text=${t('sites.noneHint')} /></${Page}>`;
  const csvUrl = `/v1/reports/summary?${toQuery({ siteId, from: p.from, to: p.to, groupBy, model, format: 'csv' })}`;
  const exportUrl = (kind) => `/v1/sites/${siteId}/conversion-exports/${kind}?${toQuery({ from: p.from, to: p.to })}`;
  const d = daily.data && fillDays(p.from, p.to, daily.data.rows);
  const chRows = (byChannel.data?.rows || []).filter((r) => Number(r[metric] ?? 0) > 0 || metric !== 'revenue');
  return html`<${Page} title=${t('reports.title')} subtitle=${t('reports.subtitle', { from: fmtDay(p.from), to: fmtDay(p.to), currency: siteCurrency() })}
      actions=${html`<${ActionButton} onClick=${() => download(csvUrl, `report-${groupBy}-${p.from}-${p.to}.csv`)}>${t('action.exportCsv')}</${ActionButton}>`}>
    <form class="filters" aria-label=${t('filter.label')} onSubmit=${(e) => e.preventDefault()}>
      <${Field} label=${t('filter.from')}><${DateInput} name="from" value=${p.from} max=${p.to} onChange=${(v) => setQuery({ from: v || undefined })} /></${Field}>
      <${Field} label=${t('filter.to')}><${DateInput} name="to" value=${p.to} min=${p.from} onChange=${(v) => setQuery({ to: v || undefined })} /></${Field}>
      <${Field} label=${t('reports.groupBy')}><${Select} name="groupBy" value=${groupBy} options=${GROUPS.map((g) => ({ value: g, label: t(`group.${g}`) }))} onChange=${(v) => setQuery({ groupBy: v })} /></${Field}>
      <${Field} label=${t('reports.model')} className="grow"><${Select} name="model" value=${model} options=${MODELS.map((m) => ({ value: m, label: t(`model.${m}`) }))} onChange=${(v) => setQuery({ model: v })} /></${Field}>
      <div class="segmented" role="group" aria-label=${t('reports.quick')}>
        ${[7, 30, 90].map((n) => html`<button type="button" class=${p.len === n && !query.to ? 'on' : ''} onClick=${() => setQuery({ from: addDays(todayInSite(), -(n - 1)), to: undefined })}>${t('reports.lastDays', { count: n })}</button>`)}
      </div>
    </form>
    <${ErrorBox} error=${main.error} retry=${main.reload} />
    ${main.data ? html`<${Kpis} totals=${main.data.totals} prev=${prev.data?.totals} />` : main.loading ? html`<${Loading} />` : null}
    <p class="muted small">${t('reports.comparedTo', { from: fmtDay(p.prevFrom), to: fmtDay(p.prevTo) })}</p>
    <div class="grid-2">
      <${Card} title=${t('reports.overTime')}>
        ${
          d
            ? html`<${TimeChart} label=${t('reports.overTime')} days=${d.days} formatDay=${(x) => fmtDay(x, { day: 'numeric', month: 'short' })} formatValue=${(v) => fmtMoney(v)}
                series=${[
                  { label: t('metric.calls'), values: d.pick('calls') },
                  { label: t('metric.leads'), values: d.pick('leads') },
                  { label: t('metric.revenue'), values: d.pick('revenue'), scale: 'money' },
                ]} />`
            : html`<${ErrorBox} error=${daily.error} />`
        }
      </${Card}>
      <${Card} title=${t('reports.byChannel')} actions=${html`<div class="segmented" role="group" aria-label=${t('reports.metric')}>${METRICS.map(
        (m) =>
          html`<button type="button" class=${metric === m ? 'on' : ''} aria-pressed=${metric === m} onClick=${() => setQuery({ metric: m })}>${t(`metric.${m}`)}</button>`,
      )}</div>`}>
        ${
          byChannel.data
            ? chRows.length
              ? html`<${BarChart} label=${t('reports.byChannel')} categories=${chRows.map((r) => rowLabel(r, 'channel'))} values=${chRows.map((r) => Number(r[metric] ?? 0))}
                  seriesLabel=${t(`metric.${metric}`)} formatValue=${metric === 'revenue' ? (v) => fmtMoney(v) : (v) => fmtNumber(v)} />`
              : html`<${Empty} title=${t('reports.noData')} />`
            : html`<${ErrorBox} error=${byChannel.error} />`
        }
      </${Card}>
    </div>
    <${Card} title=${t('reports.table', { group: t(`group.${groupBy}`) })}>
      ${
        main.data
          ? html`<${DataTable} className="report-table" caption=${t('reports.table', { group: t(`group.${groupBy}`) })} rowKey=${(r) => String(r.key)}
              columns=${[{ label: t(`group.${groupBy}`), render: (r) => html`<strong>${rowLabel(r, groupBy)}</strong>` }, ...cols().map(([f, kind]) => ({ label: t(`metric.${f}`), className: 'num', render: (r) => cell(r[f], kind) }))]}
              rows=${main.data.rows}
              footer=${html`<tr class="total"><th scope="row" data-label="">${t('reports.total')}</th>${cols().map(([f, kind]) => html`<td class="num" data-label=${t(`metric.${f}`)}>${cell(main.data.totals[f], kind)}</td>`)}</tr>`}
              empty=${html`<${Empty} title=${t('reports.noData')} text=${t('reports.noDataHint')} />`} />`
          : null
      }
    </${Card}>
    ${
      isAdmin()
        ? html`<div class="grid-2">
            <${Card} title=${t('spend.title')}><p class="muted small">${t('spend.hint')}</p><${SpendUpload} siteId=${siteId} onDone=${() => setVersion((v) => v + 1)} /></${Card}>
            <${Card} title=${t('exports.title')}><p class="muted small">${t('exports.hint', { from: fmtDay(p.from), to: fmtDay(p.to) })}</p>
              <div class="row wrap">
                <${ActionButton} onClick=${() => download(exportUrl('google-ads'), `google-ads-conversions-${p.from}-${p.to}.csv`)}>${t('exports.googleAds')}</${ActionButton}>
                <${ActionButton} onClick=${() => download(exportUrl('yandex-metrica'), `yandex-metrica-calls-${p.from}-${p.to}.csv`)}>${t('exports.yandex')}</${ActionButton}>
              </div></${Card}>
          </div>`
        : null
    }
  </${Page}>`;
}
