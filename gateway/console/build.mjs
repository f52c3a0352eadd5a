// Builds the console into gateway/console/dist: one ES module and one stylesheet, no CDN, nothing inline (the
// console's CSP allows only 'self'). Prints the gzipped size and fails past the budget.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('.', import.meta.url));
const BUDGET_GZIP_BYTES = 150 * 1024;
mkdirSync(`${root}dist`, { recursive: true });
await build({
  entryPoints: { console: `${root}src/main.js` },
  outdir: `${root}dist`,
  bundle: true,
  format: 'esm',
  minify: process.env.CONSOLE_MINIFY !== 'false',
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
  loader: { '.css': 'css' },
});
let total = 0;
const lines = [];
for (const f of readdirSync(`${root}dist`)) {
  const gz = gzipSync(readFileSync(`${root}dist/${f}`)).length;
  total += gz;
  lines.push(`  ${f}: ${(gz / 1024).toFixed(1)} KB gzipped`);
}
console.warn(`console bundle:\n${lines.join('\n')}\n  total: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_GZIP_BYTES / 1024} KB)`);
if (total > BUDGET_GZIP_BYTES) {
  console.error('console bundle is over its budget');
  process.exit(1);
}
