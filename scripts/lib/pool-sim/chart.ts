import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';

/**
 * Correct share against pool size as a standalone SVG. d3-scale gives the axes and ticks, d3-shape the paths; the
 * few elements around them are written here because a charting library that renders SVG without a DOM (vega) weighs
 * tens of megabytes for one line chart.
 */

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly size: number; readonly correct: number }[];
  readonly n99: number | null;
}

const COLOURS = ['#1b6ac9', '#d1495b', '#edae49', '#3b8b5a', '#6d597a'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function accuracyChart(series: readonly ChartSeries[], title: string, labels: { x: string; y: string }, maxSize?: number): string {
  const W = 760;
  const H = 440;
  const m = { top: 40, right: 190, bottom: 50, left: 60 };
  const maxX = maxSize ?? Math.max(10, ...series.flatMap((s) => s.points.map((p) => p.size)));
  const minY = 0.8;
  const x = scaleLinear()
    .domain([0, maxX])
    .range([m.left, W - m.right])
    .nice();
  const y = scaleLinear()
    .domain([minY, 1])
    .range([H - m.bottom, m.top]);
  const path = line<{ size: number; correct: number }>()
    .x((p) => x(p.size))
    .y((p) => y(p.correct));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const t of x.ticks(10)) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${m.top}" y2="${H - m.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x(t)}" y="${H - m.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of y.ticks(8)) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end">${Math.round(t * 100)} %</text>`);
  }
  for (const level of [0.95, 0.99]) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(level)}" y2="${y(level)}" stroke="#888" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${W - m.right + 4}" y="${y(level) + 4}" fill="#555">${level * 100} %</text>`);
  }
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(labels.x)}</text>`);
  out.push(`<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(labels.y)}</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    // Only points inside the axes (sizes up to the axis, shares from 80 %): the tables have the rest.
    const pts = s.points.filter((p) => p.size <= x.domain()[1]! && p.correct >= minY).sort((a, b) => a.size - b.size);
    out.push(`<path d="${path(pts) ?? ''}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    if (s.n99 !== null) out.push(`<circle cx="${x(s.n99)}" cy="${y(0.99)}" r="4" fill="${colour}"/>`);
    const ly = m.top + 18 * i + 10;
    out.push(`<line x1="${W - m.right + 50}" x2="${W - m.right + 70}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${W - m.right + 74}" y="${ly + 4}">${esc(`${s.name}${s.n99 === null ? '' : ` (${s.n99})`}`)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
