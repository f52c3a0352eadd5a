import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, freePort } from './lib/gateway-process.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm start` runs `sh -c "npm run -s build && exec node …"`: without `exec` the shell stays between npm and the
 * gateway, dies on the SIGTERM npm forwards, and the gateway is orphaned, still holding its port.
 */
describe('npm start and signals', function () {
  this.timeout(300_000);

  it('SIGTERM to npm start stops the gateway gracefully: "stopped" logged, the process gone, the port free', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
    const port = await freePort();
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        LOG_LEVEL: 'info',
        DEMO_SEED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // 'exit' can come before the last output is read: the pipes close only when npm and the gateway have both let go.
    const drained = Promise.all([child.stdout, child.stderr].map((s) => new Promise((r) => s.once('close', r))));
    try {
      const deadline = Date.now() + 240_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
        if (Date.now() > deadline) throw new Error(`not ready in time:\n${out}`);
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const pid = Number(/"pid":(\d+)/.exec(out)?.[1]);
      expect(pid, 'the gateway logs its pid').to.be.greaterThan(0);
      child.kill('SIGTERM');
      const code = await exited;
      await Promise.race([drained, new Promise((r) => setTimeout(r, 15_000))]);
      const gone = Date.now() + 15_000;
      while (alive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      expect(alive(pid), 'the gateway process is gone').to.equal(false);
      expect(out).to.match(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
      expect(out).to.match(/"msg":"stopped"/);
      expect(code).to.equal(0);
      const refused = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        () => false,
        () => true,
      );
      expect(refused, 'nothing listens on the port any more').to.equal(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGTERM while the gateway is still starting (migrations logged, not yet ready) stops it gracefully too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-starting-'));
    const port = await freePort();
    // The built entry, as npm start runs it after its build (the test above built it).
    const child = spawn(process.execPath, ['gateway/dist/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        LOG_LEVEL: 'info',
        DEMO_SEED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let signalled = false;
    const onData = (b: Buffer): void => {
      out += b.toString();
      // The first log line comes once migrations are applied, well before the modules have started.
      if (!signalled && /"applied":/.test(out)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once('exit', (code, signal) => r({ code, signal })),
    );
    const drained = Promise.all([child.stdout, child.stderr].map((s) => new Promise((r) => s.once('close', r))));
    try {
      const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
      const result = await exited;
      clearTimeout(timeout);
      await Promise.race([drained, new Promise((r) => setTimeout(r, 15_000))]);
      expect(signalled, `the migrations were logged:\n${out}`).to.equal(true);
      expect(result, out).to.deep.equal({ code: 0, signal: null });
      expect(out).to.match(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
      expect(out).to.match(/"msg":"stopped"/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
