// How the widget is bundled, shared by build.mjs and scripts/check-widget-size.mjs (which builds main's sources the
// same way for its delta): esbuild bundles and minifies, then terser compresses once more. terser's passes save about
// 80 B gzip on dni.js over esbuild's minifier alone (3,217 → 3,141 B when measured), hoisting function declarations
// 12 B more (3,075 → 3,063 B), which is what the budget was short of.
import { build } from 'esbuild';
import { minify } from 'terser';

/**
 * V8's explicit compile hint: compile every function of the file up front, off the main thread when the script is
 * streamed (an async script is), instead of lazily on the main thread at each one's first call. Nearly every function
 * of dni.js runs on load. In bench:widget the hint took the widget's main-thread scripting from 4.1–4.2 to 3.4 ms
 * (first visit) and 6.1–6.7 to 5.5–5.6 ms (page two) in two sittings, for 22 B gzip. It must come first in the file;
 * the "use strict" after it is still the directive.
 */
const EAGER = '//# allFunctionsCalledOnLoad\n';

/** The minified IIFE for one entry point; `eager` puts the compile hint above it. */
export async function bundle(entry, { eager = false } = {}) {
  const out = await build({
    entryPoints: [entry],
    write: false,
    bundle: true,
    format: 'iife',
    minify: true,
    target: ['es2020'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  const { code } = await minify(out.outputFiles[0].text, { ecma: 2020, compress: { passes: 3, hoist_funs: true }, mangle: true });
  return eager ? EAGER + code : code;
}
