import { expect } from 'chai';
import type { Db } from '../../adapters/db/knex.js';
import { createLogger } from '../../logging/logger.js';
import { IpHasher } from './ip-hasher.js';
import { VisitRecorder } from './visit-recorder.js';
import type { VisitRecord } from './visit-recorder.js';

// A database that never answers: what the recorder keeps while it waits is all that is measured.
const stalled = { transaction: () => new Promise(() => undefined) } as unknown as Db;
const logger = createLogger({ level: 'silent' });

const visit = (i: number): VisitRecord => ({
  accountId: 'a',
  siteId: 's',
  visitorId: `v${i}`,
  sessionId: `s${i}`,
  channelId: null,
  pageUrl: `https://example.com/p${i}`,
  referrer: null,
  visit: { source: 'direct', medium: '(none)', kind: 'direct' } as unknown as VisitRecord['visit'],
  utmSource: null,
  utmMedium: null,
  device: {},
  clientIds: {},
  ipHash: null,
  consent: 'not_required',
  isBot: false,
  leased: false,
  attributionTouch: 'first',
  at: new Date(0),
});

describe('VisitRecorder: memory', () => {
  it('holds at most 20,000 rows while the database is behind, and counts the rest as lost', async () => {
    const rec = new VisitRecorder({ db: stalled, logger, flushMs: 3_600_000 });
    for (let i = 0; i < 20_500; i++) await rec.visit(visit(i));
    expect(rec.lost).to.equal(500);
  });

  it('remembers the last page of the 20,000 most recent sessions only', async () => {
    const rec = new VisitRecorder({ db: stalled, logger, flushMs: 3_600_000 });
    await rec.visit(visit(0));
    expect(rec.isRepeat('s0', 'https://example.com/p0')).to.equal(true);
    for (let i = 1; i <= 20_000; i++) rec.seen('s', `x${i}`, new Date(0));
    expect(rec.isRepeat('s0', 'https://example.com/p0'), 'the oldest session forgotten').to.equal(false);
    expect(rec.isRepeat('x20000', undefined)).to.equal(false);
  });
});

describe('IpHasher: memory', () => {
  it('keeps at most 10,000 addresses', () => {
    const h = new IpHasher(Buffer.from('secret'));
    for (let i = 0; i < 25_000; i++) h.hash(`10.0.${i >> 8}.${i & 255}`);
    expect(h.size).to.be.at.most(10_000);
    expect(h.hash('10.0.0.1')).to.match(/^[0-9a-f]{64}$/);
  });
});
