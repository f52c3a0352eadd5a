import { expect } from 'chai';
import { Registry } from 'prom-client';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { classifyVisit } from './visit-classifier.js';
import type { VisitRecord } from './visit-recorder.js';
import { SEEN_RESOLUTION_MS, VisitRecorder, createVisitRowMetrics } from './visit-recorder.js';

describe('VisitRecorder behind the answer', () => {
  const t = useTestDatabase();

  it('writes one row per session however often it is seen, and a reload of the same page is only a touch', async () => {
    const accountId = newId();
    const siteId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'A' });
    await t.db.knex('sites').insert({ id: siteId, account_id: accountId, name: 's', public_key: `k${siteId.slice(-10)}` });
    const recorder = new VisitRecorder({ db: t.db.knex, logger: createLogger({ level: 'silent' }), flushMs: 60_000 });
    const base = Date.parse('2026-05-01T10:00:00Z');
    const visit = (pageUrl: string, secondsLater: number): VisitRecord => ({
      accountId,
      siteId,
      visitorId: 'visitor-0001',
      sessionId: 'session-0001',
      channelId: null,
      pageUrl,
      referrer: null,
      visit: classifyVisit({ pageUrl, referrer: null, siteDomains: ['shop.example'] }),
      utmSource: null,
      utmMedium: null,
      device: {},
      clientIds: {},
      ipHash: null,
      consent: 'not_required',
      isBot: false,
      leased: true,
      attributionTouch: 'first',
      at: new Date(base + secondsLater * 1000),
    });
    await recorder.visit(visit('https://shop.example/', 0));
    expect(recorder.isRepeat('session-0001', 'https://shop.example/')).to.equal(true);
    await recorder.visit(visit('https://shop.example/', 5));
    await recorder.visit(visit('https://shop.example/sofas', 10));
    await recorder.visit(visit('https://shop.example/sofas', 20));
    await recorder.flush();
    const touched = async () => new Date((await t.db.knex('web_sessions').where({ id: 'session-0001' }).first()).last_seen_at).getTime();
    // A reload within the last-seen resolution of the last write is not written again.
    expect(SEEN_RESOLUTION_MS).to.equal(30_000);
    expect(await touched()).to.equal(base + 10_000);
    await recorder.visit(visit('https://shop.example/sofas', 45));
    recorder.seen(siteId, 'session-0001', new Date(base + 50_000));
    await recorder.flush();
    expect(await touched()).to.equal(base + 45_000);
    recorder.seen(siteId, 'session-0001', new Date(base + 80_000));
    await recorder.stop();

    const rows = await t.db.knex('web_sessions').where({ id: 'session-0001' });
    expect(rows).to.have.length(1);
    expect(rows[0].pages).to.deep.equal(['https://shop.example/', 'https://shop.example/sofas']);
    expect(new Date(rows[0].last_seen_at).getTime()).to.equal(base + 80_000);
    expect(recorder.lost).to.equal(0);
  });

  it('writes the good rows of a batch that holds a row the database refuses, and counts the bad one', async () => {
    const accountId = newId();
    const siteId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'B' });
    await t.db.knex('sites').insert({ id: siteId, account_id: accountId, name: 's', public_key: `k${siteId.slice(-10)}` });
    const registry = new Registry();
    const recorder = new VisitRecorder({
      db: t.db.knex,
      logger: createLogger({ level: 'silent' }),
      flushMs: 60_000,
      metrics: createVisitRowMetrics(registry),
    });
    const at = new Date('2026-05-01T10:00:00Z');
    const visit = (i: number, pageUrl: string): VisitRecord => ({
      accountId,
      siteId,
      visitorId: `visitor-b${i}`,
      sessionId: `session-b${i}`,
      channelId: null,
      pageUrl,
      referrer: null,
      visit: classifyVisit({ pageUrl: 'https://shop.example/', referrer: null, siteDomains: ['shop.example'] }),
      utmSource: null,
      utmMedium: null,
      device: {},
      ipHash: null,
      consent: 'not_required',
      isBot: false,
      leased: false,
      attributionTouch: 'first',
      clientIds: {},
      at,
    });
    // PostgreSQL text cannot hold NUL: this one row used to fail its whole batch.
    for (let i = 0; i < 500; i++) await recorder.visit(visit(i, i === 250 ? 'https://shop.example/\u0000x' : `https://shop.example/p${i}`));
    await recorder.flush();
    const [{ n }] = (await t.db.knex('web_sessions').where({ site_id: siteId }).count({ n: '*' })) as [{ n: string | number }];
    expect(Number(n)).to.equal(499);
    expect(recorder.rejected).to.equal(1);
    expect(recorder.lost).to.equal(0);
    expect(await registry.metrics()).to.match(/gateway_dni_visit_rows_rejected_total 1\b/);
  });

  it('runs a batch again when PostgreSQL rolls it back for a deadlock, losing and doubling nothing', async () => {
    const accountId = newId();
    const siteId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'D' });
    await t.db.knex('sites').insert({ id: siteId, account_id: accountId, name: 's', public_key: `k${siteId.slice(-10)}` });
    const real = t.db.knex;
    let deadlocks = 0;
    // The first attempt writes its rows, then fails the way a deadlock victim does: PostgreSQL rolls it all back.
    const db = {
      transaction: (fn: Parameters<typeof real.transaction>[0]) =>
        real.transaction(async (trx) => {
          const out = await fn(trx);
          if (deadlocks++ === 0) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
          return out;
        }),
    } as unknown as typeof real;
    const recorder = new VisitRecorder({ db, logger: createLogger({ level: 'silent' }), flushMs: 60_000 });
    const at = new Date('2026-05-01T10:00:00Z');
    for (let i = 0; i < 20; i++) {
      await recorder.visit({
        accountId,
        siteId,
        visitorId: `visitor-d${i}`,
        sessionId: `session-d${i}`,
        channelId: null,
        pageUrl: `https://shop.example/p${i}`,
        referrer: null,
        visit: classifyVisit({ pageUrl: 'https://shop.example/', referrer: null, siteDomains: ['shop.example'] }),
        utmSource: null,
        utmMedium: null,
        device: {},
        ipHash: null,
        consent: 'not_required',
        isBot: false,
        leased: false,
        attributionTouch: 'first',
        clientIds: {},
        at,
      });
    }
    await recorder.flush();
    expect(deadlocks, 'attempts').to.equal(2);
    expect(recorder.lost).to.equal(0);
    const [{ n }] = (await real('web_sessions').where({ site_id: siteId }).count({ n: '*' })) as [{ n: string | number }];
    expect(Number(n)).to.equal(20);
    const [{ v }] = (await real('visitors').where({ site_id: siteId }).count({ v: '*' })) as [{ v: string | number }];
    expect(Number(v)).to.equal(20);
  });

  it('stores a user agent cut inside a character (a lone surrogate) with U+FFFD instead of refusing the row', async () => {
    const accountId = newId();
    const siteId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'C' });
    await t.db.knex('sites').insert({ id: siteId, account_id: accountId, name: 's', public_key: `k${siteId.slice(-10)}` });
    const recorder = new VisitRecorder({ db: t.db.knex, logger: createLogger({ level: 'silent' }), flushMs: 60_000 });
    const ua = `Mozilla/5.0 ${'\u{1F600}'.slice(0, 1)}`;
    await recorder.visit({
      accountId,
      siteId,
      visitorId: 'visitor-c1',
      sessionId: 'session-c1',
      channelId: null,
      pageUrl: 'https://shop.example/?q=\u{1F600}',
      referrer: null,
      visit: classifyVisit({ pageUrl: 'https://shop.example/', referrer: null, siteDomains: ['shop.example'] }),
      utmSource: null,
      utmMedium: null,
      device: { ua },
      clientIds: {},
      ipHash: null,
      consent: 'not_required',
      isBot: false,
      leased: false,
      attributionTouch: 'first',
      at: new Date('2026-05-01T10:00:00Z'),
    });
    await recorder.flush();
    const row = await t.db.knex('web_sessions').where({ id: 'session-c1' }).first();
    expect(row.device.ua).to.equal('Mozilla/5.0 \uFFFD');
    expect(row.landing_url).to.equal('https://shop.example/?q=\u{1F600}');
    expect(recorder.rejected).to.equal(0);
  });
});
