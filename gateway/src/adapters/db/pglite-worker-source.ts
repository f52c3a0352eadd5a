/**
 * The embedded database's own thread, as the source of an `eval` worker: one PGlite instance answering `query` /
 * `exec` messages from the gateway's main thread (`pglite-thread.ts`), one at a time and in order, so PostgreSQL's
 * work never blocks the thread that answers HTTP.
 *
 * Plain JavaScript in a string rather than a module file: the worker then needs no TypeScript loader (under tsx a
 * worker transpiling PGlite's bundle took twice as long to open the database) and no build step of its own. PGlite
 * is required from the path the main thread resolved (its CommonJS build), so the worker finds it whatever the
 * working directory and loader.
 */
export const PGLITE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const toNumber = (v) => Number(v);
// PostgreSQL's error fields (code, constraint, detail...) survive the trip; the stack is this thread's.
const plainError = (err) => err instanceof Error
  ? { ...Object.fromEntries(Object.entries(err).filter(([, v]) => typeof v !== 'object' && typeof v !== 'function')), message: err.message, name: err.name }
  : { message: String(err) };
Promise.resolve(require(workerData.pglite)).then(async ({ PGlite, types }) => {
  const pglite = new PGlite({
    dataDir: workerData.dataDir,
    parsers: { [types.INT8]: toNumber, [types.NUMERIC]: toNumber },
    startParams: [...PGlite.defaultStartParams, ...workerData.settings.flatMap((s) => ['-c', s])],
  });
  let chain = pglite.waitReady.then(() => parentPort.postMessage({ id: 0, ok: 'ready' }));
  parentPort.on('message', (m) => {
    chain = chain.then(async () => {
      try {
        if (m.op === 'close') {
          await pglite.close();
          parentPort.postMessage({ id: m.id, ok: null });
        } else if (m.op === 'exec') {
          const results = await pglite.exec(m.sql);
          parentPort.postMessage({ id: m.id, ok: results.map((r) => ({ rows: r.rows, affectedRows: r.affectedRows, fields: r.fields })) });
        } else {
          const r = await pglite.query(m.sql, m.params, { rowMode: 'object' });
          parentPort.postMessage({ id: m.id, ok: { rows: r.rows, affectedRows: r.affectedRows, fields: r.fields } });
        }
      } catch (err) {
        parentPort.postMessage({ id: m.id, err: plainError(err) });
      }
    });
  });
}).catch((err) => parentPort.postMessage({ id: 0, err: plainError(err) }));
`;
