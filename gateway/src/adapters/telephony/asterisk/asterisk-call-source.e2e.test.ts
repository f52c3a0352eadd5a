import { expect } from 'chai';
import type { AsteriskConfig } from '../../../config.js';
import type { CallEvent } from '../../../features/calls/call-events.js';
import { createLogger } from '../../../logging/logger.js';
import { systemClock } from '../../../shared/clock.js';
import { Flow, snapshot, trunkChannel } from '../../../../test/helpers/ami-events.js';
import { LoopbackAmiServer } from '../../../../test/helpers/ami-server.js';
import { SCENARIOS } from '../../../../test/helpers/ami-scenarios.js';
import { useTestRedis } from '../../../../test/helpers/redis.js';
import { createTestConfig } from '../../../../test/helpers/config.js';
import { useTestDatabase } from '../../../../test/helpers/db.js';
import { startTestGateway } from '../../../../test/helpers/gateway.js';
import { AsteriskCallSource } from './asterisk-call-source.js';
import { LocalLeaderLock, RedisLeaderLock } from './leader-lock.js';
import type { LeaderLock } from './leader-lock.js';

const until = LoopbackAmiServer.until;
const logger = createLogger({ level: 'silent' });

function amiConfig(port: number): AsteriskConfig {
  return {
    host: '127.0.0.1',
    port,
    username: 'gateway',
    secret: 'right',
    auth: 'plain',
    inboundContexts: ['from-pstn'],
    didSource: 'exten',
    recordingsDir: null,
    recordingsUrl: null,
    defaultCountry: null,
  };
}

class MemorySink {
  readonly events: CallEvent[] = [];
  async apply(e: CallEvent): Promise<void> {
    this.events.push(e);
  }
  types(id?: string): string[] {
    return this.events.filter((e) => !id || e.providerCallId === id).map((e) => e.type);
  }
}

