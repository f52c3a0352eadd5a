import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { freePort } from '../../../scripts/lib/gateway-process.js';
import { testEnv } from './test-env.js';

/**
 * PostgreSQL and Redis instances of a test's own, on free loopback ports, that the test stops, kills and restarts
 * (fault injection on the real servers, not on a proxy in front of them). Everything lives in a temporary directory
 * removed at dispose. Without the server binaries a test is skipped locally and fails with CI=true.
 */

const run = promisify(execFile);

/** Every loop here is bounded by this many polls. */
const MAX_POLLS = 600;

async function pollUntil(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let i = 0; i < MAX_POLLS; i++) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Skips the test (or fails it with CI=true) when a server binary is missing. */
export function requireBinary(ctx: Mocha.Context, found: string | null, what: string): asserts found is string {
  if (found) return;
  if (testEnv.ci) throw new Error(`CI=true but ${what} is not installed`);
  ctx.skip();
}

/** The newest installed PostgreSQL's bin directory (Debian layout), or null. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

export function findRedisServer(): string | null {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
  return null;
}

export interface PrivatePostgres {
  /** postgres://…/postgres on the instance. */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl stop -m immediate`: the server dies without a checkpoint (recovery runs at the next start). */
  crash(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * initdb + pg_ctl on a free port. initdb refuses to run as root, so as root the cluster belongs to the `postgres`
 * user (runuser); fsync is off: the tests kill the server, not the machine.
 */
export async function startPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-pg-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, ...(await postgresIds()));
  const pg = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]) : run(path.join(bin, cmd), args);
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=50`;
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', opts, '-w', '-t', '30', 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async crash() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    async dispose() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['postgres']).catch(() => {
    throw new Error('running as root needs a "postgres" user to own a private PostgreSQL cluster (initdb refuses root)');
  });
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (!uid || !gid) throw new Error(`cannot read the postgres user's ids from "${stdout.trim()}"`);
  return [Number(uid), Number(gid)];
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILL: the server and everything in its memory are gone. */
  kill(): Promise<void>;
  /** A new, empty server on the same port (no persistence configured). */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startPrivateRedis(binary: string): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    await pollUntil(
      'redis-server to answer',
      async () => {
        const c = createClient({ url, socket: { connectTimeout: 500, reconnectStrategy: false } });
        c.on('error', () => undefined);
        try {
          await c.connect();
          return (await c.ping()) === 'PONG';
        } finally {
          if (c.isOpen) await c.close();
        }
      },
      10_000,
    );
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    port,
    kill,
    start,
    async dispose() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
