import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import Manager from 'asterisk-manager';
import type { Logger } from '../../../logging/logger.js';
import { AmiInjectionError, fromManagerObject } from './ami-message.js';
import type { AmiMessage } from './ami-message.js';

/**
 * One AMI session built on asterisk-manager, with its gaps filled:
 * - login with a real result: a wrong secret rejects with `AmiAuthError` (the library stays silent), MD5 challenge
 *   supported; the login asks `Events: off` and then sends the `Events` action (the library's `Event: on` is ignored
 *   by Asterisk, which reads `Events`);
 * - own ActionIDs, a timeout per action (the library leaks a listener forever), EventList collection for list actions
 *   (the library fires the callback once, on `EventList: start`);
 * - a Ping watchdog that detects a half-open socket, and reconnects with jittered exponential backoff from 1 s (the
 *   library's keepConnected is fixed at 10-60 s and loses actions sent while down);
 * - actions issued while disconnected wait in a bounded queue and go out after the next login; actions in flight
 *   when the socket dies are rejected with `AmiConnectionLostError` (never silently dropped, never sent twice);
 * - header values with CR/LF are refused (the library writes them as-is: header injection).
 * Exactly one asterisk-manager instance is live at a time; a dead one is muted before the next is created.
 */

export interface AmiClientOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  readonly authType?: 'plain' | 'md5';
  /** EventMask sent with `Action: Events` after login. */
  readonly eventMask?: string;
  readonly actionTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly maxQueued?: number;
  readonly logger: Logger;
  readonly random?: () => number;
}

export class AmiAuthError extends Error {
  constructor(message: string) {
    super(`AMI login failed: ${message}`);
    this.name = 'AmiAuthError';
  }
}
export class AmiTimeoutError extends Error {
  constructor(action: string, ms: number) {
    super(`AMI action ${action} got no response within ${ms} ms`);
    this.name = 'AmiTimeoutError';
  }
}
export class AmiConnectionLostError extends Error {
  constructor(action: string) {
    super(`AMI connection lost before ${action} was answered; it may or may not have run`);
    this.name = 'AmiConnectionLostError';
  }
}
export class AmiActionError extends Error {
  constructor(
    action: string,
    readonly response: AmiMessage,
  ) {
    super(`AMI action ${action} failed: ${response['message'] ?? 'error'}`);
    this.name = 'AmiActionError';
  }
}
export class AmiStoppedError extends Error {
  constructor() {
    super('AMI client stopped');
    this.name = 'AmiStoppedError';
  }
}

export interface AmiListResult {
  readonly response: AmiMessage;
  readonly items: AmiMessage[];
}

interface Pending {
  readonly fields: Readonly<Record<string, string>>;
  readonly name: string;
  readonly list: boolean;
  readonly resolve: (r: AmiListResult) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  id: string | null;
  response: AmiMessage | null;
  readonly items: AmiMessage[];
}

type ClientEvents = {
  event: [AmiMessage];
  connected: [{ readonly reconnect: boolean }];
  disconnected: [{ readonly reason: string }];
  loginFailed: [AmiAuthError];
};

type ManagerInstance = InstanceType<typeof Manager>;

export class AmiClient extends EventEmitter<ClientEvents> {
  private ami: ManagerInstance | null = null;
  private generation = 0;
  private attempt = 0;
  private everConnected = false;
  private state: 'idle' | 'connecting' | 'ready' | 'stopped' = 'idle';
  private readonly queue: Pending[] = [];
  private readonly inflight = new Map<string, Pending>();
  private seq = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private pinging = false;
  private readonly o: Required<Omit<AmiClientOptions, 'logger'>> & { logger: Logger };

  constructor(opts: AmiClientOptions) {
    super();
    this.o = {
      authType: 'plain',
      eventMask: 'call,dialplan,cdr,user,system',
      actionTimeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      pingIntervalMs: 15_000,
      pingTimeoutMs: 5_000,
      backoff: { initialMs: 1_000, maxMs: 30_000 },
      maxQueued: 1_000,
      random: Math.random,
      ...opts,
    };
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    this.connect();
  }

  /** Resolves once logged in (now or later); rejects after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connected', onReady);
        reject(new Error(`AMI not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.once('connected', onReady);
    });
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasReady = this.state === 'ready';
    this.state = 'stopped';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.clearConnectionTimers();
    for (const p of [...this.queue, ...this.inflight.values()]) this.fail(p, new AmiStoppedError());
    this.queue.length = 0;
    this.inflight.clear();
    const ami = this.ami;
    this.ami = null;
    this.generation += 1;
    if (ami) {
      if (wasReady) ami.action({ action: 'Logoff' });
      this.mute(ami);
    }
  }

  /** Sends an action and resolves with its response; `Response: Error` rejects with `AmiActionError`. */
  async action(fields: Readonly<Record<string, string>>, opts: { timeoutMs?: number } = {}): Promise<AmiMessage> {
    return (await this.enqueue(fields, false, opts.timeoutMs)).response;
  }

