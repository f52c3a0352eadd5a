import { expect } from 'chai';
import { createLogger } from '../../logging/logger.js';
import { ManualClock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { DeliveryError } from './outbox-handler.js';
import type { OutboxHandler } from './outbox-handler.js';
import { PgOutboxStore } from './outbox-store.js';
import { OutboxWorker } from './outbox-worker.js';

describe('OutboxWorker and PgOutboxStore: leases, backoff, dead rows, rate limits, order', () => {
  const t = useTestDatabase();
  const store = new PgOutboxStore();
  const logger = createLogger({ level: 'silent' });
  let accountId: string;
  let clock: ManualClock;

  before(async () => {
    accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'Outbox' });
  });
  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-11-20T12:00:00Z'));
    await t.db.knex('outbox').del();
  });

  const enqueue = (topic: string, aggregateId = newId()) =>
    store.enqueue(t.db.knex, { accountId, topic, dedupeKey: `${topic}:${newId()}`, payload: { n: 1 }, aggregateId, runAt: clock.now() });
  const worker = (handler: OutboxHandler, opts = {}) =>
    new OutboxWorker({ db: t.db.knex, store, handlers: [handler], clock, logger, random: () => 0.5 }, { leaseMs: 10_000, maxRateWaitMs: 0, ...opts });
  const row = async (id: string) => (await store.get(t.db.knex, accountId, id))!;

  it('backs off on the schedule, honours Retry-After, and makes the row dead after the last attempt', async () => {
    let retryAfterMs: number | undefined;
    const h: OutboxHandler = {
      topic: 't.fail',
      policy: { delaysMs: [0, 1_000, 5_000], jitter: 0.2 },
      handle: async () => {
        throw new DeliveryError('503 from the CRM', { retryable: true, retryAfterMs });
      },
    };
    const w = worker(h);
    const m = (await enqueue('t.fail'))!;
    await w.runOnce();
    let r = await row(m.id);
    expect(r).to.include({ status: 'pending', attempts: 1, lastError: '503 from the CRM' });
    expect(r.nextAttemptAt.getTime() - clock.nowMs()).to.equal(1_000);

    clock.advance(1_000);
    retryAfterMs = 60_000;
    await w.runOnce();
    r = await row(m.id);
    expect(r.nextAttemptAt.getTime() - clock.nowMs()).to.equal(60_000);

    clock.advance(60_000);
    await w.runOnce();
    r = await row(m.id);
    expect(r).to.include({ status: 'dead', attempts: 3 });
    expect(w.stats).to.include({ dead: 1, failed: 3 });

    const retried = await store.retry(t.db.knex, accountId, m.id, clock.now());
    expect(retried).to.include({ status: 'pending', attempts: 0 });
  });

  it('makes a row dead at once on a permanent failure', async () => {
    const w = worker({
      topic: 't.perm',
      policy: { delaysMs: [0, 1_000], jitter: 0 },
      handle: async () => {
        throw new DeliveryError('400 bad field', { retryable: false });
      },
    });
    const m = (await enqueue('t.perm'))!;
    await w.runOnce();
    expect(await row(m.id)).to.include({ status: 'dead', attempts: 1 });
  });

  it("takes a crashed worker's row back only after its lease, and ignores the stale worker's late answer", async () => {
    const m = (await enqueue('t.lease'))!;
    const [claimed] = await store.claim(t.db.knex, { now: clock.now(), limit: 5, leaseMs: 10_000, leaseId: 'lease-a', topics: ['t.lease'] });
    expect(claimed).to.include({ id: m.id, status: 'delivering', attempts: 1 });
    expect(await store.claim(t.db.knex, { now: clock.now(), limit: 5, leaseMs: 10_000, leaseId: 'lease-b', topics: ['t.lease'] })).to.have.length(0);
    clock.advance(10_000);
    const [again] = await store.claim(t.db.knex, { now: clock.now(), limit: 5, leaseMs: 10_000, leaseId: 'lease-b', topics: ['t.lease'] });
    expect(again).to.include({ id: m.id, attempts: 2 });
    expect(await store.complete(t.db.knex, m.id, 'lease-a', clock.now())).to.equal(false);
    expect(await store.complete(t.db.knex, m.id, 'lease-b', clock.now())).to.equal(true);
    expect(await row(m.id)).to.include({ status: 'delivered' });
  });

  it('puts a row back without counting an attempt when its sink has no tokens left', async () => {
    const seen: string[] = [];
    const w = worker({
      topic: 't.rate',
      policy: { delaysMs: [0], jitter: 0 },
      rateLimit: () => ({ key: 'crm-a', ratePerSec: 1, burst: 1 }),
      handle: async (msg) => {
        seen.push(msg.id);
      },
    });
    const a = (await enqueue('t.rate'))!;
    const b = (await enqueue('t.rate'))!;
    await w.runOnce();
    expect(seen).to.have.length(1);
    const waiting = await row(seen[0] === a.id ? b.id : a.id);
    expect(waiting).to.include({ status: 'pending', attempts: 0 });
    expect(waiting.nextAttemptAt.getTime() - clock.nowMs()).to.equal(1_000);
  });

  it("delivers one aggregate's events in order: a later event waits for the earlier one", async () => {
    const callId = newId();
    const first = (await enqueue('t.order', callId))!;
    const second = (await enqueue('t.order', callId))!;
    const claimed = await store.claim(t.db.knex, { now: clock.now(), limit: 5, leaseMs: 10_000, leaseId: 'l1', topics: ['t.order'] });
    expect(claimed.map((r) => r.id)).to.deep.equal([first.id]);
    await store.complete(t.db.knex, first.id, 'l1', clock.now());
    const next = await store.claim(t.db.knex, { now: clock.now(), limit: 5, leaseMs: 10_000, leaseId: 'l2', topics: ['t.order'] });
    expect(next.map((r) => r.id)).to.deep.equal([second.id]);
  });

  it('gives rows back at once when stopped gracefully mid-delivery', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const w = worker(
      {
        topic: 't.stop',
        policy: { delaysMs: [0, 1_000], jitter: 0 },
        handle: (_m, ctx) =>
          new Promise<void>((_resolve, reject) => {
            started();
            ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      },
      { pollIntervalMs: 5 },
    );
    const m = (await enqueue('t.stop'))!;
    w.start();
    await running;
    await w.stop(10);
    expect(await row(m.id)).to.include({ status: 'pending', attempts: 0 });
  });
});
