import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { CrmSinkFactory } from '../../src/adapters/crm/create-lead-sink.js';
import { PgCrmSinkStore } from '../../src/features/crm-sinks/crm-sink-store.js';
import type { CrmSink } from '../../src/features/crm-sinks/crm-sink-types.js';
import { PgCrmLeadStore } from '../../src/features/leads/crm-lead-store.js';
import { LeadDeliveryHandler } from '../../src/features/leads/lead-delivery-handler.js';
import { LeadOutboxHook } from '../../src/features/leads/lead-outbox-hook.js';
import { LeadReadModel } from '../../src/features/leads/lead-read-model.js';
import { PgOutboxStore } from '../../src/features/outbox/outbox-store.js';
import { OutboxWorker } from '../../src/features/outbox/outbox-worker.js';
import type { RetryPolicy } from '../../src/features/outbox/retry-policy.js';
import type { RateLimit } from '../../src/features/outbox/token-bucket.js';
import { createLogger } from '../../src/logging/logger.js';
import { systemClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { SecretBox } from '../../src/shared/secret-box.js';
import { PgCustomerLeadStore } from '../../src/features/leads/customer-lead-store.js';
import { LeadAssigner } from '../../src/features/leads/lead-assigner.js';
import { aCaller, anAttributedCall, endCall } from '../factories/calls.js';
import { testOutbound } from '../factories/leads.js';
import { startBitrix24StandIn } from './bitrix24-stand-in.js';
import { seededRandom, waitUntil } from './http-stand-in.js';
import type { Fault } from './http-stand-in.js';

/** The real schedule squeezed from days into milliseconds, with enough attempts that 40 % faults never exhaust it. */
const FAST: RetryPolicy = { delaysMs: [0, 5, 10, 20, 40, 80, ...Array<number>(14).fill(100)], jitter: 0.2 };

/** The real factory with Bitrix24's 2 requests/s lifted, so a run stays short. */
class FastFactory extends CrmSinkFactory {
  override rateLimit(sink: CrmSink): RateLimit {
    return { key: sink.id, ratePerSec: 100_000, burst: 1_000 };
  }
}

export interface LeadFaultFigures {
  readonly calls: number;
  /** Customer leads the calls make (calls minus repeat calls within the lead window). */
  readonly customers: number;
  readonly events: number;
  readonly leads: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly updatedWithOutcome: number;
  readonly crmLeadRows: number;
  readonly requests: number;
  readonly faults: Readonly<Record<Fault, number>>;
  readonly workerRuns: number;
}

/**
 * The whole lead path against a CRM that does not dedupe by itself (a Bitrix24 stand-in: crm.lead.add always adds):
 * `calls` attributed calls each queue call.started and call.ended through the hook; workers deliver while the CRM fails
 * or stalls 40 % of requests (500/503/429: 18 %, handled-but-unanswered timeouts: 12 %, slow answers: 10 %); the first
 * worker is killed, two run at once, one of them is killed and the other stopped, and a last one finishes.
 */
export async function runLeadFaultScenario(
  db: Knex,
  calls: number,
  seed = 8,
  opts: { /** Every n-th call is a repeat call of the previous caller (0: none). */ repeatEvery?: number } = {},
): Promise<LeadFaultFigures> {
  const faults: Record<Fault, number> = { none: 0, '500': 0, '503': 0, '429': 0, timeout: 0, slow: 0 };
  const random = seededRandom(seed);
  const b24 = await startBitrix24StandIn({ user: '1', code: 'faultcode', appToken: 'unused-token' });
  try {
    const accountId = newId();
    const siteId = newId();
    await db('accounts').insert({ id: accountId, name: 'Fault' });
    await db('sites').insert({ id: siteId, account_id: accountId, name: 'Shop', public_key: `k${siteId.slice(-10)}` });
    const box = new SecretBox(randomBytes(32));
    const sinks = new PgCrmSinkStore();
    const sink = await sinks.create(db, {
      id: newId(),
      accountId,
      siteId,
      kind: 'bitrix24',
      name: 'B24',
      config: {},
      secretsSealed: box.seal(JSON.stringify({ webhookUrl: `${b24.url}/rest/1/faultcode/` })),
      deliverOn: ['call.started', 'call.ended'],
      feedbackTokenHash: null,
      managedBy: null,
    });
    const outbox = new PgOutboxStore();
    const hook = new LeadOutboxHook({ sinks, outbox, assigner: new LeadAssigner({ leads: new PgCustomerLeadStore() }) });
    const callIds: string[] = [];
    let caller = aCaller();
    const every = opts.repeatEvery ?? 0;
    for (let i = 0; i < calls; i++) {
      const repeat = every > 0 && i % every === every - 1;
      if (!repeat) caller = aCaller();
      const { callId } = await anAttributedCall(db, { accountId, siteId, caller });
      if (!repeat) callIds.push(callId);
      await db.transaction((trx) => hook.onCallChange(trx, { accountId, callId, siteId, trigger: 'call.started' }));
      await endCall(db, callId);
      await db.transaction((trx) => hook.onCallChange(trx, { accountId, callId, siteId, trigger: 'call.ended' }));
    }
    b24.faults(() => {
      const r = random();
      const f: Fault = r < 0.06 ? '500' : r < 0.12 ? '503' : r < 0.18 ? '429' : r < 0.3 ? 'timeout' : r < 0.4 ? 'slow' : 'none';
      faults[f]++;
      return f;
    });

    const logger = createLogger({ level: 'silent' });
    const workers: OutboxWorker[] = [];
    const start = () => {
      const handler = new LeadDeliveryHandler(
        {
          db,
          sinks,
          leads: new PgCrmLeadStore(),
          readModel: new LeadReadModel(async ({ callId }) => `https://gw.example.com/v1/calls/${callId}/recording`),
          factory: new FastFactory({ clock: systemClock, timeoutMs: 250 }),
          fetch: testOutbound.fetch,
          box,
          clock: systemClock,
          logger,
        },
        FAST,
      );
      const w = new OutboxWorker(
        { db, store: outbox, handlers: [handler], clock: systemClock, logger },
        { batchSize: 8, concurrency: 6, leaseMs: 1_500, pollIntervalMs: 10, maxRateWaitMs: 50 },
      );
      workers.push(w);
      w.start();
      return w;
    };
    // This run's rows only: a database may hold an earlier run's.
    const delivered = async () =>
      Number(((await db('outbox').where({ status: 'delivered', account_id: accountId }).count('* as n').first()) as { n: number }).n);
    const deadline = 60_000 + calls * 300;

    const first = start();
    await waitUntil(async () => (await delivered()) >= calls / 2, deadline, 'a quarter of the events delivered');
    await first.kill();
    const a = start();
    const b = start();
    await waitUntil(async () => (await delivered()) >= calls, deadline, 'half of the events delivered');
    await a.kill();
    await b.stop();
    start();
    await waitUntil(async () => (await delivered()) === 2 * calls, deadline, 'every event delivered');
    for (const w of workers) await w.stop();

    const perCall = new Map<string, number>();
    for (const lead of b24.leads.values()) perCall.set(String(lead.ORIGIN_ID), (perCall.get(String(lead.ORIGIN_ID)) ?? 0) + 1);
    return {
      calls,
      customers: callIds.length,
      events: 2 * calls,
      leads: b24.leads.size,
      lost: callIds.filter((id) => !perCall.has(id)).length,
      duplicates: [...perCall.values()].filter((n) => n > 1).length,
      updatedWithOutcome: [...b24.leads.values()].filter((l) => String(l.COMMENTS).includes('outcome completed')).length,
      crmLeadRows: (await db('crm_leads').where({ sink_id: sink.id })).length,
      requests: b24.requests.length,
      faults,
      workerRuns: workers.length,
    };
  } finally {
    await b24.close();
  }
}
