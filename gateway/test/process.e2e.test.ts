import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { testEnv } from './helpers/test-env.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function run(env: Record<string, string>): Running {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, stdout: () => out, exited };
}

async function waitFor<T>(fn: () => T | undefined, what: string, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the gateway process', function () {
  this.timeout(150_000);
  const started: Running[] = [];
  after(() => {
    for (const r of started) r.child.kill('SIGKILL');
  });

  it('starts embedded with nothing configured, prints where the API and console are, and stops on SIGTERM with status 0', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gw-proc-'));
    const r = run({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    started.push(r);
    const port = await waitFor(() => /API:\s+http:\/\/localhost:(\d+)\/v1/.exec(r.stdout())?.[1], 'the banner');
    expect(r.stdout()).to.match(/Console:\s+http:\/\/localhost:\d+\/console\//);
    expect(r.stdout()).to.match(/API key:\s+ctk_/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).to.equal(200);

    const sent = Date.now();
    r.child.kill('SIGTERM');
    const { code, at } = await r.exited;
    expect(code).to.equal(0);
    expect(at - sent).to.be.below(10_000);
  });

  it('refuses to start on a bad variable, naming it', async () => {
    const r = run({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-proc-')), PORT: 'http' });
    started.push(r);
    const { code } = await r.exited;
    expect(code).to.equal(1);
    expect(r.stdout()).to.match(/PORT must be integer, got "http"/);
  });

  it('reports Redis in readiness when REDIS_URL is set', async function () {
    if (!testEnv.redisUrl) {
      if (testEnv.ci) throw new Error('CI=true but TEST_REDIS_URL is not set');
      this.skip();
    }
    const r = run({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'gw-proc-')),
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: testEnv.redisUrl!,
      REDIS_KEY_PREFIX: 'proc-test:',
    });
    started.push(r);
    const port = await waitFor(() => /API:\s+http:\/\/localhost:(\d+)\/v1/.exec(r.stdout())?.[1], 'the banner');
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks).to.deep.equal({ started: 'ok', database: 'ok', redis: 'ok' });
    r.child.kill('SIGTERM');
    expect((await r.exited).code).to.equal(0);
  });
});
