import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { AsteriskConfig } from '../../../config.js';
import type { CallEvent, CallEventSink } from '../../../features/calls/call-events.js';
import type { Logger } from '../../../logging/logger.js';
import type { Clock } from '../../../shared/clock.js';
import { AmiClient } from './ami-client.js';
import type { AmiMessage } from './ami-message.js';
import type { AmiClientOptions } from './ami-client.js';
import { CallNormaliser, parseDidSource } from './call-normaliser.js';
import { LeaderElection } from './leader-lock.js';
import { maskPhone } from '../../../logging/logger.js';
import { pbxNumberResolver } from './pbx-numbers.js';
import type { PbxNumberDirectory, PbxNumberResolver } from './pbx-numbers.js';
import type { LeaderLock } from './leader-lock.js';

export interface AsteriskCallSourceDeps {
  readonly config: AsteriskConfig;
  readonly sink: CallEventSink;
  readonly lock: LeaderLock;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Overrides for tests (short timers). */
  readonly client?: Partial<Omit<AmiClientOptions, 'host' | 'port' | 'username' | 'secret' | 'logger'>>;
  /** How often to reconcile with CoreShowChannels while connected (default 5 min). */
  readonly resyncIntervalMs?: number;
  /** A call with no event for this long and no live channel check possible is closed (default 12 h). */
  readonly idleCloseMs?: number;
  readonly registry?: Registry;
  /** The tracking numbers and their sites' countries, for DIDs and callers in national formats. */
  readonly numbers?: () => PbxNumberDirectory;
}

/** DIDs logged as unmatched, so a format problem shows once per number instead of once per call. */
const MAX_LOGGED_UNMATCHED = 1_000;

/**
 * Follows the PBX through AMI while this replica holds the leader lock, and hands normalised call events to the sink
 * with the fencing token in `raw.fencingToken`. On every (re)connect it resyncs with CoreShowChannels: calls that
 * ended while the connection was down are closed (`closedBy: 'timeout'`), calls that started are adopted. Never
 * touches the database and never blocks the PBX: calls are routed by the dialplan whether or not this runs.
 */
export class AsteriskCallSource {
  private readonly election: LeaderElection;
  private session: { client: AmiClient; normaliser: CallNormaliser; fencingToken: number; timer: NodeJS.Timeout } | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** Events handed to the sink (for metrics and tests). */
  emitted = 0;
  private readonly metrics: { connected: Gauge; leader: Gauge; events: Counter<'type'>; reconnects: Counter; unmatched: Counter } | null;
  private readonly resolveNumbers: PbxNumberResolver;
  private readonly loggedUnmatched = new Set<string>();
  /** Calls whose DID matched no tracking number (for metrics and tests). */
  unmatched = 0;

  constructor(private readonly deps: AsteriskCallSourceDeps) {
    this.election = new LeaderElection(deps.lock, { elected: (t) => this.elected(t), deposed: () => this.deposed() }, deps.logger);
    const registers = deps.registry ? [deps.registry] : [];
    this.metrics = deps.registry
      ? {
          connected: new Gauge({ name: 'gateway_asterisk_ami_connected', help: '1 while logged in to AMI', registers }),
          leader: new Gauge({ name: 'gateway_asterisk_ami_leader', help: '1 while this replica holds the AMI leader lock', registers }),
          events: new Counter({
            name: 'gateway_asterisk_call_events_total',
            help: 'Call events from AMI by type',
            labelNames: ['type'] as const,
            registers,
          }),
          reconnects: new Counter({ name: 'gateway_asterisk_ami_disconnects_total', help: 'AMI connections lost', registers }),
          unmatched: new Counter({
            name: 'gateway_asterisk_unmatched_did_total',
            help: 'PBX calls whose DID matched no tracking number (check the DID source, AMI_DEFAULT_COUNTRY and site countries)',
            registers,
          }),
        }
      : null;
    const resolve = pbxNumberResolver(deps.config.defaultCountry, deps.numbers);
    this.resolveNumbers = (did, caller) => {
      const r = resolve(did, caller);
      if (r.matched === false) this.noteUnmatched(did ?? '', r.trackingNumber);
      return r;
    };
  }

  get isLeader(): boolean {
    return this.election.isLeader;
  }

  get connected(): boolean {
    return this.session?.client.ready ?? false;
  }

  start(): void {
    this.election.start();
  }

