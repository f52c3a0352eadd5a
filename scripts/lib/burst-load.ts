/**
 * A burst of requests at one instant, measured as the server sees it: every request is formatted (and signed) in
 * advance, one TCP socket per request, all requests sent in the same tick. Two ways to connect: `warm`, every socket
 * connected (and accepted) before the clock starts, each latency from its write(2) to the last byte of its response;
 * `fresh`, every connect(2) issued in the same tick and the request written as soon as its connection is up, each
 * latency from the connect to the last byte (the server's accept and the handshake count, as on a webhook that
 * arrives on a new connection). The client does no per-request
 * work inside the measured window beyond one `write` and a minimal response parse (status line, Content-Length),
 * so on a shared machine the figure is the server's, not node's http client's (which, with 200 sockets and a signature
 * computed per request, was slower than the gateway it measured).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface BurstResponse {
  readonly status: number;
  readonly body: string;
  /** From the request's write to the end of its response. */
  readonly ms: number;
}

/** A pre-formatted HTTP/1.1 POST with a form body. */
export function formRequest(host: string, path: string, headers: Record<string, string>, body: string): Buffer {
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\n${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const HEADER_END = Buffer.from('\r\n\r\n');

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** Reads one response off `sock`; resolves at its last byte. */
function oneResponse(sock: Socket, startedAt: () => number): Promise<BurstResponse> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const end = buf.indexOf(HEADER_END);
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const ms = performance.now() - startedAt();
      sock.off('data', onData);
      sock.off('close', onClose);
      resolve({ status: Number(head.slice(9, 12)), body: buf.subarray(end + 4, end + 4 + len).toString('utf8'), ms });
    };
    const onClose = (): void => reject(new Error('connection closed before the response ended'));
    sock.on('data', onData);
    sock.once('close', onClose);
  });
}

export type BurstConnect = 'warm' | 'fresh';

/**
 * Sends `requests` to 127.0.0.1:`port` at one instant (one new connection each, see BurstConnect) and resolves with
 * the responses in the same order. The connections are closed afterwards.
 */
export async function burst(port: number, requests: readonly Buffer[], connectMode: BurstConnect = 'warm'): Promise<BurstResponse[]> {
  if (connectMode === 'fresh') return freshBurst(port, requests);
  const sockets = await Promise.all(requests.map(() => openSocket(port)));
  try {
    // Let the server accept every connection before the clock starts: the burst measures answers, not accept(2).
    await new Promise((r) => setTimeout(r, 100));
    const t0 = new Float64Array(requests.length);
    const answers = sockets.map((s, i) => oneResponse(s, () => t0[i]!));
    for (let i = 0; i < requests.length; i++) {
      t0[i] = performance.now();
      sockets[i]!.write(requests[i]!);
    }
    return await Promise.all(answers);
  } finally {
    for (const s of sockets) s.destroy();
  }
}

/** Every connect issued in one tick; each request written once its connection is up, timed from the connect. */
async function freshBurst(port: number, requests: readonly Buffer[]): Promise<BurstResponse[]> {
  const sockets: Socket[] = [];
  try {
    const answers = requests.map((bytes) => {
      const t0 = performance.now();
      const s = connect(port, '127.0.0.1');
      s.setNoDelay(true);
      sockets.push(s);
      const answer = oneResponse(s, () => t0);
      s.once('connect', () => s.write(bytes));
      return new Promise<BurstResponse>((resolve, reject) => {
        s.once('error', reject);
        answer.then(resolve, reject);
      });
    });
    return await Promise.all(answers);
  } finally {
    for (const s of sockets) s.destroy();
  }
}
