import { DID, Flow, chan, trunkChannel } from './ami-events.js';

export interface ExpectedCall {
  readonly id: string;
  readonly did: string | null;
  readonly caller: string | null;
  readonly outcome: string | null;
  readonly answeredBy: string | null;
  readonly ringSeconds: number | null;
  readonly talkSeconds: number | null;
}

export interface Scenario {
  readonly flow: Flow;
  readonly expected: ExpectedCall[];
  /** Calls that also appear when inbound channels are inferred (internal calls the flow contains). */
  readonly alsoInferred?: ExpectedCall[];
}

const CALLER = '+15557654321';
const call = (id: string, outcome: string, answeredBy: string | null, ring: number | null, talk: number | null, did = DID): ExpectedCall => ({
  id,
  did,
  caller: CALLER,
  outcome,
  answeredBy,
  ringSeconds: ring,
  talkSeconds: talk,
});

/** Trunk call forwarded to one phone, answered after 6 s, 60 s of talk. */
function answered(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000001', '1770900000.10');
  const b = chan('PJSIP/201-00000002', '1770900000.11', { linked: a.id, num: '201' });
  f.newchannel(0, a).newexten(0.1, a, 'Dial', 'PJSIP/201,30').newchannel(0.2, b).dialBegin(0.2, a, b).newstate(0.5, b, 5);
  f.newstate(6, b, 6).dialEnd(6, a, b, 'ANSWER').newstate(6, a, 6).bridgeEnter(6.1, b, 'br-1', 1).bridgeEnter(6.1, a, 'br-1', 2);
  f.bridgeLeave(66, a, 'br-1', 1).bridgeLeave(66, b, 'br-1', 0).hangup(66, b, 16, 'Normal Clearing').hangup(66, a, 16, 'Normal Clearing');
  return { flow: f, expected: [call(a.id, 'completed', 'human', 6, 60)] };
}

/** The forwarded-to phone is busy (486 -> cause 17). */
function busy(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000003', '1770900100.20');
  const b = chan('PJSIP/201-00000004', '1770900100.21', { linked: a.id, num: '201' });
  f.newchannel(0, a).newchannel(0.5, b).dialBegin(0.5, a, b).dialEnd(2, a, b, 'BUSY').hangup(2, b, 17, 'User busy');
  f.newexten(2.1, a, 'Busy', '5').hangup(4, a, 17, 'User busy');
  return { flow: f, expected: [call(a.id, 'busy', null, 4, 0)] };
}

/** Parallel ring group of three phones: nobody answers in 30 s, legs hang up with cause 0, the caller with 16. */
function ringGroupNoAnswer(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000005', '1770900200.30');
  f.newchannel(0, a).newexten(0.1, a, 'Dial', 'PJSIP/201&PJSIP/202&PJSIP/203,30');
  const legs = ['201', '202', '203'].map((n, i) => chan(`PJSIP/${n}-0000000${6 + i}`, `1770900200.3${1 + i}`, { linked: a.id, num: n }));
  for (const l of legs) f.newchannel(0.2, l).dialBegin(0.2, a, l);
  for (const l of legs) f.newstate(0.6, l, 5);
  for (const l of legs) f.dialEnd(30.2, a, l, 'NOANSWER').hangup(30.2, l, 0, 'Unknown');
  f.hangup(31, a, 16, 'Normal Clearing');
  return { flow: f, expected: [call(a.id, 'no-answer', null, 31, 0)] };
}

/** Caller hangs up while ringing (chan_pjsip: CANCEL, cause 127 on both legs). */
function abandoned(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000009', '1770900300.40');
  const b = chan('PJSIP/201-0000000a', '1770900300.41', { linked: a.id, num: '201' });
  f.newchannel(0, a).newchannel(0.3, b).dialBegin(0.3, a, b).newstate(0.6, b, 5);
  f.raw(12, 'HangupRequest', [...snapshotLines(a), 'Cause: 127', 'TechCause: 487']);
  f.dialEnd(12, a, b, 'CANCEL').hangup(12, b, 127, 'Interworking, unspecified').hangup(12, a, 127, 'Interworking, unspecified');
  return { flow: f, expected: [call(a.id, 'canceled', null, 12, 0)] };
}

