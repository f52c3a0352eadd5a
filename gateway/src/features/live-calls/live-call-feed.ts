import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request } from 'express';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { RedisFanout } from '../../adapters/redis/fanout.js';
import type { Authenticator } from '../../http/mount-routes.js';
import type { Principal, Role } from '../../http/principal.js';
import { compile } from '../../http/validation.js';
import type { Logger } from '../../logging/logger.js';
import type { EventBus } from '../../shared/event-bus.js';
import { toApiCall } from '../calls/call-controller.js';
import type { CallUpdateKind } from '../calls/call-service.js';
import { liveCallMessageSchema, liveUpgradeSpec } from './live-call-schemas.js';

export const LIVE_PATH = '/v1/live';
export const PING_INTERVAL_MS = 30_000;
export const MAX_SOCKETS_PER_ACCOUNT = 100;
/** Clients only answer pings; anything they send beyond a small frame is refused by ws itself. */
export const MAX_CLIENT_PAYLOAD = 1024;
const FANOUT_CHANNEL = 'live-calls';

const TYPES: Partial<Record<CallUpdateKind, string>> = {
  ringing: 'call.ringing',
  answered: 'call.answered',
  ended: 'call.ended',
  attributed: 'call.attributed',
};

interface Envelope {
  readonly accountId: string;
  readonly message: unknown;
}

interface Client {
  readonly ws: WebSocket;
  alive: boolean;
}

/**
 * The console's live call feed over WebSocket, for users of one account: typed messages validated by the API's
 * schemas, ping/pong with dead-socket cleanup, a cap per account, and fan-out across replicas through Redis.
 */
export class LiveCallFeed {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_PAYLOAD });
  private readonly clients = new Map<string, Set<Client>>();
  private readonly validate = compile(liveCallMessageSchema);
  private pinger: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      authenticator: Authenticator;
      bus: EventBus;
      fanout: RedisFanout | null;
      publicBaseUrl: URL;
      logger: Logger;
      validateMessages: boolean;
      pingIntervalMs?: number;
    },
  ) {
    // With fan-out, other replicas' sockets may listen: always subscribed. Without it, only while a socket is open
    // here, so the call path builds no message (and validates none) when nobody receives it.
    if (deps.fanout) this.listen();
  }

  private unlisten: (() => void) | null = null;

  private listen(): void {
    if (this.unlisten) return;
    const { deps } = this;
    this.unlisten = deps.bus.on('call.updated', async ({ accountId, kind, call, origin }) => {
      const type = TYPES[kind];
      if (!type) return;
      const message = { type, at: new Date().toISOString(), call: toApiCall({ call, origin }) };
      if (deps.validateMessages && !this.validate(message)) {
        deps.logger.error({ errors: this.validate.errors }, 'live message does not match its schema; not sent');
        return;
      }
      this.deliver({ accountId, message });
      await deps.fanout?.publish(FANOUT_CHANNEL, { accountId, message } satisfies Envelope);
    });
  }

  get connections(): number {
    let n = 0;
    for (const set of this.clients.values()) n += set.size;
    return n;
  }

  async attach(server: Server): Promise<void> {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== LIVE_PATH) {
        socket.destroy();
        return;
      }
      void this.upgrade(req, socket, head);
    });
    await this.deps.fanout?.subscribe(FANOUT_CHANNEL, (m) => this.deliver(m as Envelope));
    this.pinger = setInterval(() => this.sweep(), this.deps.pingIntervalMs ?? PING_INTERVAL_MS);
    this.pinger.unref();
  }

  private refuse(socket: Duplex, status: number, reason: string): void {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    let principal: Principal | null;
    try {
      principal = await this.deps.authenticator.authenticate(req as unknown as Request);
    } catch {
      principal = null;
    }
    if (!principal) return this.refuse(socket, 401, 'Unauthorized');
    // The roles its OpenAPI operation declares: a PBX key pushes recordings and may not read the account's calls.
    if (!(liveUpgradeSpec.auth as readonly Role[]).includes(principal.role)) return this.refuse(socket, 403, 'Forbidden');
    // A cookie rides along with any page's request: only our own console's origin may use it.
    const origin = req.headers.origin;
    if (principal.via === 'session' && origin && origin !== this.deps.publicBaseUrl.origin && hostOf(origin) !== req.headers.host) {
      return this.refuse(socket, 403, 'Forbidden');
    }
    const set = this.clients.get(principal.accountId) ?? new Set<Client>();
    if (set.size >= MAX_SOCKETS_PER_ACCOUNT) return this.refuse(socket, 429, 'Too Many Requests');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { ws, alive: true };
      set.add(client);
      this.clients.set(principal.accountId, set);
      this.listen();
      ws.on('pong', () => {
        client.alive = true;
      });
      ws.on('message', () => undefined);
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        set.delete(client);
        if (!set.size) this.clients.delete(principal.accountId);
        if (!this.deps.fanout && !this.clients.size && this.unlisten) {
          this.unlisten();
          this.unlisten = null;
        }
      });
      ws.send(JSON.stringify({ type: 'hello', accountId: principal.accountId }));
    });
  }

  private deliver(e: Envelope): void {
    const set = this.clients.get(e.accountId);
    if (!set) return;
    const text = JSON.stringify(e.message);
    for (const c of set) if (c.ws.readyState === c.ws.OPEN) c.ws.send(text);
  }

  /** Terminates sockets that did not answer the previous ping, pings the rest. */
  sweep(): void {
    for (const set of this.clients.values()) {
      for (const c of set) {
        if (!c.alive) {
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
    }
  }

  async close(): Promise<void> {
    if (this.pinger) clearInterval(this.pinger);
    for (const set of this.clients.values()) for (const c of set) c.ws.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** The host of an Origin header; null when it is not a URL (a malformed header must not throw). */
function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
