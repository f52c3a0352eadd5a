// Fails when the built widget exceeds its compressed-size budget (dni-widget/package.json "sizeBudget").
// Compressed size is what visitors download, so that is what is budgeted.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = new URL('../dni-widget/', import.meta.url);
const { sizeBudget: budget } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const measure = (buf) => ({
  raw: buf.length,
  gzip: gzipSync(buf, { level: 9 }).length,
  brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

let current;
try {
  current = measure(readFileSync(new URL(budget.file, root)));
} catch {
  console.error(`dni-widget/${budget.file} is missing: run npm run widget:build first`);
  process.exit(1);
}

const line = (name, size, max) => `${name.padEnd(7)} ${String(size).padStart(5)} B  budget ${max} B  ${size <= max ? 'ok' : 'OVER'}`;
process.stdout.write(`dni-widget/${budget.file}: ${current.raw} B minified\n`);
process.stdout.write(`${line('gzip', current.gzip, budget.gzipBytes)}\n${line('brotli', current.brotli, budget.brotliBytes)}\n`);
if (current.gzip > budget.gzipBytes || current.brotli > budget.brotliBytes) {
  console.error('dni-widget is over its size budget');
  process.exit(1);
}
