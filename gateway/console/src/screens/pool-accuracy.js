import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { TimeChart } from '../chart.js';
import { DateInput } from '../date-input.js';
import { html } from '../html.js';
import { addDays, fmtDay, fmtNumber, fmtPercent, t, todayInSite } from '../i18n.js';
import { keepNumbersTogether } from '../phone.js';
import { Card, DataTable, Empty, ErrorBox, Field, Loading, useAsync } from '../ui.js';

// The columns of the per-day table, in the order the report defines them; `share` adds the total's share of calls.
const COLS = [
  ['calls', false],
  ['matchedUniquely', true],
  ['ambiguous', true],
  ['byTelClick', true],
  ['byCallerHistory', true],
  ['unattributed', true],
  ['blockedVisits', false],
  ['correctLowerBound', true],
];

// The report's own shares where it gives them, the same division otherwise.
const shareOf = (totals, k) => totals[`${k}Share`] ?? (totals.calls ? totals[k] / totals.calls : null);

/** Whether the pool meets its accuracy target: proven by tel: clicks, or at least sized for it, or short of numbers. */
function Verdict({ totals, health }) {
  const r = health.recommendation;
  const target = r.accuracyTarget;
  if (totals.calls && totals.correctLowerBoundShare >= target)
    return html`<p class="alert alert-ok"><span>${t('accuracy.verdict.proven', { share: fmtPercent(totals.correctLowerBoundShare, 1), target: fmtPercent(target, 1) })}</span></p>`;
  if (health.live.size >= r.recommendedSize)
    return html`<p class="alert alert-ok"><span>${t('accuracy.verdict.sized', { size: health.live.size, recommended: r.recommendedSize, target: fmtPercent(target, 1) })}</span></p>`;
  return html`<p class="alert alert-warn"><span>${t('accuracy.verdict.short', { count: r.recommendedSize - health.live.size, target: fmtPercent(target, 1) })}</span></p>`;
}

function PoolAccuracy({ pool }) {
  // Site calendar days, both inclusive in the form; the API takes `to` exclusive.
  const [range, setRange] = useState(() => ({ from: addDays(todayInSite(), -13), to: todayInSite() }));
  const d = useAsync(async () => {
    const [report, health] = await Promise.all([
      api('/v1/reports/pool-accuracy', { query: { poolId: pool.id, from: range.from, to: addDays(range.to, 1) } }),
      api(`/v1/pools/${pool.id}/health`, { query: { hours: 24 } }),
    ]);
    return { report, health };
  }, [pool.id, range.from, range.to]);
  const set = (k) => (v) => {
    if (v) setRange((r) => ({ ...r, [k]: v }));
  };
  const title = t('accuracy.title', { pool: pool.name });
  return html`<${Card} title=${keepNumbersTogether(title)} className="pool-accuracy">
    <form class="row wrap accuracy-range" aria-label=${t('filter.label')} onSubmit=${(e) => e.preventDefault()}>
      <${Field} label=${t('filter.from')}><${DateInput} name="from" value=${range.from} max=${range.to} onChange=${set('from')} /></${Field}>
      <${Field} label=${t('filter.to')}><${DateInput} name="to" value=${range.to} min=${range.from} onChange=${set('to')} /></${Field}>
    </form>
    ${d.error ? html`<${ErrorBox} error=${d.error} retry=${d.reload} />` : !d.data ? html`<${Loading} />` : html`<${Body} report=${d.data.report} health=${d.data.health} title=${title} />`}
  </${Card}>`;
}

function Body({ report, health, title }) {
  const { totals, days } = report;
  const r = health.recommendation;
  const fact = (key, value) => html`<div class="accuracy-fact"><dt>${t(key)}</dt><dd data-fact=${key}>${value}</dd></div>`;
  const facts = html`<dl class="accuracy-facts">
    ${fact('accuracy.target', fmtPercent(r.accuracyTarget, 1))}
    ${fact('accuracy.size', fmtNumber(health.live.size))}
    ${fact('pools.recommended', html`<strong>${fmtNumber(r.recommendedSize)}</strong>`)}
    ${fact('accuracy.lowerBound', totals.calls ? fmtPercent(totals.correctLowerBoundShare, 1) : '—')}
    ${fact('accuracy.checked', totals.telClickChecked ? t('accuracy.checkedOf', { right: fmtNumber(totals.correctLowerBound), checked: fmtNumber(totals.telClickChecked) }) : '—')}
  </dl>`;
  if (!totals.calls)
    return html`${facts}<${Empty} title=${t('accuracy.empty')} text=${totals.blockedVisits ? t('accuracy.emptyBlocked', { count: totals.blockedVisits }) : t('accuracy.emptyHint')} />`;
  // Days with neither calls nor blocked visits are left out of the table (the chart still draws them as 0).
  const rows = days.filter((x) => x.calls || x.blockedVisits);
  const col = (k) => t(`accuracy.col.${k}`);
  return html`${facts}<${Verdict} totals=${totals} health=${health} />
    <p class="muted small">${t('accuracy.intro')}</p>
    <${TimeChart} label=${title} days=${days.map((x) => x.date)} formatDay=${(x) => fmtDay(x, { day: 'numeric', month: 'short' })} formatValue=${(v) => fmtNumber(v)} integers
      series=${[
        { label: col('calls'), values: days.map((x) => x.calls) },
        { label: col('correctLowerBound'), values: days.map((x) => x.correctLowerBound) },
        { label: col('ambiguous'), values: days.map((x) => x.ambiguous) },
        { label: col('unattributed'), values: days.map((x) => x.unattributed) },
      ]} />
    <${DataTable} className="accuracy-table" caption=${title} rows=${rows} rowKey=${(x) => x.date}
      columns=${[
        { label: t('accuracy.col.date'), render: (x) => html`<strong class="nowrap">${fmtDay(x.date)}</strong>` },
        ...COLS.map(([k]) => ({ label: col(k), className: `num col-${k}`, render: (x) => fmtNumber(x[k]) })),
      ]}
      footer=${html`<tr class="total" data-row="total"><th scope="row" data-label="">${t('reports.total')}</th>${COLS.map(([k]) => html`<td class=${`num col-${k}`} data-label=${col(k)}>${fmtNumber(totals[k])}</td>`)}</tr>
        <tr class="total" data-row="share"><th scope="row" data-label="">${t('accuracy.shareOfCalls')}</th>${COLS.map(([k, s]) => html`<td class=${`num col-${k}`} data-label=${col(k)}>${s ? fmtPercent(shareOf(totals, k), 1) : '—'}</td>`)}</tr>`} />`;
}

/** Attribution accuracy of each session pool over a range of site days, next to its target and recommended size. */
export function PoolAccuracyCards({ pools }) {
  return pools.filter((p) => p.kind === 'session').map((p) => html`<${PoolAccuracy} key=${p.id} pool=${p} />`);
}