/** Dialplan answers and plays an IVR menu; the caller hangs up after 20 s. */
function ivr(): Scenario {
  const f = new Flow();
  const a = trunkChannel('0000000b', '1770900400.50');
  f.newchannel(0, a).newexten(0.1, a, 'Answer').newstate(1, a, 6).newexten(1.1, a, 'Background', 'welcome').hangup(21, a, 16, 'Normal Clearing');
  return { flow: f, expected: [call(a.id, 'completed', 'ivr', 1, 20)] };
}

/** Nobody answers in 20 s, then voicemail picks up and records for 30 s. */
function voicemail(): Scenario {
  const f = new Flow();
  const a = trunkChannel('0000000c', '1770900500.60');
  const b = chan('PJSIP/201-0000000d', '1770900500.61', { linked: a.id, num: '201' });
  f.newchannel(0, a).newchannel(0.2, b).dialBegin(0.2, a, b).dialEnd(20, a, b, 'NOANSWER').hangup(20, b, 0, 'Unknown');
  f.newexten(20.1, a, 'VoiceMail', '201@default,u').newstate(20.2, a, 6).hangup(50.2, a, 16, 'Normal Clearing');
  return { flow: f, expected: [call(a.id, 'completed', 'voicemail', 20, 30)] };
}

/** The forward-to trunk is congested. */
function failed(): Scenario {
  const f = new Flow();
  const a = trunkChannel('0000000e', '1770900600.70');
  const b = chan('PJSIP/carrier-0000000f', '1770900600.71', { linked: a.id });
  f.newchannel(0, a).newchannel(0.2, b).dialBegin(0.2, a, b).hangup(1, b, 34, 'Circuit/channel congestion').dialEnd(1, a, b, 'CONGESTION');
  f.hangup(3, a, 34, 'Circuit/channel congestion');
  return { flow: f, expected: [call(a.id, 'failed', null, 3, 0)] };
}

/**
 * FreePBX-style ring group through Local channels with Local-channel optimisation, then a blind transfer by the
 * callee; meanwhile a second inbound call arrives and is merged into the first one's bridge by an attended transfer
 * (its Linkedid is re-assigned to the older call). Both calls must stay separate and whole.
 */
function localTransfer(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000010', '1770900700.80');
  const l1 = chan('Local/600@from-queue-00000001;1', '1770900700.81', { linked: a.id, context: 'from-queue', exten: '600' });
  const l2 = chan('Local/600@from-queue-00000001;2', '1770900700.82', { linked: a.id, context: 'from-queue', exten: '600', state: 4 });
  const p = chan('PJSIP/201-00000011', '1770900700.83', { linked: a.id, num: '201' });
  f.newchannel(0, a).newchannel(1, l1).newchannel(1, l2).dialBegin(1, a, l1).newchannel(1.2, p).dialBegin(1.2, l2, p).newstate(1.5, p, 5);
  f.newstate(9, p, 6).dialEnd(9, l2, p, 'ANSWER').newstate(9, l2, 6).newstate(9, l1, 6).dialEnd(9, a, l1, 'ANSWER').newstate(9, a, 6);
  f.bridgeEnter(9.1, a, 'br-a', 2).bridgeEnter(9.1, l2, 'br-b', 2);
  f.raw(9.5, 'LocalOptimizationBegin', [...prefixed(l1, 'LocalOne'), ...prefixed(l2, 'LocalTwo'), 'Id: 1']);
  f.bridgeLeave(9.6, l1, 'br-a', 1).hangup(9.6, l1, 16, 'Normal Clearing').bridgeLeave(9.6, l2, 'br-b', 1).hangup(9.6, l2, 16, 'Normal Clearing');
  f.bridgeEnter(9.6, p, 'br-a', 2);
  // Second inbound call on another DID while the first one talks.
  const c = trunkChannel('00000012', '1770900720.90', '+15550001111', '+15551230001');
  f.newchannel(20, c).newexten(20.1, c, 'Answer').newstate(20.5, c, 6);
  // Attended transfer merges c into a's bridge: c's Linkedid becomes the older call's.
  c.linked = a.id;
  f.bridgeEnter(40, c, 'br-a', 3).varset(40, c, 'BRIDGEPEER', p.name);
  f.bridgeLeave(70, c, 'br-a', 2).hangup(70, c, 16, 'Normal Clearing');
  // The callee blind-transfers the first caller to 202, which answers.
  const q = chan('PJSIP/202-00000013', '1770900700.84', { linked: a.id, num: '202' });
  f.bridgeLeave(80, p, 'br-a', 1).hangup(80, p, 16, 'Normal Clearing');
  f.newchannel(80.2, q).dialBegin(80.2, a, q).newstate(83, q, 6).dialEnd(83, a, q, 'ANSWER').bridgeEnter(83, q, 'br-a', 2);
  f.bridgeLeave(109, a, 'br-a', 1).hangup(109, q, 16, 'Normal Clearing').hangup(109, a, 16, 'Normal Clearing');
  return {
    flow: f,
    expected: [
      call(a.id, 'completed', 'human', 9, 100),
      // Answered by the IVR, then connected to the callee by the transfer: a person took it at 40 s.
      { id: c.id, did: '+15551230001', caller: '+15550001111', outcome: 'completed', answeredBy: 'human', ringSeconds: 20, talkSeconds: 30 },
    ],
  };
}

