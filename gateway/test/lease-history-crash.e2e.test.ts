import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { deleteRedisKeys, freePort, startGateway as startGatewayProcess } from '../../scripts/lib/gateway-process.js';
import { useTestDatabase } from './helpers/db.js';
import { testEnv } from './helpers/test-env.js';

/**
 * Lease history survives kill -9: a real gateway process (PostgreSQL + Redis) serves widget sessions under load,
 * is killed with SIGKILL mid-load, restarted, and every lease a client was told about must be in number_leases,
 * with the releases the clients were told about.
 */

const SESSION_NUMBERS = new Set(
  ['+14155550101', '+14155550102', '+14155550103', '+14155550104', '+14155550105'].concat([
    '+74951234561',
    '+74951234562',
    '+74951234563',
    '+74951234564',
    '+74951234565',
  ]),
);

async function waitFor<T>(what: string, fn: () => Promise<T | null>, deadlineMs: number): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (let i = 0; i < 10_000; i++) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('lease history after kill -9', function () {
  this.timeout(90_000);
  const t = useTestDatabase();
  let child: ChildProcess | null = null;
  let env: NodeJS.ProcessEnv;
  let base: string;

  before(async function () {
    if (!testEnv.databaseUrl || !testEnv.redisUrl) {
      if (testEnv.ci) throw new Error('CI=true needs TEST_DATABASE_URL and TEST_REDIS_URL');
      this.skip();
    }
    const dbName = ((await t.db.knex.raw('select current_database() as n')).rows[0] as { n: string }).n;
    const url = new URL(testEnv.databaseUrl);
    url.pathname = `/${dbName}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: url.href,
      REDIS_URL: testEnv.redisUrl,
      REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-crash-')),
      LOG_LEVEL: 'error',
      DEMO_SEED: 'true',
      LEASE_HISTORY_FLUSH_MS: '100',
      // Every visit comes from loopback: no per-address limit on session starts.
      DNI_SESSIONS_PER_MINUTE: '0',
      DNI_MAX_NUMBERS_PER_ADDRESS: '0',
    };
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (env?.REDIS_KEY_PREFIX && testEnv.redisUrl) await deleteRedisKeys(testEnv.redisUrl, env.REDIS_KEY_PREFIX);
  });

  // From sources: tests do not depend on a build.
  const startGateway = (): Promise<ChildProcess> =>
    startGatewayProcess({ env, port: Number(env.PORT), entry: ['--import', 'tsx', 'gateway/src/main.ts'], stdio: 'ignore', readyWithinMs: 45_000 });

  const post = (p: string, body: unknown) =>
    fetch(`${base}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });

  it('keeps every lease and release the clients saw', async () => {
    child = await startGateway();
    const leased: { session: string; e164: string }[] = [];
    const left = new Set<string>();
    let stop = false;
    let inFlight = 0;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 5_000 && !stop; i++) {
        try {
          inFlight += 1;
          const res = await post('/v1/dni/sessions', { site: 'demo' });
          // The gateway mints the session id (a page cannot choose one): the widget keeps the one it is given.
          const body = (await res.json()) as { session: string; swaps: { to: string }[] };
          const session = body.session;
          for (const s of body.swaps) if (SESSION_NUMBERS.has(s.to)) leased.push({ session, e164: s.to });
          // Two sessions keep their numbers across the crash; the rest leave so the small demo pools keep cycling.
          if (!(i === 0 && w < 2) && (await post(`/v1/dni/sessions/${session}/leave`, { site: 'demo' })).status === 204) left.add(session);
        } catch {
          return;
        } finally {
          inFlight -= 1;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await waitFor('some leases under load', async () => (leased.length >= 200 ? true : null), 30_000);
    child.kill('SIGKILL');
    stop = true;
    await load;
    expect(inFlight).to.equal(0);
    child = await startGateway();

    const sessions = [...new Set(leased.map((l) => l.session))];
    const rows = await waitFor(
      'the history to catch up',
      async () => {
        const r = (await t.db.knex('number_leases').whereIn('session_id', sessions).select('session_id', 'e164', 'released_at')) as {
          session_id: string;
          e164: string;
          released_at: Date | null;
        }[];
        return r.length >= leased.length ? r : null;
      },
      30_000,
    );
    const seen = new Set(rows.map((r) => `${r.session_id} ${r.e164}`));
    const missing = leased.filter((l) => !seen.has(`${l.session} ${l.e164}`));
    expect(missing, 'leases the clients saw but the history lost').to.deep.equal([]);
    const unreleased = rows.filter((r) => left.has(r.session_id) && r.released_at === null);
    expect(unreleased, 'releases the clients saw but the history lost').to.deep.equal([]);
    // Every row is a lease that happened: one row per (session, number), never duplicated by a replay.
    expect(rows.length).to.equal(new Set(rows.map((r) => `${r.session_id} ${r.e164}`)).size);

    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  });
});