  /** Sends a list action (CoreShowChannels, Status...) and collects its items up to the `...Complete` event. */
  listAction(fields: Readonly<Record<string, string>>, opts: { timeoutMs?: number } = {}): Promise<AmiListResult> {
    return this.enqueue(fields, true, opts.timeoutMs);
  }

  private enqueue(fields: Readonly<Record<string, string>>, list: boolean, timeoutMs = this.o.actionTimeoutMs): Promise<AmiListResult> {
    for (const [k, v] of Object.entries(fields)) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) return Promise.reject(new AmiInjectionError(k.replace(/[\r\n]/g, ' ')));
    }
    if (this.state === 'stopped') return Promise.reject(new AmiStoppedError());
    const name = fields['action'] ?? fields['Action'] ?? '?';
    return new Promise<AmiListResult>((resolve, reject) => {
      const p: Pending = { fields, name, list, resolve, reject, timer: null, id: null, response: null, items: [] };
      p.timer = setTimeout(() => this.fail(p, new AmiTimeoutError(name, timeoutMs)), timeoutMs);
      if (this.state === 'ready') this.send(p);
      else if (this.queue.length >= this.o.maxQueued) this.fail(p, new Error(`AMI is down and ${this.o.maxQueued} actions already wait`));
      else this.queue.push(p);
    });
  }

  private fail(p: Pending, err: Error): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    const q = this.queue.indexOf(p);
    if (q >= 0) this.queue.splice(q, 1);
    if (p.id) {
      this.inflight.delete(p.id);
      this.ami?.removeAllListeners(p.id);
    }
    p.reject(err);
  }

  private succeed(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    if (p.id) this.inflight.delete(p.id);
    p.resolve({ response: p.response ?? {}, items: p.items });
  }

  private send(p: Pending): void {
    const ami = this.ami;
    if (!ami) {
      this.queue.push(p);
      return;
    }
    const id = this.nextId();
    p.id = id;
    this.inflight.set(id, p);
    const req: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.fields)) req[k.toLowerCase()] = v;
    req['actionid'] = id;
    ami.action(req, (err, res) => {
      if (!this.inflight.has(id)) return;
      const response = fromManagerObject((err ?? res ?? {}) as Record<string, unknown>);
      if (err) return this.fail(p, new AmiActionError(p.name, response));
      p.response = response;
      if (!p.list || (response['eventlist'] ?? '').toLowerCase() !== 'start') this.succeed(p);
    });
  }

  private nextId(): string {
    this.seq += 1;
    return `gw-${process.pid}-${this.generation}-${this.seq}`;
  }

  // --- connection lifecycle ----------------------------------------------------------------------------------------

  private connect(): void {
    if (this.state === 'stopped') return;
    this.generation += 1;
    const gen = this.generation;
    this.attempt += 1;
    const ami = new Manager();
    this.ami = ami;
    ami.on('error', (err: Error) => {
      if (gen === this.generation) this.o.logger.debug({ err }, 'AMI socket error');
    });
    ami.on('close', () => this.lost(gen, 'connection closed'));
    ami.on('managerevent', (e: Record<string, unknown>) => {
      if (gen === this.generation) this.onEvent(fromManagerObject(e));
    });
    this.connectTimer = setTimeout(() => this.lost(gen, 'connect timeout'), this.o.connectTimeoutMs);
    ami.connect(this.o.port, this.o.host, () => {
      if (gen !== this.generation) return;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      this.login(ami, gen).then(
        () => this.onReady(gen),
        (err: Error) => this.lost(gen, err),
      );
    });
  }

  private async login(ami: ManagerInstance, gen: number): Promise<void> {
    let key: string | null = null;
    if (this.o.authType === 'md5') {
      // asterisk-manager holds every action but `login` until logged in: the Challenge goes out under a `login`
      // name whose first `Action` header (the one Asterisk reads; headers are sorted) says Challenge.
      const res = await this.rawAction(ami, gen, { action: 'login', Action: 'Challenge', authtype: 'MD5' });
      const challenge = res['challenge'];
      if (!challenge) throw new AmiAuthError('no MD5 challenge in the response');
      key = createHash('md5')
        .update(challenge + this.o.secret)
        .digest('hex');
    }
    await new Promise<void>((resolve, reject) => {
      const id = this.nextId();
      const timer = setTimeout(() => {
        ami.removeAllListeners(id);
        reject(new AmiTimeoutError('Login', this.o.actionTimeoutMs));
      }, this.o.actionTimeoutMs);
      // Log in through the library's own login() so its "authenticated" flag is set, rewriting the request it builds
      // (`Event: on` -> `Events: off`, MD5 key instead of the secret).
      const original = ami.action;
      ami.action = (_req, cb) => {
        ami.action = original;
        const req: Record<string, string> = { action: 'login', username: this.o.username, events: 'off', actionid: id };
        if (key) Object.assign(req, { authtype: 'MD5', key });
        else req['secret'] = this.o.secret;
        return original(req, cb);
      };
      ami.login((err) => {
        clearTimeout(timer);
        if (err) reject(new AmiAuthError(String(err['message'] ?? 'Authentication failed')));
        else resolve();
      });
    });
    if (gen !== this.generation) throw new Error('superseded');
    await this.rawAction(ami, gen, { action: 'Events', eventmask: this.o.eventMask });
  }

  /** An action during login, outside the queue. */
  private rawAction(ami: ManagerInstance, gen: number, req: Record<string, string>): Promise<AmiMessage> {
    return new Promise((resolve, reject) => {
      const id = this.nextId();
      const timer = setTimeout(() => {
        ami.removeAllListeners(id);
        reject(new AmiTimeoutError(req['Action'] ?? req['action'] ?? '?', this.o.actionTimeoutMs));
      }, this.o.actionTimeoutMs);
      ami.action({ ...req, actionid: id }, (err, res) => {
        clearTimeout(timer);
        if (gen !== this.generation) return reject(new Error('superseded'));
        const msg = fromManagerObject((err ?? res ?? {}) as Record<string, unknown>);
        if (err) reject(new AmiActionError(req['Action'] ?? req['action'] ?? '?', msg));
        else resolve(msg);
      });
    });
  }

  private onReady(gen: number): void {
    if (gen !== this.generation || this.state === 'stopped') return;
    this.state = 'ready';
    this.attempt = 0;
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.o.logger.info({ host: this.o.host, port: this.o.port, reconnect }, 'AMI logged in');
    this.startPing(gen);
    const waiting = this.queue.splice(0);
    for (const p of waiting) this.send(p);
    this.emit('connected', { reconnect });
  }

  private startPing(gen: number): void {
    this.pingTimer = setInterval(() => {
      if (gen !== this.generation || this.pinging || this.state !== 'ready') return;
      this.pinging = true;
      this.action({ action: 'Ping' }, { timeoutMs: this.o.pingTimeoutMs })
        .then(
          () => undefined,
          (err: Error) => {
            if (gen === this.generation && !(err instanceof AmiConnectionLostError)) this.lost(gen, `ping failed: ${err.message}`);
          },
        )
        .finally(() => {
          this.pinging = false;
        });
    }, this.o.pingIntervalMs);
    this.pingTimer.unref?.();
  }

  private onEvent(msg: AmiMessage): void {
    const actionId = msg['actionid'];
    const p = actionId ? this.inflight.get(actionId) : undefined;
    if (p?.list) {
      const complete = (msg['eventlist'] ?? '').toLowerCase() === 'complete' || (msg['event'] ?? '').endsWith('Complete');
      if (complete) this.succeed(p);
      else p.items.push(msg);
      return;
    }
    this.emit('event', msg);
  }

  private clearConnectionTimers(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.connectTimer = null;
    this.pingTimer = null;
    this.pinging = false;
  }

  private mute(ami: ManagerInstance): void {
    ami.removeAllListeners();
    ami.on('error', () => undefined);
    ami.disconnect();
  }

  private lost(gen: number, why: string | Error): void {
    if (gen !== this.generation || this.state === 'stopped') return;
    this.generation += 1;
    const wasReady = this.state === 'ready';
    this.state = 'connecting';
    this.clearConnectionTimers();
    const ami = this.ami;
    this.ami = null;
    if (ami) this.mute(ami);
    for (const p of [...this.inflight.values()]) this.fail(p, new AmiConnectionLostError(p.name));
    const reason = typeof why === 'string' ? why : why.message;
    if (why instanceof AmiAuthError) {
      this.o.logger.error({ host: this.o.host, username: this.o.username }, `${why.message}: check AMI_USERNAME / AMI_SECRET and manager.conf`);
      this.emit('loginFailed', why);
    } else if (wasReady) {
      this.o.logger.warn({ reason }, 'AMI connection lost');
    } else if (this.attempt === 1 || this.attempt % 20 === 0) {
      // Not silent (unreachable host, login without a reply...), but not one line per retry either.
      this.o.logger.warn({ reason, attempt: this.attempt, host: this.o.host, port: this.o.port }, 'AMI connection attempt failed; retrying');
    } else {
      this.o.logger.debug({ reason, attempt: this.attempt }, 'AMI connection attempt failed');
    }
    if (wasReady) this.emit('disconnected', { reason });
    const { initialMs, maxMs } = this.o.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt - 1, 20));
    const delay = Math.round(base / 2 + (this.o.random() * base) / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }
}
