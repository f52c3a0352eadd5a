import { fileURLToPath } from 'node:url';
import express from 'express';
import type { RequestHandler } from 'express';

/** The console's static files live in gateway/console (same relative place from src/ and dist/). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

export function consoleStatic(): RequestHandler {
  const files = express.static(CONSOLE_DIR, { index: 'index.html', maxAge: '5m', redirect: true });
  return (req, res, next) => {
    // The console only talks to its own origin; nothing inline, nothing third-party.
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    files(req, res, next);
  };
}

/** The demo landing page: the demo site's numbers, swapped by the widget loaded from this gateway. */
export const demoPage: RequestHandler = (req, res, next) => {
  if (req.method !== 'GET' || req.path !== '/') return next();
  res.setHeader('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  res.setHeader('Cache-Control', 'no-cache');
  res.sendFile('demo.html', { root: CONSOLE_DIR });
};

export const rootRedirect: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' && req.path === '/') res.redirect(302, '/console/');
  else next();
};
