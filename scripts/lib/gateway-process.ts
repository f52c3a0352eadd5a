/**
 * What the benchmarks (and the kill -9 test) need to run the gateway as a process of its own: a free loopback port,
 * start and wait for `/readyz`, stop, and the Redis keys of a run removed afterwards.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the gateway (`entry`: the built one by default, as `npm start` runs it) with `env`, and resolves once its
 * `/readyz` answers 200 on `port`. Extra node flags come from BENCH_GATEWAY_NODE_ARGS (e.g. `--cpu-prof`).
 */
export async function startGateway(opts: {
  env: NodeJS.ProcessEnv;
  port: number;
  entry?: readonly string[];
  stdio?: StdioOptions;
  readyWithinMs?: number;
}): Promise<ChildProcess> {
  const flags = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, ...(opts.entry ?? ['gateway/dist/main.js'])], {
    cwd: ROOT,
    env: opts.env,
    stdio: opts.stdio ?? ['ignore', 'ignore', 'inherit'],
  });
  const until = Date.now() + (opts.readyWithinMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error('the gateway did not become ready');
    }
    try {
      if ((await fetch(`http://127.0.0.1:${opts.port}/readyz`)).ok) return child;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), graceMs);
  });
  if ((await Promise.race([exited, late])) === 'late') child.kill('SIGKILL');
  clearTimeout(timer);
}

/** Removes every Redis key starting with `prefix`. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = createClient({ url });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await redis.del(keys);
  await redis.close();
}

/** Runs a benchmark's main, then its cleanup whatever happened; a failure is printed and sets exit code 1. */
export async function runBench(main: () => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
  // Interrupted (Ctrl-C, kill): the gateways it started and what they wrote go too.
  const interrupted = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await main();
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}
