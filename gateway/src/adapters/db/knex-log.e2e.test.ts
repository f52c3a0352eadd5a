import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../logging/logger.js';
import { knexLog, openDatabase } from './knex.js';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, stream };
}

/** A loopback port nothing listens on (taken, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('knex messages go through the logger', () => {
  it('logs "Acquire connection error" as a JSON warning, not on the console', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info' }, stream);
    const db = await openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${await closedPort()}/x`, poolMax: 1 }, { logger });
    const printed: unknown[] = [];
    // biome-ignore lint/suspicious/noConsole: the test checks that nothing reaches the console
    const original = console.log;
    console.log = (...args: unknown[]) => void printed.push(args);
    try {
      const err = await db.knex.raw('select 1').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, 'the query fails').to.be.instanceOf(Error);
    } finally {
      console.log = original;
      await db.close();
    }
    await new Promise((r) => setImmediate(r));
    expect(printed, 'nothing printed past the logger').to.deep.equal([]);
    const line = lines.find((l) => String(l.msg).startsWith('Acquire connection error'));
    expect(line, JSON.stringify(lines)).to.include({ level: 'warn', component: 'knex' });
  });

  it('masks phone numbers in what knex says', async () => {
    const { lines, stream } = capture();
    knexLog(createLogger({ level: 'info' }, stream)).warn?.('Acquire connection error: Error: no pg_hba.conf entry for user "+14155550100"');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]?.msg).to.equal('Acquire connection error: Error: no pg_hba.conf entry for user "+14*******00"');
  });
});
