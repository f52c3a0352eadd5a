import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { BadDataError } from '../errors/app-error.js';
import { createLogger } from '../logging/logger.js';
import { FastPath, readJsonBody, sendJson } from './fast-path.js';
import type { FastRoute } from './route.js';

const named = (path: string, method: 'get' | 'post', answer: string): FastRoute => ({
  spec: { method, path, operationId: answer, summary: answer, tags: [], auth: 'public', responses: { 200: { description: 'ok' } } },
  async handle(_req, res, params) {
    sendJson(res, 200, { answer, params });
  },
});

const echo: FastRoute = {
  spec: {
    method: 'post',
    path: '/v1/echo/{id}',
    operationId: 'echo',
    summary: 'echo',
    tags: [],
    auth: 'public',
    responses: { 200: { description: 'ok' } },
  },
  async handle(req, res, params) {
    const body = (await readJsonBody(req, 64)) as { fail?: boolean };
    if (body.fail) throw new BadDataError('asked to fail');
    sendJson(res, 200, { id: params.id, body });
  },
};

describe('FastPath', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  before(async () => {
    const observed: string[] = [];
    // A template listed before a literal path that it also matches takes it (first listed wins), also for the literal
    // routes looked up by their path; a literal path asked with another method goes on to the later routes.
    const routes = [
      echo,
      named('/v1/other/{x}', 'get', 'template'),
      named('/v1/other/literal', 'get', 'literal-shadowed'),
      named('/v1/plain', 'get', 'plain-get'),
      named('/v1/plain', 'post', 'plain-post'),
    ];
    const fast = new FastPath(routes, {
      logger: createLogger({ level: 'silent' }),
      metrics: { observe: (m, r, s) => observed.push(`${m} ${r} ${s}`) },
    });
    server = createServer((req, res) => {
      if (!fast.tryHandle(req, res)) {
        seen.push(req.url ?? '');
        res.writeHead(418).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const post = (path: string, body: string, type = 'text/plain') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('answers its routes with path params from a text/plain JSON body', async () => {
    const res = await post('/v1/echo/abc?x=1', '{"a":1}');
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(await res.json()).to.deep.equal({ id: 'abc', body: { a: 1 } });
  });

  it('leaves everything else to the next handler', async () => {
    expect((await fetch(`${base}/v1/echo/abc`)).status).to.equal(418);
    expect((await post('/v1/echo/abc/more', '{}')).status).to.equal(418);
    expect((await post('/v1/echo/%zz', '{}')).status).to.equal(418);
    expect(seen).to.include('/v1/echo/abc/more');
  });

  it('turns bad input into the one error shape', async () => {
    const cases: [Response, number, string][] = [
      [await post('/v1/echo/a', '{"a":'), 400, 'BadDataError'],
      [await post('/v1/echo/a', ''), 400, 'BadDataError'],
      [await post('/v1/echo/a', '{"fail":true}'), 400, 'BadDataError'],
      [await post('/v1/echo/a', 'x'.repeat(100)), 413, 'PayloadTooLargeError'],
      [await post('/v1/echo/a', '{}', 'application/x-www-form-urlencoded'), 415, 'UnsupportedMediaTypeError'],
    ];
    for (const [res, status, name] of cases) {
      expect(res.status).to.equal(status);
      const body = (await res.json()) as { name: string; id: string };
      expect(body.name).to.equal(name);
      expect(body.id).to.be.a('string');
    }
  });

  it('takes routes in the order listed, literal paths too', async () => {
    const answer = async (res: Response) => ((await res.json()) as { answer: string; params: object }).answer;
    expect(await answer(await fetch(`${base}/v1/other/literal`))).to.equal('template');
    expect(await answer(await fetch(`${base}/v1/plain`))).to.equal('plain-get');
    expect(await answer(await post('/v1/plain?x=1', '{}'))).to.equal('plain-post');
    const res = await fetch(`${base}/v1/plain`);
    expect(((await res.json()) as { params: object }).params).to.deep.equal({});
    expect((await fetch(`${base}/v1/plain/x`)).status).to.equal(418);
  });
});
