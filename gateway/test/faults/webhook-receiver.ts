import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { verifyWebhook } from '../../src/adapters/crm/standard-webhooks.js';
import { freePort } from '../../../scripts/lib/gateway-process.js';

/**
 * A lead endpoint speaking Standard Webhooks as a receiver must: it checks the signature over
 * `{webhook-id}.{webhook-timestamp}.{body}` and processes each `webhook-id` once (a repeat is a redelivery of one
 * event, answered 200 and not processed again). It can be down (its port refusing connections) and slow.
 */
export interface WebhookReceiver {
  readonly url: string;
  /** webhook-id → times it arrived (1 = once; more = redelivered, processed once). */
  readonly arrivals: Map<string, number>;
  /** Events processed, one per webhook-id: call id and the call event it reports. */
  readonly processed: { id: string; callId: string; event: string }[];
  badSignatures: number;
  /** Each answer waits this long (an in-flight delivery at a crash). */
  delayMs: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const r: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/leads`,
    arrivals: new Map(),
    processed: [],
    badSignatures: 0,
    delayMs: 0,
    down: async () => {
      const s = server;
      server = null;
      if (!s) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    up: async () => {
      if (server) return;
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => void handle(req.headers, Buffer.concat(chunks).toString('utf8'), res));
      });
      s.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      server = s;
    },
    close: () => r.down(),
  };
  const handle = async (headers: Record<string, string | string[] | undefined>, body: string, res: ServerResponse) => {
    const h = (k: string) => (typeof headers[k] === 'string' ? headers[k] : undefined);
    const id = h('webhook-id');
    if (!verifyWebhook(secret, { id, timestamp: h('webhook-timestamp'), signature: h('webhook-signature') }, body, Date.now(), 24 * 3600) || !id) {
      r.badSignatures += 1;
      res.writeHead(401).end();
      return;
    }
    const seen = r.arrivals.get(id) ?? 0;
    r.arrivals.set(id, seen + 1);
    if (seen === 0) {
      const ev = JSON.parse(body) as { data: { call_id: string; call_event: string } };
      r.processed.push({ id, callId: ev.data.call_id, event: ev.data.call_event });
    }
    if (r.delayMs) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
    if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  };
  await r.up();
  return r;
}

/** Every (call, event) delivered under exactly one webhook id, and the calls that have no `event` at all. */
export function deliveryFigures(r: WebhookReceiver, callIds: readonly string[], event: string) {
  const ids = new Map<string, Set<string>>();
  for (const p of r.processed) {
    const k = `${p.callId} ${p.event}`;
    const set = ids.get(k) ?? new Set<string>();
    set.add(p.id);
    ids.set(k, set);
  }
  const missing = callIds.filter((c) => !ids.has(`${c} ${event}`));
  const doubled = [...ids].filter(([, s]) => s.size > 1).map(([k]) => k);
  const redelivered = [...r.arrivals.values()].filter((n) => n > 1).length;
  return { missing, doubled, redelivered, events: r.processed.length };
}
