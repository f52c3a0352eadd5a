/**
 * A lean load loop for long benchmarks: `connections` keep-alive TCP sockets, each writing one pre-formatted
 * HTTP/1.1 POST after the other and reading just enough of the answer (status line, Content-Length) to know where it
 * ends; paced to at most `rate` requests/s overall. Much cheaper per request than autocannon or node's http client,
 * so a million requests take minutes and the load generator leaves the CPU to the server it measures. `pipeline`
 * requests may be in flight on one socket (HTTP/1.1 pipelining: node's server answers them in order); `deadline`
 * (epoch ms) stops sending early, and `total` says how many were sent.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface LeanLoadResult {
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly seconds: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export async function leanLoad(opts: {
  url: string;
  amount: number;
  connections: number;
  /** Requests per second overall; 0 = as fast as the server answers. */
  rate: number;
  headers: Record<string, string>;
  body: () => string;
  /** Requests in flight per connection (default 1). */
  pipeline?: number;
  /** Stop sending at this time (epoch ms); what was sent is still answered. */
  deadline?: number;
}): Promise<LeanLoadResult> {
  const u = new URL(opts.url);
  const head = `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n${Object.entries(opts.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}`;
  const started = Date.now();
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  const due = (n: number): number => (opts.rate > 0 ? started + (n * 1000) / opts.rate : 0);
  const depth = Math.max(1, opts.pipeline ?? 1);
  const over = (): boolean => sent >= opts.amount || (opts.deadline !== undefined && Date.now() >= opts.deadline);

  const worker = (): Promise<void> =>
    new Promise((resolve) => {
      let sock: Socket;
      let buf: Buffer = Buffer.alloc(0);
      let waiting = 0;
      let timer = false;
      const next = (): void => {
        timer = false;
        let out = '';
        while (waiting < depth) {
          if (over()) break;
          const wait = due(sent) - Date.now();
          if (wait > 0) {
            if (!timer) {
              timer = true;
              setTimeout(next, wait);
            }
            break;
          }
          sent += 1;
          waiting += 1;
          const body = opts.body();
          out += `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
        }
        if (out) sock.write(out);
        else if (waiting === 0 && over()) {
          sock.end();
          resolve();
        }
      };
      const open = (): void => {
        buf = Buffer.alloc(0);
        sock = connect(Number(u.port), u.hostname, next);
        sock.setNoDelay(true);
        sock.on('data', (chunk: Buffer) => {
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          for (;;) {
            const end = buf.indexOf(HEADER_END);
            if (end < 0) return;
            const headers = buf.subarray(0, end).toString('latin1');
            const len = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
            if (buf.length < end + 4 + len) return;
            const status = Number(headers.slice(9, 12));
            if (status < 200 || status > 299) non2xx += 1;
            buf = buf.subarray(end + 4 + len);
            waiting -= 1;
            if (!timer) next();
          }
        });
        sock.on('error', () => {
          errors += 1;
        });
        sock.on('close', () => {
          // A request in flight on a closed socket counts as an error; carry on with a new connection.
          if (waiting) {
            errors += waiting;
            waiting = 0;
          }
          if (!over()) setTimeout(open, 10);
          else resolve();
        });
      };
      open();
    });
  await Promise.all(Array.from({ length: opts.connections }, worker));
  return { total: sent, non2xx, errors, seconds: (Date.now() - started) / 1000 };
}
