/**
 * The embedded database's own thread: one PGlite instance answering `query` / `exec` messages from the gateway's
 * main thread (`pglite-thread.ts`), so PostgreSQL's work (two thirds of the CPU of a visit in embedded mode, and
 * stalls of ~100 ms per batch of writes) never blocks the thread that answers HTTP.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';

interface Request {
  readonly id: number;
  readonly op: 'query' | 'exec' | 'close';
  readonly sql?: string;
  readonly params?: unknown[];
}

const port = parentPort;
if (!port) throw new Error('pglite-worker runs as a worker thread');
const toNumber = (v: string): number => Number(v);
const { dataDir } = workerData as { dataDir: string };
const pglite = new PGlite({ dataDir, parsers: { [types.INT8]: toNumber, [types.NUMERIC]: toNumber } });

/** PostgreSQL's error fields (code, constraint, detail…) survive the trip; the stack is this thread's. */
const plainError = (err: unknown): Record<string, unknown> =>
  err instanceof Error
    ? {
        ...Object.fromEntries(Object.entries(err).filter(([, v]) => typeof v !== 'object' && typeof v !== 'function')),
        message: err.message,
        name: err.name,
      }
    : { message: String(err) };

// One message at a time, in order: knex already serialises on the single connection, this keeps it so.
let chain: Promise<unknown> = pglite.waitReady.then(() => port.postMessage({ id: 0, ok: 'ready' }));
port.on('message', (m: Request) => {
  chain = chain.then(async () => {
    try {
      if (m.op === 'close') {
        await pglite.close();
        port.postMessage({ id: m.id, ok: null });
        return;
      }
      if (m.op === 'exec') {
        const results = await pglite.exec(m.sql ?? '');
        port.postMessage({ id: m.id, ok: results.map((r) => ({ rows: r.rows, affectedRows: r.affectedRows, fields: r.fields })) });
        return;
      }
      const r = await pglite.query<Record<string, unknown>>(m.sql ?? '', m.params ?? [], { rowMode: 'object' });
      port.postMessage({ id: m.id, ok: { rows: r.rows, affectedRows: r.affectedRows, fields: r.fields } });
    } catch (err) {
      port.postMessage({ id: m.id, err: plainError(err) });
    }
  });
});
