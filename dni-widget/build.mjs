// Builds the widget into one minified IIFE: dni-widget/dist/dni.js (served by the gateway at /dni.js).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('.', import.meta.url));
mkdirSync(`${root}dist`, { recursive: true });
await build({
  entryPoints: [`${root}src/widget.ts`],
  outfile: `${root}dist/dni.js`,
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
});
// The optional inquiries module (forms, email swap): its own file, loaded only by sites that turn it on.
await build({
  entryPoints: [`${root}src/inquiries.ts`],
  outfile: `${root}dist/dni-inquiries.js`,
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
});
