import { expect } from 'chai';
import type { CallEvent } from '../../../features/calls/call-events.js';
import { ManualClock } from '../../../shared/clock.js';
import { Flow, chan, trunkChannel } from '../../../../test/helpers/ami-events.js';
import { SCENARIOS } from '../../../../test/helpers/ami-scenarios.js';
import { readSharedFixture } from '../../../../test/helpers/shared-fixtures.js';
import { parseCapture } from './ami-message.js';
import type { AmiMessage } from './ami-message.js';
import { CallNormaliser, parseDidSource } from './call-normaliser.js';
import type { CallNormaliserOptions } from './call-normaliser.js';

const fixture = (name: string): AmiMessage[] => parseCapture(readSharedFixture('ami', name));

function run(messages: AmiMessage[], opts: Partial<CallNormaliserOptions> = {}): { n: CallNormaliser; events: CallEvent[] } {
  const clock = new ManualClock();
  const n = new CallNormaliser({ inboundContexts: ['from-pstn'], didSource: { kind: 'exten' }, now: () => clock.now(), ...opts });
  const events: CallEvent[] = [];
  for (const m of messages) events.push(...n.handle(m));
  return { n, events };
}

describe('CallNormaliser', () => {
  describe('real FreePBX / chan_pjsip captures', () => {
    it('answered internal call: ringing, answered by a person, completed; durations unknown without timestamps', () => {
      const { n, events } = run(fixture('asterisk-pjsip-freepbx_answered-internal.txt'), { inboundContexts: [] });
      expect(events.map((e) => e.type)).to.deep.equal(['call.ringing', 'call.answered', 'call.ended']);
      expect(events.every((e) => e.providerCallId === '1770888534.43')).to.equal(true);
      expect(n.summaries()).to.deep.equal([
        { id: '1770888534.43', did: '1986', caller: '21', outcome: 'completed', answeredBy: 'human', ringSeconds: null, talkSeconds: null },
      ]);
    });

    it('caller abandons while ringing (CANCEL, cause 127) is canceled, not a network failure', () => {
      const { n, events } = run(fixture('asterisk-pjsip-freepbx_unanswered-cancel.txt'), { inboundContexts: [] });
      const ended = events.find((e) => e.type === 'call.ended');
      expect(ended).to.include({ outcome: 'canceled', providerCallId: '1770888559.46' });
      expect(n.summaries()[0]).to.include({ did: '21', caller: '1986', outcome: 'canceled', answeredBy: null, talkSeconds: 0 });
    });

    it('the inbound context decides which channel is a call: from-internal is not inbound', () => {
      const { n } = run(fixture('asterisk-pjsip-freepbx_answered-internal.txt'), { inboundContexts: ['from-pstn'] });
      expect(n.summaries()).to.deep.equal([]);
    });

    it('Asterisk 11 Originate: no inbound call by default; with context "default" one answered call', () => {
      const messages = fixture('panoramisk_asterisk11_originate-answered-call.txt');
      expect(run(messages, { inboundContexts: [] }).n.summaries()).to.deep.equal([]);
      const withCtx = run(messages, { inboundContexts: ['default'] }).n.summaries();
      expect(withCtx).to.have.length(1);
      // No Timestamp headers, but CEL EventTime: started 16:36:40, first answer 16:36:49, hangup 16:36:58.
      expect(withCtx[0]).to.include({ id: '1414510600.0', did: '259', outcome: 'completed', answeredBy: 'human', ringSeconds: 9, talkSeconds: 9 });
    });
  });

  describe('trunk scenarios with Timestamp headers', () => {
    for (const [name, make] of Object.entries(SCENARIOS)) {
      it(`${name}: outcome, who answered and durations`, () => {
        const s = make();
        const { n } = run(s.flow.messages());
        expect(n.summaries()).to.deep.equal(s.expected);
      });
    }

    it('every event twice (debug-log duplicates) changes nothing', () => {
      for (const make of Object.values(SCENARIOS)) {
        const s = make();
        const doubled = s.flow.messages().flatMap((m) => [m, m]);
        const { n, events } = run(doubled);
        expect(n.summaries()).to.deep.equal(s.expected);
        const keys = events.map((e) => e.eventKey);
        expect(new Set(keys).size).to.equal(keys.length);
      }
    });

    it('a whole capture replayed twice yields each call once', () => {
      const s = SCENARIOS['busy']!();
      const { n } = run([...s.flow.messages(), ...s.flow.messages()]);
      expect(n.summaries()).to.deep.equal(s.expected);
    });

    it('two calls interleaved event by event stay apart', () => {
      const x = SCENARIOS['answered']!().flow.messages();
      const y = SCENARIOS['ringGroupNoAnswer']!().flow.messages();
      const mixed: AmiMessage[] = [];
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        if (x[i]) mixed.push(x[i]!);
        if (y[i]) mixed.push(y[i]!);
      }
      const outcomes = run(mixed)
        .n.summaries()
        .map((s) => [s.id, s.outcome]);
      expect(outcomes).to.have.deep.members([
        ['1770900000.10', 'completed'],
        ['1770900200.30', 'no-answer'],
      ]);
    });
  });

  describe('identity', () => {
    it("a leg inheriting another call's Linkedid belongs to the call whose Dial created it", () => {
      const { events } = run(SCENARIOS['linkedidInheritedByNewLeg']!().flow.messages());
      const legs = (id: string) => events.find((e) => e.type === 'call.ended' && e.providerCallId === id)?.raw?.['legs'];
      expect(legs('1770900900.20')).to.deep.equal([{ uniqueid: '1770900900.21', status: 'BUSY' }]);
      expect(legs('1770900900.10')).to.deep.equal([]);
    });

    it('Uniqueids that are equal as numbers are different calls', () => {
      const f = new Flow();
      const a = trunkChannel('1', '1770888509.4');
      const b = trunkChannel('2', '1770888509.40');
      f.newchannel(0, a).newchannel(0, b).hangup(1, a, 16, 'Normal Clearing').hangup(2, b, 16, 'Normal Clearing');
      expect(
        run(f.messages())
          .n.summaries()
          .map((s) => s.id),
      ).to.deep.equal(['1770888509.4', '1770888509.40']);
    });

    it('events carry string ids and idempotency keys', () => {
      const { events } = run(SCENARIOS['answered']!().flow.messages());
      expect(events.map((e) => e.eventKey)).to.deep.equal(['1770900000.10:ringing', '1770900000.10:answered', '1770900000.10:ended']);
      const ringing = events[0]!;
      expect(ringing).to.include({ type: 'call.ringing', trackingNumber: '+15551230000', caller: '+15557654321', provider: 'asterisk' });
      expect(ringing.occurredAt.toISOString()).to.equal(new Date(1770900000 * 1000).toISOString());
    });

    it('a Dial-created channel is never its own call when inferring inbound channels', () => {
      const f = new Flow();
      const o = chan('PJSIP/101-00000001', '1770900900.1', { num: '101' });
      const d = chan('PJSIP/102-00000002', '1770900900.2', { num: '102' });
      // Originate-style: the destination is a fresh channel that is its own Linkedid, then appears as a Dial's Dest.
      f.newchannel(0, o).newchannel(0.1, d).dialBegin(0.1, o, d).newstate(2, d, 6).dialEnd(2, o, d, 'ANSWER');
      f.hangup(9, d, 16, 'Normal Clearing').hangup(9, o, 16, 'Normal Clearing');
      const summaries = run(f.messages(), { inboundContexts: [] }).n.summaries();
      expect(summaries.map((s) => s.id)).to.deep.equal(['1770900900.1']);
    });
  });

  it('Asterisk 11 attended transfer: the masqueraded caller keeps the call going under its new Uniqueid', () => {
    const t = (s: number): string => `Timestamp: ${(1414510000 + s).toFixed(6)}`;
    const capture = [
      [
        'Event: Newchannel',
        t(0),
        'Channel: SIP/trunk-00000001',
        'ChannelState: 0',
        'CallerIDNum: 5557654321',
        'Exten: 5551230000',
        'Context: from-trunk',
        'Uniqueid: 1414510000.1',
      ],
      ['Event: Newstate', t(0), 'Channel: SIP/trunk-00000001', 'ChannelState: 4', 'Uniqueid: 1414510000.1'],
      [
        'Event: Newchannel',
        t(1),
        'Channel: SIP/201-00000002',
        'ChannelState: 0',
        'CallerIDNum: 201',
        'Exten: ',
        'Context: from-internal',
        'Uniqueid: 1414510000.2',
      ],
      [
        'Event: Dial',
        t(1),
        'SubEvent: Begin',
        'Channel: SIP/trunk-00000001',
        'Destination: SIP/201-00000002',
        'UniqueID: 1414510000.1',
        'DestUniqueID: 1414510000.2',
      ],
      ['Event: Newstate', t(6), 'Channel: SIP/201-00000002', 'ChannelState: 6', 'Uniqueid: 1414510000.2'],
      ['Event: Newstate', t(6), 'Channel: SIP/trunk-00000001', 'ChannelState: 6', 'Uniqueid: 1414510000.1'],
      [
        'Event: Bridge',
        t(6),
        'Bridgestate: Link',
        'Channel1: SIP/trunk-00000001',
        'Channel2: SIP/201-00000002',
        'Uniqueid1: 1414510000.1',
        'Uniqueid2: 1414510000.2',
      ],
      // 201 transfers the caller to 202: a Transfered/ channel takes the caller's place.
      [
        'Event: Newchannel',
        t(30),
        'Channel: Transfered/SIP/trunk-00000001',
        'ChannelState: 6',
        'Exten: ',
        'Context: from-internal',
        'Uniqueid: 1414510000.5',
      ],
      ['Event: Masquerade', t(30), 'Clone: SIP/trunk-00000001', 'CloneState: Up', 'Original: Transfered/SIP/trunk-00000001', 'OriginalState: Up'],
      ['Event: Rename', t(30), 'Channel: SIP/trunk-00000001', 'Newname: SIP/trunk-00000001<MASQ>', 'Uniqueid: 1414510000.1'],
      ['Event: Rename', t(30), 'Channel: Transfered/SIP/trunk-00000001', 'Newname: SIP/trunk-00000001', 'Uniqueid: 1414510000.5'],
      ['Event: Rename', t(30), 'Channel: SIP/trunk-00000001<MASQ>', 'Newname: Transfered/SIP/trunk-00000001<ZOMBIE>', 'Uniqueid: 1414510000.1'],
      ['Event: Hangup', t(30), 'Channel: Transfered/SIP/trunk-00000001<ZOMBIE>', 'Uniqueid: 1414510000.1', 'Cause: 16'],
      ['Event: Hangup', t(31), 'Channel: SIP/201-00000002', 'Uniqueid: 1414510000.2', 'Cause: 16'],
      ['Event: Hangup', t(90), 'Channel: SIP/trunk-00000001', 'Uniqueid: 1414510000.5', 'Cause: 16'],
    ]
      .map((b) => b.join('\n'))
      .join('\n\n');
    const { n } = run(parseCapture(`${capture}\n\n`), { inboundContexts: ['from-trunk'] });
    expect(n.summaries()).to.deep.equal([
      { id: '1414510000.1', did: '5551230000', caller: '5557654321', outcome: 'completed', answeredBy: 'human', ringSeconds: 6, talkSeconds: 84 },
    ]);
  });

  it('an Originate out through the trunk (its channel in the trunk context, Exten s) is not an inbound call', () => {
    const f = new Flow();
    const o = chan('PJSIP/carrier-00000050', '1770902000.1', { context: 'from-pstn', exten: 's', num: '+15551230000' });
    f.newchannel(0, o).dialBegin(0, null, o).newstate(4, o, 6).dialEnd(4, null, o, 'ANSWER').hangup(60, o, 16, 'Normal Clearing');
    const { n, events } = run(f.messages());
    expect(events).to.deep.equal([]);
    expect(n.summaries()).to.deep.equal([]);
  });

  describe('DID sources', () => {
    const flow = (): Flow => {
      const f = new Flow();
      const a = chan('PJSIP/trunk-00000001', '1770901000.1', { context: 'from-pstn', exten: 'trunkuser', state: 4, num: '+15557654321' });
      f.newchannel(0, a).varset(0.1, a, '__FROM_DID', '+15551239999').hangup(3, a, 16, 'Normal Clearing');
      return f;
    };

    it('Exten by default, FROM_DID VarSet (leading underscores) when configured', () => {
      expect(run(flow().messages()).n.summaries()[0]!.did).to.equal('trunkuser');
      expect(run(flow().messages(), { didSource: parseDidSource('FROM_DID') }).n.summaries()[0]!.did).to.equal('+15551239999');
    });

    it('a chosen variable from ChanVariable (channelvars in manager.conf)', () => {
      const f = new Flow();
      const a = chan('PJSIP/trunk-00000002', '1770901000.2', { context: 'from-pstn', exten: 's', state: 4, vars: { TRACKING_DID: '+15551238888' } });
      f.newchannel(0, a).hangup(2, a, 16, 'Normal Clearing');
      const { n, events } = run(f.messages(), { didSource: parseDidSource('var:TRACKING_DID') });
      expect(n.summaries()[0]!.did).to.equal('+15551238888');
      expect(events[0]).to.include({ type: 'call.ringing', trackingNumber: '+15551238888', caller: 'anonymous' });
    });

    it('rejects an unknown DID source', () => {
      expect(() => parseDidSource('header')).to.throw(/exten, auto, FROM_DID or var:NAME/);
    });

    it('auto: a numeric Exten, else FROM_DID', () => {
      expect(run(flow().messages(), { didSource: parseDidSource('auto') }).n.summaries()[0]!.did).to.equal('+15551239999');
      const numeric = run(SCENARIOS['busy']!().flow.messages(), { didSource: parseDidSource('auto') });
      expect(numeric.n.summaries()[0]!.did).to.equal('+15551230000');
      expect(numeric.events[0]!.type).to.equal('call.ringing');
    });
  });

  it('MixMonitor file becomes recording.available after the call ends', () => {
    const f = new Flow();
    const a = trunkChannel('1', '1770901100.1');
    f.newchannel(0, a).newstate(1, a, 6).varset(1.1, a, 'MIXMONITOR_FILENAME', '/var/spool/asterisk/monitor/2026/11/22/in-1770901100.1.wav');
    f.raw(1.1, 'MixMonitorStart', []).hangup(9, a, 16, 'Normal Clearing');
    const { events } = run(f.messages());
    const rec = events.at(-1)!;
    expect(rec).to.deep.include({
      type: 'recording.available',
      source: { kind: 'asterisk', path: '/var/spool/asterisk/monitor/2026/11/22/in-1770901100.1.wav' },
    });
    expect(events.map((e) => e.type)).to.deep.equal(['call.ringing', 'call.answered', 'call.ended', 'recording.available']);
  });

  it('a recording name learnt after the hangup is still reported', () => {
    const f = new Flow();
    const a = trunkChannel('1', '1770901150.1');
    f.newchannel(0, a).newstate(1, a, 6).hangup(9, a, 16, 'Normal Clearing').varset(9.1, a, 'MIXMONITOR_FILENAME', 'in-1770901150.1.wav');
    const { events } = run(f.messages());
    expect(events.map((e) => e.type)).to.deep.equal(['call.ringing', 'call.answered', 'call.ended', 'recording.available']);
  });

  it('Cdr durations fill in when events have no timestamps', () => {
    const f = new Flow(1770901200, false);
    const a = trunkChannel('1', '1770901200.1');
    const b = chan('PJSIP/201-00000002', '1770901200.2', { linked: a.id });
    f.newchannel(0, a).newchannel(0, b).dialBegin(0, a, b).newstate(0, b, 6).dialEnd(0, a, b, 'ANSWER').hangup(0, b, 16, 'x').hangup(0, a, 16, 'x');
    f.raw(0, 'Cdr', ['UniqueID: 1770901200.1', 'Duration: 47', 'BillableSeconds: 40', 'Disposition: ANSWERED']);
    expect(run(f.messages()).n.summaries()[0]).to.include({ ringSeconds: 7, talkSeconds: 40 });
  });

  it('without DialEnd events (filtered), DIALSTATUS, VMSTATUS and ANSWEREDTIME/DIALEDTIME still tell the story', () => {
    const f = new Flow(1770901250, false);
    const a = trunkChannel('1', '1770901250.1');
    const b = chan('PJSIP/201-00000002', '1770901250.2', { linked: a.id });
    f.newchannel(0, a).newchannel(0, b).dialBegin(0, a, b).newstate(0, b, 6).varset(0, a, 'DIALSTATUS', 'ANSWER');
    f.varset(0, a, 'DIALEDTIME', '52').varset(0, a, 'ANSWEREDTIME', '45').hangup(0, b, 16, 'x').hangup(0, a, 16, 'x');
    expect(run(f.messages()).n.summaries()[0]).to.include({ outcome: 'completed', answeredBy: 'human', ringSeconds: 7, talkSeconds: 45 });

    const g = new Flow();
    const c = trunkChannel('3', '1770901260.3');
    g.newchannel(0, c).newstate(2, c, 6).varset(30, c, 'VMSTATUS', 'SUCCESS').hangup(31, c, 16, 'x');
    expect(run(g.messages()).n.summaries()[0]).to.include({ outcome: 'completed', answeredBy: 'voicemail', ringSeconds: 2, talkSeconds: 29 });
  });

  describe('resync and timeouts', () => {
    it('a call whose channel is gone after a reconnect is closed by timeout', () => {
      const f = new Flow();
      const a = trunkChannel('1', '1770901300.1');
      const b = trunkChannel('2', '1770901300.2');
      f.newchannel(0, a).newstate(1, a, 6).newchannel(2, b);
      const { n } = run(f.messages());
      const events = n.resync([
        { event: 'CoreShowChannel', uniqueid: b.id, linkedid: b.id, channel: b.name, context: 'from-pstn', channelstate: '4' },
      ]);
      expect(events.map((e) => [e.type, e.providerCallId])).to.deep.equal([['call.ended', a.id]]);
      expect(events[0]).to.include({ closedBy: 'timeout', outcome: 'completed', answeredBy: 'ivr' });
      expect(n.openCallIds()).to.deep.equal([b.id]);
    });

    it('adopts calls that started while disconnected, with the start time from Duration', () => {
      const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
      const n = new CallNormaliser({ inboundContexts: ['from-pstn'], didSource: { kind: 'exten' }, now: () => clock.now() });
      const events = n.resync([
        {
          event: 'CoreShowChannel',
          uniqueid: '1770901400.5',
          linkedid: '1770901400.5',
          channel: 'PJSIP/trunk-1',
          context: 'from-pstn',
          exten: '+15551230000',
          calleridnum: '+15557654321',
          channelstate: '4',
          duration: '00:00:42',
        },
        {
          event: 'CoreShowChannel',
          uniqueid: '1770901400.6',
          linkedid: '1770901400.5',
          channel: 'PJSIP/201-2',
          context: 'from-internal',
          exten: 's',
          channelstate: '5',
          duration: '00:00:40',
        },
      ]);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ type: 'call.ringing', providerCallId: '1770901400.5', trackingNumber: '+15551230000' });
      expect(events[0]!.occurredAt.toISOString()).to.equal('2026-11-22T09:59:18.000Z');
    });

    it('a capture that starts with a CoreShowChannels listing follows the calls already in progress', () => {
      const f = new Flow();
      const a = trunkChannel('1', '1770901600.1');
      const b = chan('PJSIP/201-00000002', '1770901600.2', { linked: a.id, num: '201' });
      const item = (c: typeof a, context: string, state: number): string[] => [
        'ActionID: capture-1',
        `Channel: ${c.name}`,
        `ChannelState: ${state}`,
        `CallerIDNum: ${c.num}`,
        `Context: ${context}`,
        'Exten: s',
        `Uniqueid: ${c.id}`,
        `Linkedid: ${a.id}`,
        'Application: Dial',
        'Duration: 00:00:04',
      ];
      // Listed leg first, as Asterisk may; the DID comes from FROM_DID since Exten has moved on.
      f.raw(0, 'CoreShowChannel', item(b, 'from-internal', 5));
      f.raw(0, 'CoreShowChannel', [...item(a, 'from-pstn', 4), 'ChanVariable: FROM_DID=+15551236666']);
      f.raw(0, 'CoreShowChannelsComplete', ['ActionID: capture-1', 'EventList: Complete', 'ListItems: 2']);
      f.newstate(5, b, 6).dialEnd(5, a, b, 'ANSWER').hangup(30, b, 16, 'x').hangup(30, a, 16, 'x');
      const summaries = run(f.messages(), { didSource: parseDidSource('auto') }).n.summaries();
      expect(summaries).to.have.length(1);
      expect(summaries[0]).to.include({ id: a.id, did: '+15551236666', outcome: 'completed', answeredBy: 'human' });
    });

    it('sweep closes calls silent for too long', () => {
      const clock = new ManualClock();
      const n = new CallNormaliser({ inboundContexts: ['from-pstn'], didSource: { kind: 'exten' }, now: () => clock.now() });
      const f = new Flow(clock.nowMs() / 1000, false);
      f.newchannel(0, trunkChannel('1', '1770901500.1'));
      for (const m of f.messages()) n.handle(m);
      expect(n.sweep(60_000)).to.deep.equal([]);
      clock.advance(61_000);
      const closed = n.sweep(60_000);
      expect(closed.map((e) => e.type)).to.deep.equal(['call.ended']);
      expect(closed[0]).to.include({ closedBy: 'timeout', outcome: 'canceled' });
    });
  });
});
