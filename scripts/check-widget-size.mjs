// Fails when the built widget exceeds its compressed-size budget (dni-widget/package.json "sizeBudget").
// Compressed size is what visitors download, so that is what is budgeted. Also prints the delta against `main`
// (built from main's sources in a temporary directory) when a `main` ref exists.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { bundle } from '../dni-widget/bundle.mjs';

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

/** main's widget, bundled the same way as dni-widget/build.mjs; null without a main ref. */
async function mainSize() {
  const dir = mkdtempSync(join(tmpdir(), 'dni-size-'));
  try {
    const repo = fileURLToPath(new URL('..', import.meta.url));
    const tar = execFileSync('git', ['-C', repo, 'archive', 'main', 'dni-widget/src'], { stdio: ['ignore', 'pipe', 'ignore'] });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    return measure(Buffer.from(await bundle(join(dir, 'dni-widget/src/widget.ts'))));
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = await mainSize();
const delta = (name) => {
  if (!base) return '';
  const d = current[name] - base[name];
  return `  (${d >= 0 ? '+' : ''}${d} B vs main)`;
};
const line = (name, max) =>
  `${name.padEnd(7)} ${String(current[name]).padStart(5)} B  budget ${max} B  ${current[name] <= max ? 'ok' : 'OVER'}${delta(name)}`;
process.stdout.write(`dni-widget/${budget.file}: ${current.raw} B minified\n`);
process.stdout.write(`${line('gzip', budget.gzipBytes)}\n${line('brotli', budget.brotliBytes)}\n`);
if (current.gzip > budget.gzipBytes || current.brotli > budget.brotliBytes) {
  console.error('dni-widget is over its size budget');
  process.exit(1);
}