/** Ring group that plays music instead of ringback: the caller is answered while the phones ring; nobody picks up. */
function mohRingGroupNoAnswer(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000020', '1770900800.10');
  const legs = ['201', '202'].map((n, i) => chan(`PJSIP/${n}-0000002${1 + i}`, `1770900800.1${1 + i}`, { linked: a.id, num: n }));
  f.newchannel(0, a).newexten(0.1, a, 'Dial', 'PJSIP/201&PJSIP/202,20,m');
  for (const l of legs) f.newchannel(0.2, l).dialBegin(0.2, a, l);
  f.newstate(0.3, a, 6);
  for (const l of legs) f.dialEnd(20.2, a, l, 'NOANSWER').hangup(20.2, l, 0, 'Unknown');
  f.newexten(20.3, a, 'Hangup').hangup(20.3, a, 16, 'Normal Clearing');
  return { flow: f, expected: [call(a.id, 'no-answer', null, 20, 0)] };
}

/** Same, but after the ring group the caller hears a menu: answered by the IVR. */
function mohRingGroupThenIvr(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000023', '1770900810.20');
  const b = chan('PJSIP/201-00000024', '1770900810.21', { linked: a.id, num: '201' });
  f.newchannel(0, a).newchannel(0.2, b).dialBegin(0.2, a, b).newstate(0.3, a, 6).dialEnd(15, a, b, 'NOANSWER').hangup(15, b, 0, 'Unknown');
  f.newexten(15.1, a, 'Background', 'after-hours').hangup(40.3, a, 16, 'Normal Clearing');
  return { flow: f, expected: [call(a.id, 'completed', 'ivr', 0, 40)] };
}

/** FreePBX-style: the ring group's Local leg goes to voicemail on its own side. */
function localVoicemail(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000025', '1770900820.30');
  const l1 = chan('Local/vmu201@from-internal-00000002;1', '1770900820.31', { linked: a.id, context: 'from-internal', exten: 'vmu201' });
  const l2 = chan('Local/vmu201@from-internal-00000002;2', '1770900820.32', { linked: a.id, context: 'from-internal', exten: 'vmu201', state: 4 });
  f.newchannel(0, a).newchannel(0.1, l1).newchannel(0.1, l2).dialBegin(0.1, a, l1);
  f.newexten(0.2, l2, 'VoiceMail', '201@default,u').newstate(0.5, l2, 6).newstate(0.5, l1, 6).dialEnd(0.5, a, l1, 'ANSWER').newstate(0.5, a, 6);
  f.hangup(25.5, l2, 16, 'Normal Clearing').hangup(25.5, l1, 16, 'Normal Clearing').hangup(25.5, a, 16, 'Normal Clearing');
  return { flow: f, expected: [call(a.id, 'completed', 'voicemail', 1, 25)] };
}

