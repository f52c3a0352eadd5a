import { createHash, randomInt } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { AmiStreamParser } from '../../src/adapters/telephony/asterisk/ami-message.js';
import type { AmiMessage } from '../../src/adapters/telephony/asterisk/ami-message.js';

/**
 * A loopback Asterisk Manager Interface that speaks the real protocol (reference: telephony.md A1/A2): the
 * `Asterisk Call Manager/<version>` banner, Login (plain or MD5 after Challenge) echoing ActionID, `Response: Error /
 * Authentication failed` then close after a bad secret, only Login/Challenge/Logoff before auth, Events, Ping,
 * CoreShowChannels as an EventList, Logoff, CRLF framing and, by default, writes cut into random chunks of 1-97
 * bytes. Like Asterisk it reads the first occurrence of a repeated header.
 *
 * A capture script (event blocks as raw lines) plays to each connection once its events are switched on; because a
 * connection's writes are serialised, a Ping sent after that is answered after the whole script.
 */

export interface AmiServerOptions {
  readonly username?: string;
  readonly secret?: string;
  /** AMI version in the banner (Asterisk 13 = 2.10.6, 18 = 7.0.3, 20 = 9.0.0). */
  readonly version?: string;
  /** Event blocks (lines without CR/LF) played to a connection when its events are turned on. */
  readonly script?: readonly (readonly string[])[];
  /** Send every script block twice (duplicated delivery). */
  readonly duplicate?: boolean;
  /** Random write chunking (default 1..97 bytes); false writes each message whole. */
  readonly chunk?: { readonly min: number; readonly max: number } | false;
  readonly loginFailDelayMs?: number;
  /** Actions (lowercase names) that never get a reply, to exercise client timeouts. */
  readonly silentActions?: readonly string[];
  /** Live channels reported by CoreShowChannels: header pairs after `Event: CoreShowChannel` / `ActionID`. */
  readonly channels?: () => ReadonlyArray<ReadonlyArray<readonly [string, string]>>;
  /** Getvar: the value of `variable` on `channel`, or null for "No such channel". */
  readonly getvar?: (channel: string, variable: string) => string | null;
}

interface Conn {
  readonly socket: net.Socket;
  authed: boolean;
  eventsOn: boolean;
  played: boolean;
  frozen: boolean;
  challenge: string | null;
  chain: Promise<void>;
}

export class LoopbackAmiServer {
  private readonly server: net.Server;
  private readonly conns = new Set<Conn>();
  /** Every action received, in order (keys lowercased). */
  readonly actions: AmiMessage[] = [];
  accepted = 0;
  /** While true, new connections are closed at once (the PBX is down). */
  refuseConnections = false;
  logins = 0;
  failedLogins = 0;

  private constructor(private readonly opts: AmiServerOptions) {
    this.server = net.createServer((socket) => this.onConnection(socket));
  }

