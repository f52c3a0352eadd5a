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
  it('holds at most 20,000 queued rows, a batch and 5,000 waiting visits while the database is behind, and counts the rest as lost', async () => {
    const rec = new VisitRecorder({ db: stalled, logger, flushMs: 3_600_000, maxWaitMs: 50 });
    const answers: Promise<void>[] = [];
    for (let i = 0; i < 28_000; i++) answers.push(rec.visit(visit(i)));
    await Promise.resolve();
    expect(rec.lost, 'past the waiting bound: dropped at once').to.equal(1_000);
    await Promise.all(answers);
    expect(rec.lost, 'and the waiting ones once they waited their time').to.equal(6_000);
  });

  it('makes visits wait for room in a full queue instead of dropping them, and writes every one', async () => {
    // A database that holds its first batch until told to go on, then writes; it counts the session rows it got.
    let go: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      go = r;
    });
    let sessions = 0;
    const trx = {
      raw: async (sql: string, [json]: [string]) => {
        const rows = JSON.parse(json) as { id: string }[];
        if (sql.includes('INSERT INTO web_sessions')) sessions += rows.length;
        return { rows: sql.includes('INSERT INTO visitors') ? rows.map((r) => ({ id: r.id, inserted: true })) : [] };
      },
    };
    const gated = {
      transaction: async (fn: (t: typeof trx) => Promise<void>) => {
        await gate;
        return fn(trx);
      },
    } as unknown as Db;
    const rec = new VisitRecorder({ db: gated, logger, flushMs: 3_600_000 });
    const answers: Promise<void>[] = [];
    for (let i = 0; i < 22_100; i++) answers.push(rec.visit(visit(i)));
    let answered = 0;
    for (const a of answers) void a.then(() => answered++);
    await new Promise((r) => setTimeout(r, 20));
    expect(answered, '20,000 queued and a batch of 2,000 in flight: the last 100 wait').to.equal(22_000);
    go();
    await Promise.all(answers);
    await rec.flush();
    expect(rec.lost).to.equal(0);
    expect(sessions).to.equal(22_100);
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
