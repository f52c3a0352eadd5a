import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { RequestHandler } from 'express';

/** The optional module (dni-widget/dist/dni-inquiries.js), same relative place from src/ and dist/. */
export const INQUIRY_WIDGET_FILE = fileURLToPath(new URL('../../../../dni-widget/dist/dni-inquiries.js', import.meta.url));

/** Serves `/dni-inquiries.js` from memory, gzipped once; read at start like the core widget. */
export function inquiryWidgetAsset(file = INQUIRY_WIDGET_FILE): RequestHandler {
  let body: Buffer | null = null;
  try {
    body = readFileSync(file);
  } catch {
    body = null;
  }
  const gz = body ? gzipSync(body, { level: 9 }) : null;
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/dni-inquiries.js') return next();
    if (!body) {
      res.status(503).type('application/javascript').set('Cache-Control', 'no-store').send('/* not built: npm run widget:build */');
      return;
    }
    res.set({
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    });
    res.vary('Accept-Encoding');
    if (gz && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) res.status(200).set('Content-Encoding', 'gzip').send(gz);
    else res.status(200).send(body);
  };
}