  static async start(opts: AmiServerOptions = {}): Promise<LoopbackAmiServer> {
    const s = new LoopbackAmiServer(opts);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get openConnections(): number {
    return this.conns.size;
  }

  /** Sends event blocks to every logged-in connection with events on. */
  broadcast(blocks: readonly (readonly string[])[]): void {
    for (const c of this.conns) if (c.authed && c.eventsOn && !c.frozen) this.sendBlocks(c, blocks);
  }

  /** Writes raw text (e.g. half a message) to every logged-in connection with events on. */
  broadcastRaw(text: string): void {
    for (const c of this.conns) if (c.authed && c.eventsOn && !c.frozen) this.write(c, text);
  }

  /** Simulates a half-open socket: current connections stay open but nothing is read or written any more. */
  freeze(): void {
    for (const c of this.conns) c.frozen = true;
  }

  /** Drops every connection abruptly (RST), like a PBX restart or a cut network path. */
  dropAll(): void {
    for (const c of this.conns) c.socket.destroy();
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Polls until `predicate` holds (bounded); used by tests instead of sleeping. */
  static async until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private onConnection(socket: net.Socket): void {
    this.accepted += 1;
    if (this.refuseConnections) {
      socket.destroy();
      return;
    }
    const conn: Conn = { socket, authed: false, eventsOn: false, played: false, frozen: false, challenge: null, chain: Promise.resolve() };
    this.conns.add(conn);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.conns.delete(conn));
    const parser = new AmiStreamParser();
    socket.setEncoding('utf8');
    this.write(conn, `Asterisk Call Manager/${this.opts.version ?? '2.10.6'}\r\n`);
    socket.on('data', (data: string) => {
      if (conn.frozen) return;
      for (const msg of parser.push(data)) this.onAction(conn, msg);
    });
  }

  private onAction(conn: Conn, msg: AmiMessage): undefined {
    this.actions.push(msg);
    const action = (msg['action'] ?? '').toLowerCase();
    const id = msg['actionid'];
    const reply = (...headers: [string, string][]): undefined => {
      this.send(conn, [headers[0]!, ...(id !== undefined ? [['ActionID', id] as [string, string]] : []), ...headers.slice(1)]);
    };
    if (this.opts.silentActions?.includes(action)) return;
    if (!action) return reply(['Response', 'Error'], ['Message', 'Missing action in request']);
    if (!conn.authed && !['login', 'challenge', 'logoff'].includes(action)) return reply(['Response', 'Error'], ['Message', 'Permission denied']);
    switch (action) {
      case 'challenge': {
        if ((msg['authtype'] ?? '').toLowerCase() !== 'md5') return reply(['Response', 'Error'], ['Message', 'Must specify AuthType']);
        conn.challenge = String(randomInt(100_000_000, 999_999_999));
        return reply(['Response', 'Success'], ['Challenge', conn.challenge]);
      }
      case 'login': {
        const secret = this.opts.secret ?? 'secret';
        const md5 = (msg['authtype'] ?? '').toLowerCase() === 'md5';
        const ok =
          msg['username'] === (this.opts.username ?? 'gateway') &&
          (md5
            ? conn.challenge !== null &&
              msg['key'] ===
                createHash('md5')
                  .update(conn.challenge + secret)
                  .digest('hex')
            : msg['secret'] === secret);
        if (!ok) {
          this.failedLogins += 1;
          setTimeout(() => {
            reply(['Response', 'Error'], ['Message', 'Authentication failed']);
            conn.chain = conn.chain.then(() => {
              conn.socket.end();
            });
          }, this.opts.loginFailDelayMs ?? 20);
          return;
        }
        this.logins += 1;
        conn.authed = true;
        reply(['Response', 'Success'], ['Message', 'Authentication accepted']);
        this.send(conn, [
          ['Event', 'FullyBooted'],
          ['Privilege', 'system,all'],
          ['Uptime', '1000'],
          ['LastReload', '1000'],
          ['Status', 'Fully Booted'],
        ]);
        const events = (msg['events'] ?? 'on').toLowerCase();
        if (events !== 'off') this.eventsOn(conn);
        return;
      }
      case 'events': {
        const mask = (msg['eventmask'] ?? '').toLowerCase();
        const on = mask !== 'off' && mask !== '';
        reply(['Response', 'Success'], ['Events', on ? 'On' : 'Off']);
        if (on) this.eventsOn(conn);
        else conn.eventsOn = false;
        return;
      }
      case 'ping':
        return reply(['Response', 'Success'], ['Ping', 'Pong'], ['Timestamp', (Date.now() / 1000).toFixed(6)]);
      case 'logoff':
        reply(['Response', 'Goodbye'], ['Message', 'Thanks for all the fish.']);
        conn.chain = conn.chain.then(() => {
          conn.socket.end();
        });
        return;
      case 'coreshowchannels': {
        const items = this.opts.channels?.() ?? [];
        reply(['Response', 'Success'], ['EventList', 'start'], ['Message', 'Channels will follow']);
        for (const item of items) this.send(conn, [['Event', 'CoreShowChannel'], ...(id ? [['ActionID', id] as [string, string]] : []), ...item]);
        this.send(conn, [
          ['Event', 'CoreShowChannelsComplete'],
          ...(id ? [['ActionID', id] as [string, string]] : []),
          ['EventList', 'Complete'],
          ['ListItems', String(items.length)],
        ]);
        return;
      }
      case 'getvar': {
        if (!msg['variable']) return reply(['Response', 'Error'], ['Message', 'No variable specified']);
        const value = this.opts.getvar?.(msg['channel'] ?? '', msg['variable']) ?? null;
        if (value === null) return reply(['Response', 'Error'], ['Message', 'No such channel']);
        return reply(['Response', 'Success'], ['Variable', msg['variable']], ['Value', value]);
      }
      case 'originate':
        // Asterisk answers an async Originate at once; the call's progress follows as events.
        if (!msg['channel']) return reply(['Response', 'Error'], ['Message', 'Channel not specified']);
        return reply(['Response', 'Success'], ['Message', 'Originate successfully queued']);
      default:
        return reply(
          ['Response', 'Error'],
          ['Message', `Invalid/unknown command: ${msg['action']}. Use Action: ListCommands to show available commands.`],
        );
    }
  }

  private eventsOn(conn: Conn): void {
    conn.eventsOn = true;
    if (conn.played || !this.opts.script) return;
    conn.played = true;
    this.sendBlocks(conn, this.opts.script);
  }

  private sendBlocks(conn: Conn, blocks: readonly (readonly string[])[]): void {
    let text = '';
    for (const b of blocks) {
      const one = `${b.join('\r\n')}\r\n\r\n`;
      text += this.opts.duplicate ? one + one : one;
    }
    this.write(conn, text);
  }

  private send(conn: Conn, headers: ReadonlyArray<readonly [string, string]>): void {
    this.write(conn, `${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
  }

  private write(conn: Conn, text: string): void {
    conn.chain = conn.chain.then(async () => {
      const chunk = this.opts.chunk ?? { min: 1, max: 97 };
      let rest = text;
      let n = 0;
      while (rest.length && !conn.frozen && !conn.socket.destroyed) {
        const size = chunk === false ? rest.length : randomInt(chunk.min, chunk.max + 1);
        const ok = conn.socket.write(rest.slice(0, size));
        rest = rest.slice(size);
        n += 1;
        if (!ok) await new Promise<void>((r) => conn.socket.once('drain', () => r()));
        else if (n % 64 === 0) await new Promise<void>((r) => setImmediate(r));
      }
    });
  }
}
