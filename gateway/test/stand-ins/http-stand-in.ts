import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a stand-in answers one request before (or instead of) doing the real work. */
export type Fault = 'none' | '500' | '503' | '429' | 'timeout' | 'slow';

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface StandInReply {
  readonly status: number;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
}

export interface StandIn {
  readonly url: string;
  readonly requests: StandInRequest[];
  /** Faults to use, in order, for the next requests (then `none`). */
  queueFaults(...faults: Fault[]): void;
  /** Picks a fault for every request from now on (null: none). */
  faults(pick: ((req: StandInRequest) => Fault) | null): void;
  close(): Promise<void>;
}

/**
 * A local HTTP server playing a CRM. `handle` checks the documented request shape and answers like the real API;
 * faults are injected before it runs: 500/503/429 answers, `timeout` (the request is handled, then never answered:
 * the client gives up and must not create a second record when it retries), `slow` (handled, answered late).
 */
export async function startStandIn(
  handle: (req: StandInRequest) => StandInReply | Promise<StandInReply>,
  opts: { pickFault?: (req: StandInRequest) => Fault; slowMs?: number } = {},
): Promise<StandIn> {
  const requests: StandInRequest[] = [];
  const queued: Fault[] = [];
  const open = new Set<ServerResponse>();
  let pickFault = opts.pickFault ?? null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const r: StandInRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(r);
      const fault = queued.shift() ?? pickFault?.(r) ?? 'none';
      void answer(r, res, fault);
    });
  });

  async function answer(r: StandInRequest, res: ServerResponse, fault: Fault): Promise<void> {
    if (fault === '500') return send(res, { status: 500, json: { error: 'internal' } });
    if (fault === '503') return send(res, { status: 503, json: { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' } });
    if (fault === '429') return send(res, { status: 429, json: { error: 'too many requests' }, headers: { 'retry-after': '0' } });
    let reply: StandInReply;
    try {
      reply = await handle(r);
    } catch (err) {
      reply = { status: 500, json: { error: String(err) } };
    }
    if (fault === 'timeout') {
      // Handled, never answered: the socket closes when the client's timeout aborts the request.
      open.add(res);
      res.on('close', () => open.delete(res));
      return;
    }
    if (fault === 'slow') {
      setTimeout(() => send(res, reply), opts.slowMs ?? 50).unref();
      return;
    }
    send(res, reply);
  }

  function send(res: ServerResponse, reply: StandInReply): void {
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.json === undefined ? '' : JSON.stringify(reply.json));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    queueFaults: (...f) => queued.push(...f),
    faults: (pick) => {
      pickFault = pick;
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A small deterministic generator (mulberry32), so a fault run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Polls `check` until it is true, every few ms, for at most `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}