/**
 * Call B is bridged with older call A (B's Linkedid becomes A's), then B's dialplan dials a phone: the new leg
 * inherits A's Linkedid but belongs to B, whose Dial it is.
 */
function linkedidInheritedByNewLeg(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000030', '1770900900.10');
  const b = trunkChannel('00000031', '1770900900.20', '+15550004444', '+15551230004');
  f.newchannel(0, a).newexten(0.1, a, 'Answer').newstate(0.5, a, 6).newchannel(1, b).newexten(1.1, b, 'Answer').newstate(1.5, b, 6);
  b.linked = a.id;
  f.bridgeEnter(5, a, 'conf', 1).bridgeEnter(5, b, 'conf', 2).bridgeLeave(10, b, 'conf', 1);
  const p = chan('PJSIP/205-00000032', '1770900900.21', { linked: a.id, num: '205' });
  f.newchannel(10.1, p).dialBegin(10.1, b, p).dialEnd(13, b, p, 'BUSY').hangup(13, p, 17, 'User busy');
  f.hangup(14, b, 16, 'Normal Clearing').bridgeLeave(20, a, 'conf', 0).hangup(20, a, 16, 'Normal Clearing');
  return {
    flow: f,
    expected: [
      // Both callers were put through to each other at 5 s.
      call(a.id, 'completed', 'human', 5, 15),
      { id: b.id, did: '+15551230004', caller: '+15550004444', outcome: 'completed', answeredBy: 'human', ringSeconds: 4, talkSeconds: 9 },
    ],
  };
}

/** Another phone picks up the ringing call (directed pickup): no DialEnd ANSWER, the caller is bridged with it. */
function pickup(): Scenario {
  const f = new Flow();
  const a = trunkChannel('00000040', '1770901000.10');
  const b = chan('PJSIP/201-00000041', '1770901000.11', { linked: a.id, num: '201' });
  const p = chan('PJSIP/202-00000042', '1770901000.12', { exten: '*8201', state: 4, num: '202' });
  f.newchannel(0, a).newchannel(0.2, b).dialBegin(0.2, a, b).newstate(0.4, b, 5);
  f.newchannel(7, p).newexten(7.1, p, 'Pickup', '201@PICKUPMARK').newstate(7.5, p, 6).newstate(7.5, a, 6);
  f.dialEnd(7.5, a, b, 'CANCEL').hangup(7.5, b, 26, 'Answered elsewhere');
  f.bridgeEnter(7.6, p, 'br-p', 1).bridgeEnter(7.6, a, 'br-p', 2);
  f.bridgeLeave(37.6, a, 'br-p', 1).hangup(37.6, a, 16, 'Normal Clearing').bridgeLeave(37.6, p, 'br-p', 0).hangup(37.6, p, 16, 'Normal Clearing');
  return {
    flow: f,
    expected: [call(a.id, 'completed', 'human', 8, 30)],
    alsoInferred: [{ id: p.id, did: '*8201', caller: '202', outcome: 'completed', answeredBy: 'human', ringSeconds: 1, talkSeconds: 30 }],
  };
}

function snapshotLines(c: ReturnType<typeof chan>): string[] {
  return prefixed(c, '');
}

function prefixed(c: ReturnType<typeof chan>, prefix: string): string[] {
  return [
    `${prefix}Channel: ${c.name}`,
    `${prefix}ChannelState: ${c.state}`,
    `${prefix}CallerIDNum: ${c.num}`,
    `${prefix}Context: ${c.context}`,
    `${prefix}Exten: ${c.exten}`,
    `${prefix}Uniqueid: ${c.id}`,
    `${prefix}Linkedid: ${c.linked}`,
  ];
}

export const SCENARIOS: Readonly<Record<string, () => Scenario>> = {
  answered,
  busy,
  ringGroupNoAnswer,
  abandoned,
  ivr,
  voicemail,
  failed,
  localTransfer,
  mohRingGroupNoAnswer,
  mohRingGroupThenIvr,
  localVoicemail,
  linkedidInheritedByNewLeg,
  pickup,
};
