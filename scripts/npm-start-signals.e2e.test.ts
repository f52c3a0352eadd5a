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

/** Runs `command` as the gateway on `port` with its data in `dir`; `out()` is everything it printed so far. */
function launch(command: string, args: readonly string[], dir: string, port: number, onOutput?: (out: string) => void) {
  const child = spawn(command, args, {
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
  const onData = (b: Buffer): void => {
    out += b.toString();
    onOutput?.(out);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  // 'exit' can come before the last output is read: the pipes close only when npm and the gateway have both let go.
  const drained = Promise.all([child.stdout, child.stderr].map((s) => new Promise((r) => s.once('close', r))));
  return { child, out: () => out, exited, drained };
}

/**
 * `npm start` runs `sh -c "npm run -s build && exec node …"`: without `exec` the shell stays between npm and the
 * gateway, dies on the SIGTERM npm forwards, and the gateway is orphaned, still holding its port.
 */
describe('npm start and signals', function () {
  this.timeout(300_000);

  it('SIGTERM to npm start stops the gateway gracefully: "stopped" logged, the process gone, the port free', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
    const port = await freePort();
    const { child, out, exited, drained } = launch('npm', ['start'], dir, port);
    try {
      const deadline = Date.now() + 240_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out()}`);
        if (Date.now() > deadline) throw new Error(`not ready in time:\n${out()}`);
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const pid = Number(/"pid":(\d+)/.exec(out())?.[1]);
      expect(pid, 'the gateway logs its pid').to.be.greaterThan(0);
      child.kill('SIGTERM');
      const { code } = await exited;
      await Promise.race([drained, new Promise((r) => setTimeout(r, 15_000))]);
      const gone = Date.now() + 15_000;
      while (alive(pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      expect(alive(pid), 'the gateway process is gone').to.equal(false);
      expect(out()).to.match(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
      expect(out()).to.match(/"msg":"stopped"/);
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
    let signalled = false;
    // The built entry, as npm start runs it after its build (the test above built it). The first log line comes once
    // migrations are applied, well before the modules have started.
    const { child, out, exited, drained } = launch(process.execPath, ['gateway/dist/main.js'], dir, port, (text) => {
      if (!signalled && /"applied":/.test(text)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    try {
      const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
      const result = await exited;
      clearTimeout(timeout);
      await Promise.race([drained, new Promise((r) => setTimeout(r, 15_000))]);
      expect(signalled, `the migrations were logged:\n${out()}`).to.equal(true);
      expect(result, out()).to.deep.equal({ code: 0, signal: null });
      expect(out()).to.match(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
      expect(out()).to.match(/"msg":"stopped"/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
