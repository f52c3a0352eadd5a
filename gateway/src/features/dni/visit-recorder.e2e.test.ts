import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { createLogger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import { classifyVisit } from './visit-classifier.js';
import type { VisitRecord } from './visit-recorder.js';
import { SEEN_RESOLUTION_MS, VisitRecorder } from './visit-recorder.js';

describe('VisitRecorder behind the answer', () => {
  const t = useTestDatabase();

  it('writes one row per session however often it is seen, and a reload of the same page is only a touch', async () => {
    const accountId = newId();
    const siteId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'A' });
    await t.db.knex('sites').insert({ id: siteId, account_id: accountId, name: 's', public_key: `k${siteId.slice(-10)}` });
    const recorder = new VisitRecorder({ db: t.db.knex, logger: createLogger({ level: 'silent' }), mode: 'behind', flushMs: 60_000 });
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
});