describe('AsteriskCallSource', function () {
  this.timeout(20_000);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function server(opts: Parameters<typeof LoopbackAmiServer.start>[0] = {}): Promise<LoopbackAmiServer> {
    const s = await LoopbackAmiServer.start({ username: 'gateway', secret: 'right', ...opts });
    cleanup.push(() => s.close());
    return s;
  }

  function source(port: number, sink: MemorySink, lock: LeaderLock = new LocalLeaderLock()): AsteriskCallSource {
    const src = new AsteriskCallSource({
      config: amiConfig(port),
      sink,
      lock,
      clock: systemClock,
      logger,
      client: { backoff: { initialMs: 20, maxMs: 100 }, pingIntervalMs: 100, pingTimeoutMs: 300 },
    });
    cleanup.push(() => src.stop());
    return src;
  }

  it('emits the normalised events of a call with the fencing token', async () => {
    const s = SCENARIOS['answered']!();
    const ami = await server({ script: s.flow.blocks });
    const sink = new MemorySink();
    source(ami.port, sink).start();
    await until(() => sink.types().includes('call.ended'), 10_000, 'call.ended');
    expect(sink.types()).to.deep.equal(['call.ringing', 'call.answered', 'call.ended']);
    expect(sink.events.every((e) => e.raw?.['fencingToken'] === 1)).to.equal(true);
    expect(sink.events[2]).to.include({ outcome: 'completed', answeredBy: 'human', ringSeconds: 6, talkSeconds: 60, closedBy: 'provider' });
  });

  it('after a reconnect, CoreShowChannels closes calls that ended meanwhile and adopts calls that started', async () => {
    const a = trunkChannel('00000001', '1770950000.1');
    const b = trunkChannel('00000002', '1770950000.2', '+15550002222', '+15551230002');
    const c = trunkChannel('00000003', '1770950000.3', '+15550003333', 's');
    let live: [string, string][][] = [];
    const ami = await server({ channels: () => live, getvar: (ch, v) => (ch === c.name && v === 'CALLERID(dnid)' ? '+15551230003' : null) });
    const sink = new MemorySink();
    const src = source(ami.port, sink);
    src.start();
    await until(() => src.connected && ami.actions.some((x) => x['action']?.toLowerCase() === 'coreshowchannels'), 5_000, 'first resync');
    ami.broadcast(new Flow().newchannel(0, a).blocks);
    await until(() => sink.types(a.id).includes('call.ringing'), 5_000, 'ringing of a');
    // The connection drops; meanwhile a hangs up and b starts.
    // b is already in the forwarding dialplan (its Exten is no longer the DID) but carries FROM_DID (channelvars);
    // c is still in from-pstn with Exten "s": its DNID is asked with Getvar.
    live = [
      [
        ['Channel', b.name],
        ['ChannelState', '4'],
        ['CallerIDNum', b.num],
        ['Context', 'forward-tracked'],
        ['Exten', 's'],
        ['Uniqueid', b.id],
        ['Linkedid', b.id],
        ['ChanVariable', `FROM_DID=${b.exten}`],
        ['Duration', '00:00:05'],
      ],
      [
        ['Channel', c.name],
        ['ChannelState', '4'],
        ['CallerIDNum', c.num],
        ['Context', 'from-pstn'],
        ['Exten', 's'],
        ['Uniqueid', c.id],
        ['Linkedid', c.id],
        ['Duration', '00:00:02'],
      ],
    ];
    ami.dropAll();
    await until(() => sink.types(a.id).includes('call.ended') && sink.types(b.id).includes('call.ringing'), 10_000, 'resync');
    expect(sink.events.find((e) => e.providerCallId === a.id && e.type === 'call.ended')).to.include({ closedBy: 'timeout', outcome: 'canceled' });
    expect(sink.events.find((e) => e.providerCallId === b.id)).to.include({ trackingNumber: '+15551230002', caller: '+15550002222' });
    await until(() => sink.types(c.id).includes('call.ringing'), 5_000, 'c adopted');
    expect(sink.events.find((e) => e.providerCallId === c.id)).to.include({ trackingNumber: '+15551230003' });
  });

  it('asks for the MixMonitor file name when VarSet events are disabled, and reports the recording', async () => {
    const a = trunkChannel('00000009', '1770950100.1');
    const path = '/var/spool/asterisk/monitor/2026/11/22/15551230000-1770950100.1.wav';
    const ami = await server({ getvar: (ch, v) => (ch === a.name && v === 'MIXMONITOR_FILENAME' ? path : null) });
    const sink = new MemorySink();
    const src = source(ami.port, sink);
    src.start();
    await until(() => src.connected, 5_000, 'connected');
    const f = new Flow().newchannel(0, a).newstate(1, a, 6).raw(1.1, 'MixMonitorStart', snapshot(a));
    ami.broadcast(f.blocks);
    await until(() => ami.actions.some((x) => x['action'] === 'Getvar' && x['variable'] === 'MIXMONITOR_FILENAME'), 5_000, 'Getvar');
    // The hangup may be handled before the Getvar answer: the recording is reported either way.
    ami.broadcast(new Flow().hangup(9, a, 16, 'Normal Clearing').blocks);
    await until(() => sink.types(a.id).includes('recording.available'), 5_000, 'recording.available');
    expect(sink.events.at(-1)).to.deep.include({ type: 'recording.available', source: { kind: 'asterisk', path } });
  });

  describe('leader lock on Redis', () => {
    const r = useTestRedis();

    it('exactly one replica holds the AMI connection; another takes over with a higher fencing token when it dies', async () => {
      const ami = await server();
      const sinks = [new MemorySink(), new MemorySink()];
      let dead = false;
      const real = new RedisLeaderLock(r.redis, 'ami', 600);
      // Replica 0's Redis link dies with it: no renew, no release.
      const dying: LeaderLock = {
        ttlMs: real.ttlMs,
        acquire: () => (dead ? Promise.reject(new Error('dead')) : real.acquire()),
        renew: () => (dead ? Promise.reject(new Error('dead')) : real.renew()),
        release: () => (dead ? Promise.reject(new Error('dead')) : real.release()),
      };
      const first = source(ami.port, sinks[0]!, dying);
      first.start();
      await until(() => first.connected, 5_000, 'first replica connected');
      const second = source(ami.port, sinks[1]!, new RedisLeaderLock(r.redis, 'ami', 600));
      second.start();
      // Several renew rounds later the second replica still waits.
      const renewRounds = Date.now() + 700;
      await until(() => Date.now() > renewRounds, 2_000, 'a few lock rounds');
      expect(second.isLeader).to.equal(false);
      expect(ami.logins).to.equal(1);

      dead = true;
      await until(() => second.connected, 5_000, 'hand-over');
      await until(() => !first.isLeader, 5_000, 'old leader steps down');
      expect(ami.logins).to.equal(2);
      await until(() => ami.openConnections === 1, 5_000, 'old connection closed');

      ami.broadcast(SCENARIOS['busy']!().flow.blocks);
      await until(() => sinks[1]!.types().includes('call.ended'), 5_000, 'events through the new leader');
      expect(sinks[1]!.events.every((e) => e.raw?.['fencingToken'] === 2)).to.equal(true);
      expect(sinks[0]!.types()).to.deep.equal([]);
    });
  });
});

describe('gateway with AMI_HOST set', function () {
  this.timeout(20_000);
  const db = useTestDatabase();

  it('follows the PBX from start to stop, handing events to the configured sink', async () => {
    const s = SCENARIOS['voicemail']!();
    const ami = await LoopbackAmiServer.start({ username: 'gateway', secret: 'right', script: s.flow.blocks });
    const sink = new MemorySink();
    const gw = await startTestGateway(db.db, { config: createTestConfig({ asterisk: amiConfig(ami.port) }), container: { callEventSink: sink } });
    try {
      await until(() => sink.types().includes('call.ended'), 10_000, 'call.ended');
      expect(sink.events.at(-1)).to.include({ outcome: 'completed', answeredBy: 'voicemail' });
      expect(gw.container.asterisk?.isLeader).to.equal(true);
      const metrics = await (await gw.api('/metrics')).text();
      expect(metrics).to.match(/gateway_asterisk_ami_leader 1/);
      expect(metrics).to.match(/gateway_asterisk_call_events_total\{type="call.ended"\} 1/);
    } finally {
      await gw.stop();
      await ami.close();
    }
    expect(gw.container.asterisk?.isLeader).to.equal(false);
  });
});
