import { expect } from 'chai';
import { LAST_HOLDER_TAU_MS, matchCall, OPEN_TAP_WINDOW_MS } from './attribution-matcher.js';
import type { AttributionEvidence, LeaseRecord } from './attribution-types.js';

const at = new Date('2026-01-15T12:00:00Z');
const ago = (ms: number) => new Date(at.getTime() - ms);
const MIN = 60_000;

const evidence = (o: Partial<AttributionEvidence> = {}): AttributionEvidence => ({
  at,
  poolKind: 'session',
  numberChannelId: 'ch-pool',
  live: null,
  leases: [],
  telClicks: [],
  callerHistory: null,
  sessionChannels: new Map([
    ['s1', 'ch-1'],
    ['s2', 'ch-2'],
  ]),
  ...o,
});
const lease = (sessionId: string, from: number, to: number | null, reclaimed = false): LeaseRecord => ({
  sessionId,
  visitorId: `v-${sessionId}`,
  leasedAt: ago(from),
  releasedAt: to === null ? null : ago(to),
  reclaimed,
});

describe('call matching', () => {
  it('1. a live lease wins with 1.0, 0.95 when reclaimed', () => {
    const live = { leaseId: 'l', sessionId: 's1', visitorId: 'v1', poolId: 'p', leasedAt: ago(5 * MIN), lastSeenAt: ago(MIN), reclaimed: false };
    const m = matchCall(evidence({ live, telClicks: [{ sessionId: 's2', visitorId: 'v2', clickedAt: ago(10_000) }] }));
    expect(m).to.include({ method: 'lease', sessionId: 's1', score: 1, channelId: 'ch-1' });
    expect(m.candidates.map((c) => c.method)).to.deep.equal(['lease', 'tel_click']);
    expect(matchCall(evidence({ live: { ...live, reclaimed: true } })).score).to.equal(0.95);
  });

  it('1. a lease in history that covers the call time counts too', () => {
    const m = matchCall(evidence({ leases: [lease('s1', 10 * MIN, null)] }));
    expect(m).to.include({ method: 'lease', sessionId: 's1', score: 1 });
  });

  it('2. a tel: click in the last two minutes, not older', () => {
    expect(matchCall(evidence({ telClicks: [{ sessionId: 's2', visitorId: 'v2', clickedAt: ago(90_000) }] }))).to.include({
      method: 'tel_click',
      sessionId: 's2',
      score: 0.99,
    });
    expect(matchCall(evidence({ telClicks: [{ sessionId: 's2', visitorId: 'v2', clickedAt: ago(3 * MIN) }] })).method).to.equal('channel');
  });

  it('3. caller history: 0.8, or 0.9 when the visitor also held the number', () => {
    expect(matchCall(evidence({ callerHistory: { visitorId: 'v2', sessionId: 's2', heldNumber: false } }))).to.include({
      method: 'caller_history',
      score: 0.8,
    });
    expect(matchCall(evidence({ callerHistory: { visitorId: 'v2', sessionId: 's2', heldNumber: true } })).score).to.equal(0.9);
  });

  it('4. the last holder, decaying with the gap, never after someone else held the number', () => {
    const m = matchCall(evidence({ leases: [lease('s1', 20 * MIN, 5 * MIN)] }));
    expect(m.method).to.equal('last_holder');
    expect(m.score).to.be.closeTo(Math.exp(-(5 * MIN) / LAST_HOLDER_TAU_MS), 0.001);
    const later = matchCall(evidence({ leases: [lease('s1', 20 * MIN, 5 * MIN), lease('s2', 4 * MIN, 2 * MIN)] }));
    expect(later.sessionId).to.equal('s2');
    expect(later.candidates.filter((c) => c.sessionId === 's1')).to.have.length(0);
  });

  it('5. channel only when nothing clears 0.5, keeping the weak candidate as evidence', () => {
    const m = matchCall(evidence({ leases: [lease('s1', 300 * MIN, 120 * MIN)] }));
    expect(m).to.include({ method: 'channel', sessionId: null, channelId: 'ch-pool', score: 0 });
    expect(m.candidates).to.have.length(1);
    expect(m.candidates[0]!.score).to.be.below(0.5);
  });

  it('static numbers attribute to their channel only, whatever the leases say', () => {
    const m = matchCall(evidence({ poolKind: 'static', leases: [lease('s1', 10 * MIN, null)] }));
    expect(m).to.include({ method: 'channel', channelId: 'ch-pool' });
    expect(m.candidates).to.have.length(0);
  });

  it('a lease that began after the caller had the number loses to a tel: click or to caller history', () => {
    const live = { leaseId: 'l', sessionId: 's2', visitorId: 'v-s2', poolId: 'p', leasedAt: ago(MIN), lastSeenAt: ago(MIN), reclaimed: false };
    const leases = [lease('s1', 20 * MIN, 2 * MIN), lease('s2', MIN, null)];
    const clicked = matchCall(evidence({ live, leases, telClicks: [{ sessionId: 's1', visitorId: 'v-s1', clickedAt: ago(100_000) }] }));
    expect(clicked).to.include({ method: 'tel_click', sessionId: 's1' });
    expect(clicked.candidates.map((c) => c.sessionId)).to.include('s2');
    const history = { visitorId: 'v-s1', sessionId: 's1', heldNumber: true, heldUntil: ago(2 * MIN) };
    expect(matchCall(evidence({ live, leases, callerHistory: history }))).to.include({ method: 'caller_history', sessionId: 's1', score: 0.9 });
    // The caller's visitor had the number only after the current lease began: the lease stands.
    const later = { ...history, heldUntil: ago(30_000) };
    expect(matchCall(evidence({ live, leases, callerHistory: later }))).to.include({ method: 'lease', sessionId: 's2' });
    // Without the time it held the number (older evidence), nothing changes.
    expect(matchCall(evidence({ live, leases, callerHistory: { visitorId: 'v-s1', sessionId: 's1', heldNumber: true } })).sessionId).to.equal('s2');
  });

  it('an open tap (no call from the tapper since) outweighs a holder that got the number after it, unless that holder is brand new or tapped too', () => {
    const tap = { sessionId: 's1', visitorId: 'v-s1', clickedAt: ago(12 * MIN) };
    // s1 tapped, left with it; s2 held the number after and left: the call goes to the tapper, not the last holder.
    const ended = [lease('s1', 20 * MIN, 12 * MIN), lease('s2', 10 * MIN, 4 * MIN)];
    const byTap = matchCall(evidence({ leases: ended, openTaps: [tap] }));
    expect(byTap).to.include({ method: 'tel_click', sessionId: 's1', score: 0.9 });
    expect(byTap.candidates.map((c) => [c.sessionId, c.method])).to.deep.include.members([
      ['s1', 'tel_click'],
      ['s2', 'last_holder'],
    ]);
    expect(matchCall(evidence({ leases: ended })).sessionId, 'without the tap: the last holder').to.equal('s2');
    // A live holder for 5 minutes yields too; one that got the number 30 s ago does not (it may be dialling).
    const live = (since: number) => ({
      leaseId: 'l',
      sessionId: 's2',
      visitorId: 'v-s2',
      poolId: 'p',
      leasedAt: ago(since),
      lastSeenAt: ago(0),
      reclaimed: false,
    });
    const leases = [lease('s1', 20 * MIN, 12 * MIN), lease('s2', 5 * MIN, null)];
    expect(matchCall(evidence({ live: live(5 * MIN), leases, openTaps: [tap] })).sessionId).to.equal('s1');
    expect(
      matchCall(evidence({ live: live(30_000), leases: [lease('s1', 20 * MIN, 12 * MIN), lease('s2', 30_000, null)], openTaps: [tap] })).sessionId,
    ).to.equal('s2');
    // The holder's own tap says it dialled; a tap older than the window is no evidence.
    const own = { sessionId: 's2', visitorId: 'v-s2', clickedAt: ago(3 * MIN) };
    expect(matchCall(evidence({ live: live(5 * MIN), leases, openTaps: [tap, own] })).sessionId).to.equal('s2');
    const old = { ...tap, clickedAt: ago(OPEN_TAP_WINDOW_MS + MIN) };
    expect(matchCall(evidence({ live: live(5 * MIN), leases, openTaps: [old] })).sessionId).to.equal('s2');
  });

  it("caller history of a visitor who never held the number yields to the number's last holder, not to nobody", () => {
    const leases = [lease('s1', 20 * MIN, 5 * MIN)];
    const stranger = { visitorId: 'v2', sessionId: 's2', heldNumber: false, heldUntil: null };
    const m = matchCall(evidence({ leases, callerHistory: stranger }));
    expect(m).to.include({ method: 'last_holder', sessionId: 's1' });
    expect(m.candidates.map((c) => [c.sessionId, c.method])).to.deep.include.members([
      ['s1', 'last_holder'],
      ['s2', 'caller_history'],
    ]);
    // A known caller who held the number keeps it; with no holder left to credit (too long ago), caller history decides.
    expect(matchCall(evidence({ leases, callerHistory: { ...stranger, heldNumber: true, heldUntil: ago(30 * MIN) } }))).to.include({
      method: 'caller_history',
      sessionId: 's2',
    });
    expect(matchCall(evidence({ leases: [lease('s1', 300 * MIN, 200 * MIN)], callerHistory: stranger }))).to.include({
      method: 'caller_history',
      sessionId: 's2',
    });
  });
});
