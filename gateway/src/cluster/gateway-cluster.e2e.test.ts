import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { useTestDatabase } from '../../test/helpers/db.js';
import { testEnv } from '../../test/helpers/test-env.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

/** One request on a connection of its own (the cluster hands connections, not requests, to its workers). */
function getOnce(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('timeout', function (this: { destroy(e: Error): void }) {
        this.destroy(new Error(`${url}: no answer in 10 s`));
      })
      .on('error', reject);
  });
}

/** The gateway workers among a process's children (tsx gives every node process an esbuild child of its own too). */
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'main\\.ts'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};

async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('GATEWAY_WORKERS: gateway processes sharing one port', function () {
  this.timeout(150_000);
  const t = useTestDatabase();
  let child: ChildProcess | null = null;
  before(function () {
    if (!testEnv.databaseUrl || !testEnv.redisUrl) {
      if (testEnv.ci) throw new Error('CI=true but TEST_DATABASE_URL or TEST_REDIS_URL is not set');
      this.skip();
    }
  });
  after(() => {
    if (child?.pid) for (const pid of childrenOf(child.pid)) process.kill(pid, 'SIGKILL');
    child?.kill('SIGKILL');
  });

  it('starts the first worker alone, serves from all, sums their metrics, replaces a crashed worker and stops on SIGTERM', async () => {
    let out = '';
    child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-cluster-')),
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: t.db.url!,
        REDIS_URL: testEnv.redisUrl!,
        REDIS_KEY_PREFIX: `cluster${randomBytes(3).toString('hex')}:`,
        DEMO_SEED: 'false',
        GATEWAY_WORKERS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child!.on('exit', (code) => resolve({ code, at: Date.now() })));
    const primary = child.pid!;

    const port = await waitFor(() => /API:\s+http:\/\/localhost:(\d+)\/v1/.exec(out)?.[1], 'the banner');
    // Both workers listen (the second is forked once the first does).
    await waitFor(() => (out.includes('all 2 gateway processes are listening') ? true : undefined), 'both workers');
    expect(childrenOf(primary)).to.have.length(2);
    // The first start's owner was made once, and one banner speaks for the cluster.
    expect(out.match(/Call-tracking gateway is up/g)).to.have.length(1);
    expect(out.match(/First start: an owner was created/g)).to.have.length(1);
    expect(Number((await t.db.knex('users').count<{ n: string }[]>({ n: '*' }))[0]!.n)).to.equal(1);

    const base = `http://127.0.0.1:${port}`;
    const healthCount = async (): Promise<number> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^gateway_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await healthCount();
    for (let i = 0; i < 20; i++) expect(await getOnce(`${base}/healthz`)).to.equal(200);
    // Each worker counts the requests it served; /metrics, from whichever worker answers, has them all (one
    // worker's own count would be about half: connections go round-robin).
    expect((await healthCount()) - before).to.equal(20);

    // A worker that dies is forked again.
    const [victim] = childrenOf(primary);
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => (/worker \d exited \(SIGKILL\); starting it again/.test(out) ? true : undefined), 'the restart notice');
    // The other worker keeps the port open and serves while the replacement starts.
    for (let i = 0; i < 6; i++) expect(await getOnce(`${base}/healthz`)).to.equal(200);
    await waitFor(() => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(victim!) ? true : undefined;
    }, 'a replacement worker');

    const workers = childrenOf(primary);
    const sent = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).to.equal(0);
    expect(at - sent).to.be.below(12_000);
    for (const pid of workers) expect(() => process.kill(pid, 0), `worker ${pid} still running`).to.throw();
  });

  it('ends with the first worker when it cannot start, without starting the others or retrying', async () => {
    let out = '';
    const failing = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-cluster-')),
        PORT: '0',
        HOST: '127.0.0.1',
        // Nothing listens on port 1: the first worker's migrations fail.
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        REDIS_URL: testEnv.redisUrl!,
        REDIS_KEY_PREFIX: `cluster${randomBytes(3).toString('hex')}:`,
        DEMO_SEED: 'false',
        GATEWAY_WORKERS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    failing.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    failing.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => failing.on('exit', resolve));
    expect(code).to.equal(1);
    expect(out).to.match(/Failed to start/);
    expect(out).not.to.match(/starting it again|are listening/);
  });
});
