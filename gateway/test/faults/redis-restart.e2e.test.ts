import { expect } from 'chai';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { createTestConfig } from '../helpers/config.js';
import { useTestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { findRedisServer, requireBinary, startPrivateRedis } from '../helpers/private-services.js';
import type { PrivateRedis } from '../helpers/private-services.js';
import { eventually } from '../helpers/twilio-webhooks.js';

const SITE = 'http://localhost:8080';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** The demo site's session pool numbers (two pools of five). */
const POOL_NUMBERS = new Set([
  '+14155550101',
  '+14155550102',
  '+14155550103',
  '+14155550104',
  '+14155550105',
  '+74951234561',
  '+74951234562',
  '+74951234563',
  '+74951234564',
  '+74951234565',
]);

interface Answer {
  session: string;
  swaps: { to: string }[];
  fallback?: boolean;
}

/**
 * Server mode on a Redis of the test's own: widget traffic runs while the server is killed (SIGKILL: its memory is
 * gone) and a new, empty one starts on the same port. No answer may be a 5xx; during the outage the widget gets
 * fallback numbers with the flag; once Redis is back, pool numbers are handed out again at once (the pools' numbers
 * rebuilt from SQL, not at the next periodic resync) and the lease history keeps reaching number_leases.
 */
describe('faults: Redis killed and restarted empty under widget traffic', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let redis: PrivateRedis | null = null;
  let gw: TestGateway | null = null;

  before(async function () {
    const bin = findRedisServer();
    requireBinary(this, bin, 'redis-server');
    redis = await startPrivateRedis(bin);
    gw = await startTestGateway(t.db, { config: createTestConfig({ redis: { url: redis.url, keyPrefix: 'f:' }, leaseHistoryFlushMs: 100 }) });
    await seedDemo(t.db.knex);
    await gw.container.services.leases.syncAll();
  });
  after(async () => {
    await gw?.stop();
    await redis?.dispose();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${gw!.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SITE, 'user-agent': UA },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });

  it('never answers 5xx, serves fallbacks during the outage and leases again as soon as Redis is back', async () => {
    const statuses = new Map<number, number>();
    const phase = { name: 'up' as 'up' | 'down' | 'back' };
    const pooledIn = { up: 0, down: 0, back: 0 };
    const fallbacksIn = { up: 0, down: 0, back: 0 };
    const leasedBack: string[] = [];
    let requests = 0;
    let stop = false;
    const note = (status: number) => {
      requests += 1;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    };
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 3_000 && !stop; i++) {
        const p = phase.name;
        const res = await post('/v1/dni/sessions', { site: 'demo', referrer: '', consent: true });
        note(res.status);
        if (res.status !== 200) continue;
        const a = (await res.json()) as Answer;
        const pooled = a.swaps.filter((s) => POOL_NUMBERS.has(s.to)).length;
        if (pooled) pooledIn[p] += 1;
        if (a.fallback) fallbacksIn[p] += 1;
        if (pooled && p === 'back') leasedBack.push(a.session);
        const hb = await post(`/v1/dni/sessions/${a.session}/heartbeat`, { site: 'demo' });
        note(hb.status);
        await hb.body?.cancel();
        const leave = await post(`/v1/dni/sessions/${a.session}/leave`, { site: 'demo' });
        note(leave.status);
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, () => worker()));
    try {
      await eventually(async () => pooledIn.up >= 20, 15_000, 'pool numbers before the fault');
      phase.name = 'down';
      await redis!.kill();
      const downAt = requests;
      await eventually(async () => requests - downAt >= 60, 15_000, 'traffic during the outage');
      await redis!.start();
      phase.name = 'back';
      const backAt = Date.now();
      await eventually(async () => pooledIn.back >= 20, 15_000, 'pool numbers after Redis came back empty');
      // biome-ignore lint/suspicious/noConsole: the run's figures are reported, not asserted
      console.log(
        `redis fault: ${requests} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, pooled up/down/back ` +
          `${pooledIn.up}/${pooledIn.down}/${pooledIn.back}, fallbacks during the outage ${fallbacksIn.down}, ` +
          `first pool numbers ${Date.now() - backAt} ms after the restart (20 leases)`,
      );
    } finally {
      stop = true;
      await load;
    }
    const fiveHundreds = [...statuses].filter(([s]) => s >= 500);
    expect(fiveHundreds, 'no 5xx at any time').to.deep.equal([]);
    expect(fallbacksIn.down, 'the widget is told it got fallbacks').to.be.greaterThan(0);
    expect(pooledIn.down, 'no pool number without the lease state').to.equal(0);

    const metrics = await (await gw!.api('/metrics')).text();
    expect(metrics).to.match(/gateway_lease_store_unavailable_total\{op="lease"\} [1-9]/);

    // The history of leases made after the restart reaches SQL: the history streams (and their consumer group) were
    // lost with Redis' memory and are made again.
    const sessions = leasedBack.slice(0, 20);
    await eventually(
      async () => {
        const n = await t.db.knex('number_leases').whereIn('session_id', sessions).countDistinct({ n: 'session_id' }).first();
        return Number(n?.n) === sessions.length;
      },
      15_000,
      'lease history of the leases made after the restart',
    );
  });
});