  private noteUnmatched(rawDid: string, resolved: string): void {
    this.unmatched += 1;
    this.metrics?.unmatched.inc();
    if (this.loggedUnmatched.has(rawDid) || this.loggedUnmatched.size >= MAX_LOGGED_UNMATCHED) return;
    this.loggedUnmatched.add(rawDid);
    this.deps.logger.warn(
      { did: maskPhone(rawDid), resolved: maskPhone(resolved) },
      'PBX call to a DID that matches no tracking number (logged once per DID); check AMI_DID_SOURCE, AMI_DEFAULT_COUNTRY and the site country',
    );
  }

  async stop(): Promise<void> {
    await this.election.stop();
    await this.chain;
  }

  private elected(fencingToken: number): void {
    const { config, logger, clock } = this.deps;
    const normaliser = new CallNormaliser({
      inboundContexts: config.inboundContexts,
      didSource: parseDidSource(config.didSource),
      now: () => clock.now(),
      numbers: this.resolveNumbers,
    });
    const client = new AmiClient({
      host: config.host,
      port: config.port,
      username: config.username,
      secret: config.secret,
      authType: config.auth,
      logger,
      ...this.deps.client,
    });
    client.on('event', (msg) => {
      this.emit(normaliser.handle(msg));
      if (msg['event'] === 'MixMonitorStart' && msg['channel']) void this.recordingName(msg);
    });
    client.on('connected', () => {
      this.metrics?.connected.set(1);
      void this.resync();
    });
    client.on('disconnected', () => {
      this.metrics?.connected.set(0);
      this.metrics?.reconnects.inc();
    });
    client.on('loginFailed', () => undefined);
    this.metrics?.leader.set(1);
    const timer = setInterval(() => {
      if (client.ready) void this.resync();
      else this.emit(normaliser.sweep(this.deps.idleCloseMs ?? 12 * 3_600_000));
    }, this.deps.resyncIntervalMs ?? 300_000);
    timer.unref?.();
    this.session = { client, normaliser, fencingToken, timer };
    client.start();
  }

  private async deposed(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.metrics?.leader.set(0);
    this.metrics?.connected.set(0);
    if (!s) return;
    clearInterval(s.timer);
    await s.client.stop();
  }

  /**
   * MixMonitorStart carries no file name; it is in MIXMONITOR_FILENAME, whose VarSet is missing where VarSet events
   * are disabled (the Asterisk 18 sample manager.conf does): ask for it.
   */
  private async recordingName(start: AmiMessage): Promise<void> {
    const s = this.session;
    if (!s) return;
    const res = await s.client
      .action({ action: 'Getvar', channel: start['channel']!, variable: 'MIXMONITOR_FILENAME' }, { timeoutMs: 5_000 })
      .catch(() => null);
    const value = res?.['value'];
    if (!value || this.session !== s) return;
    this.emit(s.normaliser.handle({ ...start, event: 'VarSet', variable: 'MIXMONITOR_FILENAME', value }));
  }

  private async resync(): Promise<void> {
    const s = this.session;
    if (!s) return;
    const startedAt = this.deps.clock.now();
    try {
      const list = await s.client.listAction({ action: 'CoreShowChannels' }, { timeoutMs: 30_000 });
      if (this.session !== s) return;
      const items = [...list.items];
      const ask = new Set(s.normaliser.adoptionCandidates(items).slice(0, 200));
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        if (!ask.has(item['uniqueid'] ?? '') || !item['channel']) continue;
        const res = await s.client
          .action({ action: 'Getvar', channel: item['channel'], variable: 'CALLERID(dnid)' }, { timeoutMs: 5_000 })
          .catch(() => null);
        if (res?.['value']) items[i] = { ...item, dnid: res['value'] };
      }
      if (this.session !== s) return;
      this.emit(s.normaliser.resync(items, startedAt));
    } catch (err) {
      this.deps.logger.warn({ err }, 'AMI resync with CoreShowChannels failed');
    }
  }

  private emit(events: CallEvent[]): void {
    const s = this.session;
    if (!s || !events.length) return;
    for (const e of events) {
      const event = { ...e, raw: { ...e.raw, fencingToken: s.fencingToken } } as CallEvent;
      this.chain = this.chain.then(async () => {
        try {
          await this.deps.sink.apply(event);
          this.emitted += 1;
          this.metrics?.events.inc({ type: event.type });
        } catch (err) {
          this.deps.logger.error({ err, type: event.type, eventKey: event.eventKey }, 'call event sink failed');
        }
      });
    }
  }
}
