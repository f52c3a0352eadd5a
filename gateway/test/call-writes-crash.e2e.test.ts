import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort, startGateway as startGatewayProcess } from '../../scripts/lib/gateway-process.js';
import { CallEventJournal } from '../src/features/call-webhooks/call-event-journal.js';
import { useTestDatabase } from './helpers/db.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import type { TcpProxy } from './helpers/tcp-proxy.js';
import { testEnv } from './helpers/test-env.js';
import { eventually, inboundParams, randomSid, twilioPoster } from './helpers/twilio-webhooks.js';

/**
 * Answered calls survive the gateway process going away: a real gateway (PostgreSQL through a proxy the test can
 * stop) answers voice webhooks, is killed with SIGKILL or stopped with SIGTERM (with the database reachable, and
 * not), is started again, and every call it connected must be stored exactly once.
 */

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const API_KEY = `ctk_${randomBytes(24).toString('base64url')}`;
const PUBLIC = 'https://calls.example.com';
const NUMBER = '+15551230001';

interface LogLine {
  msg?: string;
  written?: number;
  journaled?: number;
}

describe('answered calls across a crash or a stop of the gateway', function () {
  this.timeout(120_000);
  const t = useTestDatabase();
  let child: ChildProcess | null = null;
  let proxy: TcpProxy;
  let env: NodeJS.ProcessEnv;
  let base: string;
  let journalFile: string;
  let logs: LogLine[] = [];
  const placed: string[] = [];
  let caller = 0;

  before(async function () {
    if (!testEnv.databaseUrl || !t.db.url) {
      if (testEnv.ci) throw new Error('CI=true needs TEST_DATABASE_URL');
      this.skip();
    }
    const url = new URL(t.db.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-calls-crash-'));
    journalFile = path.join(dataDir, `pending-call-events-${hostname()}-${port}.jsonl`);
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: url.href,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      PUBLIC_BASE_URL: PUBLIC,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      BOOTSTRAP_API_KEY: API_KEY,
      LOG_LEVEL: 'info',
      DEMO_SEED: 'false',
    };
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await proxy?.start().catch(() => undefined);
    await proxy?.close();
  });

  // From sources: tests do not depend on a build.
  const start = async (): Promise<ChildProcess> => {
    const c = await startGatewayProcess({
      env,
      port: Number(env.PORT),
      entry: ['--import', 'tsx', 'gateway/src/main.ts'],
      stdio: ['ignore', 'pipe', 'inherit'],
      readyWithinMs: 45_000,
    });
    logs = [];
    let rest = '';
    c.stdout?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        try {
          logs.push(JSON.parse(l) as LogLine);
        } catch {
          /* the banner */
        }
      }
    });
    return c;
  };
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

  const api = async (p: string, body: unknown): Promise<{ id: string }> => {
    const res = await fetch(`${base}${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };

  /** `n` voice webhooks, `parallel` at a time; every one must connect the caller. */
  const call = async (n: number, parallel: number): Promise<void> => {
    const tw = twilioPoster(base, PUBLIC, AUTH_TOKEN);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < n) {
        next++;
        const callSid = randomSid('CA');
        const from = `+1555888${String(caller++).padStart(4, '0')}`;
        const res = await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid, from, to: NUMBER }));
        expect(res.status).to.equal(200);
        expect(await res.text()).to.match(/<Dial [^>]*><Number[^>]*>\+15550000002<\/Number><\/Dial>/);
        placed.push(callSid);
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
  };

  /** Every call placed so far is in `calls` once, with its ringing event once in the ledger. */
  const everyCallStoredOnce = async (): Promise<void> => {
    const count = async () => Number(((await t.db.knex('calls').whereIn('provider_call_id', placed).count({ n: '*' }).first()) as { n: string }).n);
    await eventually(async () => (await count()) === placed.length, 60_000, `${placed.length} calls stored`);
    const doubled = await t.db
      .knex('call_events')
      .whereIn('provider_call_id', placed)
      .where('type', 'call.ringing')
      .groupBy('provider_call_id')
      .havingRaw('count(*) > 1')
      .select('provider_call_id');
    expect(doubled).to.deep.equal([]);
    expect(await count()).to.equal(placed.length);
  };

  it('replays the journal after kill -9: every call it connected stored once', async () => {
    child = await start();
    const site = await api('/v1/sites', {
      name: 'Crash',
      domains: ['crash.example'],
      canonicalNumbers: ['+15550000000'],
      defaultForwardTo: '+15550000001',
    });
    await api('/v1/tracking-numbers', { e164: NUMBER, provider: 'twilio', siteId: site.id, forwardTo: '+15550000002' });

    await call(100, 25);
    // The database out of reach: the next calls are connected from memory and exist only in the journal.
    await proxy.stop();
    await call(60, 20);
    child.kill('SIGKILL');
    await exited(child);
    expect(new CallEventJournal(journalFile).pending(10_000).total).to.be.at.least(60);

    await proxy.start();
    child = await start();
    await everyCallStoredOnce();
    await eventually(async () => new CallEventJournal(journalFile).pending(1).total === 0, 30_000, 'the journal emptied');
  });

  it('writes what is pending at SIGTERM, and says so', async () => {
    if (!child) throw new Error('needs the gateway of the previous test');
    await call(200, 100);
    child.kill('SIGTERM');
    await exited(child);
    expect(child.exitCode).to.equal(0);
    const stopped = logs.find((l) => l.msg?.startsWith('call writer stopped'));
    expect(stopped, 'the stop line').to.not.equal(undefined);
    expect(stopped!.journaled).to.equal(0);
    // In the database now (the inbox); applied to calls by the next start.
    child = await start();
    await everyCallStoredOnce();
  });

  it('keeps what it cannot write at SIGTERM in the journal, and says how many', async () => {
    if (!child) throw new Error('needs the gateway of the previous test');
    await proxy.stop();
    await call(30, 10);
    child.kill('SIGTERM');
    await exited(child);
    const stopped = logs.find((l) => l.msg?.startsWith('call writer stopped'));
    expect(stopped?.journaled).to.equal(30);
    expect(new CallEventJournal(journalFile).pending(1_000).total).to.equal(30);

    await proxy.start();
    child = await start();
    await everyCallStoredOnce();
  });
});
