import { expect } from 'chai';
import express from 'express';
import knexFactory from 'knex';
import type { AddressInfo } from 'node:net';
import { testEnv } from '../../test/helpers/test-env.js';
import { createLogger } from '../logging/logger.js';
import { RETRY_AFTER_SECONDS, createErrorHandler, toAppError } from './error-handler.js';

const quiet = { error() {}, warn() {}, debug() {}, deprecate() {} };

describe('error handler: a database that cannot take the request', () => {
  before(function () {
    if (!testEnv.databaseUrl) this.skip(); // the pool timeout is PostgreSQL's pool; PGlite has one connection and no timeout
  });

  it('answers 503 with Retry-After when every pooled connection stays busy past the acquire timeout', async () => {
    const knex = knexFactory({ client: 'pg', connection: testEnv.databaseUrl!, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 150, log: quiet });
    const app = express();
    app.get('/q', async (_req, res, next) => {
      try {
        res.json(await knex.raw('select 1 as one'));
      } catch (err) {
        next(err);
      }
    });
    app.use(createErrorHandler(createLogger({ level: 'silent' })));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/q`;
    const trx = await knex.transaction(); // holds the only connection
    try {
      const res = await fetch(url);
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal(String(RETRY_AFTER_SECONDS));
      const body = (await res.json()) as { name: string; message: string; id: string };
      expect(body.name).to.equal('ServiceUnavailableError');
      expect(body.message).to.not.match(/knex|pool/i);
    } finally {
      await trx.rollback();
    }
    const ok = await fetch(url);
    expect(ok.status).to.equal(200);
    server.close();
    await knex.destroy();
  });

  it('maps a refused connection to 503 and anything unknown to 500', async () => {
    const refused = knexFactory({ client: 'pg', connection: 'postgres://postgres@127.0.0.1:1/none', pool: { min: 0, max: 1 }, log: quiet });
    const err = await refused.raw('select 1').then(
      () => null,
      (e: unknown) => e,
    );
    await refused.destroy();
    expect(toAppError(err).statusCode).to.equal(503);
    expect(toAppError(new Error('boom')).statusCode).to.equal(500);
  });
});
