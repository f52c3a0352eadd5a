import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { PgliteConnection, PgliteResult } from './pglite-dialect.js';
import { PGLITE_WORKER_SOURCE } from './pglite-worker-source.js';

/**
 * PostgreSQL settings of the embedded database that bound its memory. PGlite's WASM memory grows as PostgreSQL
 * touches it and never shrinks, so what counts is the most it ever touches: the shared buffers (128MB by default,
 * all of it resident once the tables outgrow it, which a gateway's visit tables do) and what one VACUUM may take
 * (maintenance_work_mem, 64MB by default; `embedded-db.vacuum` runs every 5 minutes). The data files stay in the
 * operating system's page cache, outside the process, so a smaller buffer pool costs a read call per miss, not a
 * disk read.
 */
export const PGLITE_MEMORY_SETTINGS: readonly string[] = ['shared_buffers=32MB', 'maintenance_work_mem=16MB'];

type Reply = { id: number; ok: unknown } | { id: number; err: Record<string, unknown> };

/**
 * PGlite on a worker thread of its own (`pglite-worker-source.ts`), behind the same two calls the knex dialect makes.
 * Results and bindings cross by structured clone (Dates, Buffers and parsed JSON survive it); an error comes back
 * as an Error carrying PostgreSQL's fields (`code` decides retries).
 */
export class PgliteThread implements PgliteConnection {
  readonly waitReady: Promise<void>;
  closed = false;
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(dataDir: string) {
    this.worker = new Worker(PGLITE_WORKER_SOURCE, {
      eval: true,
      workerData: { dataDir, pglite: createRequire(import.meta.url).resolve('@electric-sql/pglite'), settings: PGLITE_MEMORY_SETTINGS },
    });
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('err' in m) p.reject(Object.assign(new Error(String(m.err.message)), m.err));
      else p.resolve(m.ok);
    });
    const fail = (err: Error): void => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the embedded database thread exited (${code})`)));
  }

  private call<T>(op: 'query' | 'exec' | 'close', sql?: string, params?: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The embedded database is closed'));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, sql, params });
    });
  }

  query(sql: string, params: unknown[]): Promise<PgliteResult> {
    return this.call<PgliteResult>('query', sql, params);
  }

  exec(sql: string): Promise<PgliteResult[]> {
    return this.call<PgliteResult[]>('exec', sql);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.call('close').catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
  }
}
