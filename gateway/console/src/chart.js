// Charts with uPlot (canvas, ~50 KB min): draws into a canvas, sets sizes through the CSSOM only, so it works under
// a CSP without 'unsafe-inline'. Width follows the container (ResizeObserver); colours come from the palette below.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';
import { t } from './i18n.js';

export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];

function useUplot(makeOpts, data, deps) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = Math.max(280, el.clientWidth);
    const plot = new uPlot(makeOpts(width), data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: plot.height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, deps);
  return box;
}

/** Lines over calendar days: x is YYYY-MM-DD (site calendar), series [{label, values, scale}] */
export function TimeChart({ days, series, label, formatDay, formatValue = (v) => String(v), integers = false }) {
  const xs = days.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
  const box = useUplot(
    (width) => ({
      width,
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'UTC'),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        money: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        {
          space: width < 560 ? 70 : 50,
          values: (_u, ticks) => ticks.map((tk) => formatDay(new Date(tk * 1000).toISOString().slice(0, 10))),
          stroke: '#4b5563',
          grid: { stroke: '#eef0f3' },
        },
        // Counts of calls have no halves: whole-number steps only when asked.
        {
          stroke: '#4b5563',
          grid: { stroke: '#eef0f3' },
          size: 50,
          ...(integers ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] } : {}),
        },
        ...(series.some((s) => s.scale === 'money')
          ? [{ scale: 'money', side: 1, stroke: '#4b5563', grid: { show: false }, size: 70, values: (_u, ticks) => ticks.map(formatValue) }]
          : []),
      ],
      series: [
        { label: t('group.date'), value: (_u, v) => (v == null ? '—' : formatDay(new Date(v * 1000).toISOString().slice(0, 10))) },
        ...series.map((s, i) => ({
          label: s.label,
          scale: s.scale || 'y',
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          fill: i === 0 ? 'rgba(37,99,235,0.08)' : undefined,
          points: { size: 5 },
          value: (_u, v) => (v == null ? '—' : s.scale === 'money' ? formatValue(v) : String(v)),
        })),
      ],
    }),
    [xs, ...series.map((s) => s.values)],
    [JSON.stringify(days), JSON.stringify(series)],
  );
  return html`<figure class="chart" aria-label=${label}><div ref=${box} class="chart-box"></div></figure>`;
}

/** Bars per category (channels) for one metric: x is the category index, its label under the bar. */
export function BarChart({ categories, values, seriesLabel, label, formatValue = (v) => String(v) }) {
  const xs = categories.map((_c, i) => i);
  const box = useUplot(
    (width) => ({
      width,
      height: 260,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: [-0.6, Math.max(0.6, categories.length - 0.4)] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] },
      },
      axes: [
        // On a phone the category names are turned so they do not run into each other.
        {
          splits: () => xs,
          values: (_u, ticks) => ticks.map((i) => trim(categories[i] ?? '')),
          stroke: '#4b5563',
          grid: { show: false },
          gap: 6,
          ...(width < 560 ? { rotate: -35, size: 70 } : {}),
        },
        { stroke: '#4b5563', grid: { stroke: '#eef0f3' }, size: 64, values: (_u, ticks) => ticks.map(formatValue) },
      ],
      series: [
        {},
        { label: seriesLabel, fill: PALETTE[0], stroke: PALETTE[0], paths: uPlot.paths.bars({ size: [0.6, 72] }), points: { show: false } },
      ],
    }),
    [xs, values],
    [JSON.stringify(categories), JSON.stringify(values), seriesLabel],
  );
  return html`<figure class="chart" aria-label=${label}><div ref=${box} class="chart-box"></div></figure>`;
}

const trim = (s) => (s.length > 12 ? `${s.slice(0, 11)}…` : s);
