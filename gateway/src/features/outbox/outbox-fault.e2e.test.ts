import { expect } from 'chai';
import { GenericWebhookSink } from '../../adapters/crm/generic-webhook-sink.js';
import { verifyWebhook } from '../../adapters/crm/standard-webhooks.js';
import { createLogger } from '../../logging/logger.js';
import { systemClock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { seededRandom, startStandIn, waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { Fault, StandIn } from '../../../test/stand-ins/http-stand-in.js';
import type { Lead } from '../leads/lead-types.js';
import { aLead, testOutbound } from '../../../test/factories/leads.js';
import type { OutboxHandler } from './outbox-handler.js';
import { PgOutboxStore } from './outbox-store.js';
import { OutboxWorker } from './outbox-worker.js';
import type { RetryPolicy } from './retry-policy.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const CALLS = 1_000;
/** The real schedule squeezed from days into milliseconds, with enough attempts that 30 % failures never exhaust it. */
const FAST_POLICY: RetryPolicy = {
  delaysMs: [0, 5, 10, 20, 40, 80, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
  jitter: 0.2,
};

const lead = (accountId: string, callId: string): Lead => aLead({ accountId, callId, siteId: null });

describe('outbox under faults: 1,000 leads, 30 % failing requests, crashes, restarts, two workers', function () {
  this.timeout(180_000);
  const t = useTestDatabase();
  const store = new PgOutboxStore();
  const logger = createLogger({ level: 'silent' });
  let standIn: StandIn;
  /** webhook-id → times the endpoint accepted (processed) it; call id → distinct webhook ids seen. */
  const accepted = new Map<string, number>();
  const idsPerCall = new Map<string, Set<string>>();
  const injected: Record<Fault, number> = { none: 0, '500': 0, '503': 0, '429': 0, timeout: 0, slow: 0 };
  let accountId: string;

  before(async () => {
    accountId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'Fault test' });
    const random = seededRandom(20261122);
    standIn = await startStandIn(
      (req) => {
        const ok = verifyWebhook(
          SECRET,
          {
            id: req.headers['webhook-id'] as string,
            timestamp: req.headers['webhook-timestamp'] as string,
            signature: req.headers['webhook-signature'] as string,
          },
          req.body,
          Date.now(),
        );
        if (!ok) return { status: 401, json: { error: 'bad signature' } };
        const id = req.headers['webhook-id'] as string;
        const callId = (JSON.parse(req.body) as { data: { call_id: string } }).data.call_id;
        accepted.set(id, (accepted.get(id) ?? 0) + 1);
        const ids = idsPerCall.get(callId) ?? new Set<string>();
        ids.add(id);
        idsPerCall.set(callId, ids);
        return { status: 204 };
      },
      {
        pickFault: () => {
          const r = random();
          const fault: Fault = r < 0.08 ? '500' : r < 0.16 ? '503' : r < 0.23 ? '429' : r < 0.3 ? 'timeout' : 'none';
          injected[fault]++;
          return fault;
        },
      },
    );
  });

  after(async () => {
    await standIn?.close();
  });

  function newWorker(): OutboxWorker {
    const sink = new GenericWebhookSink({ url: `${standIn.url}/hooks/leads`, secret: SECRET, timeoutMs: 250 }, systemClock);
    const handler: OutboxHandler = {
      topic: 'lead.test',
      policy: FAST_POLICY,
      rateLimit: () => ({ key: 'stand-in', ratePerSec: 5_000, burst: 200 }),
      async handle(msg, ctx) {
        await sink.deliver(lead(msg.accountId, String(msg.payload.callId)), null, {
          signal: ctx.signal,
          deliveryId: `msg_${msg.id}`,
          fetch: testOutbound.fetch,
        });
      },
    };
    return new OutboxWorker(
      { db: t.db.knex, store, handlers: [handler], clock: systemClock, logger },
      { batchSize: 16, concurrency: 8, leaseMs: 1_000, pollIntervalMs: 10, maxRateWaitMs: 100 },
    );
  }

  it('delivers every lead exactly once per call, losing none', async () => {
    const callIds = Array.from({ length: CALLS }, () => newId());
    await t.db.knex.transaction(async (trx) => {
      for (const callId of callIds) {
        await store.enqueue(trx, {
          accountId,
          topic: 'lead.test',
          dedupeKey: `lead:test:${callId}:call.ended`,
          payload: { callId },
          aggregateId: callId,
        });
      }
    });
    // Enqueuing twice is a no-op: the dedupe key holds.
    expect(await store.enqueue(t.db.knex, { accountId, topic: 'lead.test', dedupeKey: `lead:test:${callIds[0]}:call.ended`, payload: {} })).to.equal(
      null,
    );

    const workers: OutboxWorker[] = [];
    const start = () => {
      const w = newWorker();
      workers.push(w);
      w.start();
      return w;
    };
    const calls = () => idsPerCall.size;

    const first = start();
    await waitUntil(() => calls() >= 250, 60_000, 'a quarter delivered');
    await first.kill(); // crash: in-flight rows keep their lease until it runs out

    const second = start();
    const third = start(); // two workers on the same table at once
    await waitUntil(() => calls() >= 600, 60_000, 'more than half delivered');
    await second.stop(); // graceful: in-flight rows finish or go back at once
    await third.kill();

    start();
    await waitUntil(
      async () => {
        const counts = await store.countByStatus(t.db.knex, accountId);
        return !counts.pending && !counts.delivering;
      },
      90_000,
      'the outbox to drain',
    );
    for (const w of workers) await w.stop();

    const counts = await store.countByStatus(t.db.knex, accountId);
    const lost = callIds.filter((id) => !idsPerCall.has(id)).length;
    const duplicateLeads = [...idsPerCall.values()].filter((ids) => ids.size > 1).length;
    const redelivered = [...accepted.values()].filter((n) => n > 1).length;
    const attempts = workers.reduce((n, w) => n + w.stats.attempts, 0);
    const failuresInjected = injected['500'] + injected['503'] + injected['429'] + injected.timeout;
    // biome-ignore lint/suspicious/noConsole: the run's figures are reported, not asserted
    console.log(
      `outbox fault test (${t.db.kind}): calls=${CALLS} delivered=${counts.delivered ?? 0} dead=${counts.dead ?? 0} lost=${lost} ` +
        `duplicateLeads=${duplicateLeads} requests=${standIn.requests.length} attemptsCounted=${attempts} failuresInjected=${failuresInjected} ` +
        `(500=${injected['500']} 503=${injected['503']} 429=${injected['429']} timeout=${injected.timeout}) ` +
        `redeliveriesDedupedByWebhookId=${redelivered} workerRuns=${workers.length}`,
    );

    expect(counts.delivered).to.equal(CALLS);
    expect(counts.dead ?? 0).to.equal(0);
    expect(lost).to.equal(0);
    expect(duplicateLeads).to.equal(0);
    expect(failuresInjected).to.be.greaterThan(CALLS * 0.3);
  });
});
