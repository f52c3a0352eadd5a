// Main-thread cost of the widget's swap on a generated 1,000-element page, in Chromium:
//   npx tsx scripts/bench-widget.ts   (builds the widget first)
// Page two path (swaps known from storage): each run rebuilds the page's DOM with canonical numbers, then times
// `dni('rescan')` with performance.now() — the synchronous walk + swap the widget does before first paint.
import { execFileSync } from 'node:child_process';
import { launchChromium } from '../gateway/test/helpers/browser.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startStandIn } from '../dni-widget/test/helpers/stand-in-gateway.js';

const RUNS = 30;
const dir = join(tmpdir(), `dni-bench-${process.pid}`);

function body(): string {
  const formats = ['+7 (495) 123-45-67', '8 495 123 45 67', '(415) 555-0100', '+1 415.555.0100'];
  const parts: string[] = [];
  let elements = 0;
  for (let i = 0; elements < 1000; i++) {
    const phone = i % 10 === 0 ? formats[(i / 10) % formats.length] : null;
    if (phone) {
      parts.push(`<p>Call <a href="tel:${phone.replace(/[^\d+]/g, '')}"><span>${phone}</span></a> today.</p>`);
      elements += 3;
    } else {
      parts.push(
        `<div class="card"><h3>Item ${i}</h3><p>Some <b>bold</b> text, price ${i * 7} rub, order #${100000 + i}.</p><ul><li>one</li><li>two</li></ul></div>`,
      );
      elements += 7;
    }
  }
  return parts.join('\n');
}

const main = async (): Promise<void> => {
  execFileSync(process.execPath, [fileURLToPath(new URL('../dni-widget/build.mjs', import.meta.url))]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'bench.html'),
    `<!doctype html><html><head><meta charset="utf-8"><script async src="{{GATEWAY}}/dni.js" data-site="demo"></script></head><body>${body()}</body></html>`,
  );
  const standIn = await startStandIn(new URL('../dni-widget/dist/dni.js', import.meta.url), pathToFileURL(`${dir}/`));
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    await context.addInitScript(`localStorage.setItem('dni:demo', JSON.stringify({ visitorId: 'v', sessionId: 's', expiresAt: Date.now() + 6e5,
      swaps: [{ from: '+74951234567', to: '+74951234561' }, { from: '+14155550100', to: '+14155550101' }] }))`);
    const page = await context.newPage();
    await page.goto(`${standIn.site}/fixtures/bench.html`);
    await page.waitForFunction(() => typeof window.dni === 'function');
    const result = await page.evaluate((runs) => {
      const html = document.body.innerHTML
        .replace(/123-45-61|123 45 61/g, (m) => m.replace('61', '67'))
        .replace(/555-0101|555\.0101/g, (m) => m.replace('0101', '0100'));
      const times: number[] = [];
      let swapped = 0;
      for (let i = 0; i < runs; i++) {
        document.body.innerHTML = html.replace(/74951234561/g, '74951234567').replace(/14155550101/g, '14155550100');
        const t = performance.now();
        window.dni?.('rescan');
        times.push(performance.now() - t);
        swapped = (document.body.textContent?.match(/123-45-61|123 45 61|555-0101|555\.0101/g) ?? []).length;
      }
      return { times: times.sort((a, b) => a - b), nodes: document.body.getElementsByTagName('*').length, swapped };
    }, RUNS);
    const median = result.times[Math.floor(result.times.length / 2)] ?? NaN;
    const p90 = result.times[Math.floor(result.times.length * 0.9)] ?? NaN;
    process.stdout.write(
      `widget scan+swap on ${result.nodes} elements (${result.swapped} numbers swapped), ${RUNS} runs: ` +
        `median ${median.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms, max ${(result.times.at(-1) ?? NaN).toFixed(2)} ms\n`,
    );
  } finally {
    await browser.close();
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
