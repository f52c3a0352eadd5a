import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { expect } from 'chai';
import express from 'express';
import { widgetAsset } from './widget-asset.js';

describe('widget asset', () => {
  let server: Server;
  let base: string;
  let version: string | null;
  const source = `(function(){/* widget */${'x'.repeat(2000)}})();`;

  before(async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'w-')), 'dni.js');
    writeFileSync(file, source);
    const asset = widgetAsset(file);
    version = asset.version;
    const app = express().use(asset.handler);
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('serves /dni.js compressed, briefly cached and revalidated by ETag', async () => {
    const res = await fetch(`${base}/dni.js`, { headers: { 'accept-encoding': 'br' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('public, max-age=300, stale-while-revalidate=86400');
    expect(res.headers.get('content-type')).to.match(/^application\/javascript/);
    expect(await res.text()).to.equal(source);
    const again = await fetch(`${base}/dni.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).to.equal(304);
  });

  it('serves the versioned URL as immutable', async () => {
    expect(version).to.match(/^[0-9a-f]{12}$/);
    const res = await fetch(`${base}/dni-${version}.js`);
    expect(res.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    expect((await fetch(`${base}/dni-000000000000.js`)).status).to.equal(404);
  });

  it('sends brotli bytes that decompress to the bundle', async () => {
    const { request } = await import('node:http');
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      request(`${base}/dni.js`, { headers: { 'accept-encoding': 'gzip, br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    expect(raw.encoding).to.equal('br');
    expect(brotliDecompressSync(raw.body).toString()).to.equal(source);
    expect(raw.body.length).to.be.below(source.length);
  });
});
