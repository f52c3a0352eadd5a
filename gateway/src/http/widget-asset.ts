import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { RequestHandler } from 'express';

/** The built widget (dni-widget/dist/dni.js), same relative place from src/ and dist/. */
export const WIDGET_FILE = fileURLToPath(new URL('../../../dni-widget/dist/dni.js', import.meta.url));

export interface WidgetAsset {
  /** Content hash; `/dni-<version>.js` is immutable and cached for a year. */
  readonly version: string | null;
  readonly handler: RequestHandler;
}

/**
 * Serves the widget from memory. `/dni.js` (the install snippet's URL) is cached briefly and revalidated by ETag, so
 * a new release reaches every site within minutes; `/dni-<hash>.js` never changes and is cached for a year.
 */
export function widgetAsset(file = WIDGET_FILE): WidgetAsset {
  let body: Buffer | null = null;
  try {
    body = readFileSync(file);
  } catch {
    body = null;
  }
  const version = body ? createHash('sha256').update(body).digest('hex').slice(0, 12) : null;
  // Compressed once at start: every visitor of every customer site downloads this.
  const br = body ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }) : null;
  const gz = body ? gzipSync(body, { level: 9 }) : null;
  const etag = version ? `"${version}"` : '';
  const handler: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const pinned = req.path === `/dni-${version}.js`;
    if (req.path !== '/dni.js' && !pinned) return next();
    if (!body) {
      res.status(503).type('application/javascript').set('Cache-Control', 'no-store').send('/* the widget is not built: npm run widget:build */');
      return;
    }
    res.set({
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': pinned ? 'public, max-age=31536000, immutable' : 'public, max-age=300, stale-while-revalidate=86400',
      ETag: etag,
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    const accepts = String(req.headers['accept-encoding'] ?? '');
    res.vary('Accept-Encoding');
    if (br && /\bbr\b/.test(accepts)) res.status(200).set('Content-Encoding', 'br').send(br);
    else if (gz && /\bgzip\b/.test(accepts)) res.status(200).set('Content-Encoding', 'gzip').send(gz);
    else res.status(200).send(body);
  };
  return { version, handler };
}
