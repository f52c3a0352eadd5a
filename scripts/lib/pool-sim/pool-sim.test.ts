import { expect } from 'chai';
import { accuracyChart } from './chart.js';
import { memoryEngine } from './engine.js';
import { oursPolicy, allPolicies } from './policies.js';
import { gamma, Rng, sampler } from './rng.js';
import { buildSchedule, poolNumbers, runSize, SIM_EPOCH } from './run.js';
import { smallestSize } from './search.js';
import { parseTrace, TraceError } from './trace.js';
import { DEFAULT_TRAFFIC, generateTraffic } from './traffic.js';

describe('pool simulator', () => {
  it('draws Weibull visit lengths with the asked mean and a heavy share of short visits', () => {
    expect(gamma(5)).to.be.closeTo(24, 1e-9);
    const draw = sampler({ kind: 'weibull', shape: 0.6, mean: 180 }, new Rng(3));
    const xs = Array.from({ length: 200_000 }, draw);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).to.be.closeTo(180, 4);
    // Shape 0.6: the median is far under the mean (scale·ln2^(1/k) ≈ 65 s).
    const median = xs.sort((a, b) => a - b)[xs.length / 2]!;
    expect(median).to.be.closeTo(65, 3);
  });

  it('generates the default scenario: rate, call timing and repeat callers as configured', () => {
    const visits = generateTraffic({ ...DEFAULT_TRAFFIC, hours: 20 });
    const counted = visits.filter((v) => v.counted);
    expect(counted.length / 20).to.be.closeTo(300, 15);
    const calls = counted.filter((v) => v.call);
    const inVisit = calls.filter((v) => v.call!.at <= v.end).length / calls.length;
    expect(inVisit).to.be.closeTo(0.7, 0.02);
    const after = calls.filter((v) => v.call!.at > v.end).map((v) => (v.call!.at - v.end) / 1000);
    expect(after.reduce((s, x) => s + x, 0) / after.length).to.be.closeTo(300, 15);
    // Over the whole run: a repeat's first call may fall in the warm-up.
    const all = visits.filter((v) => v.call);
    const callers = new Set(all.map((v) => v.call!.caller));
    expect((all.length - callers.size) / all.length).to.be.closeTo(0.2, 0.02);
    // No call before the number was shown, and none from a visit that never asked for one.
    expect(calls.every((v) => v.call!.at >= v.signalAt && v.signalAt < v.end)).to.equal(true);
  });

  it("runs on the gateway's in-memory engine: the number idle longest, a lapsed lease counting from its last heartbeat", async () => {
    const engine = memoryEngine('lru', new Rng(1));
    const store = engine.store;
    const pool = { id: 'p', accountId: 'a', policy: { activeWindowMs: 120_000, holdMs: 180_000, sticky: false, reclaim: false } };
    await store.syncPool(pool, poolNumbers(2), SIM_EPOCH);
    const a = await store.lease(pool, { sessionId: 'a', visitorId: null, now: SIM_EPOCH });
    const b = await store.lease(pool, { sessionId: 'b', visitorId: null, now: SIM_EPOCH + 1_000 });
    // a goes quiet at once (lapses at +300 s); b leaves at +200 s.
    await store.release(pool, 'b', SIM_EPOCH + 200_000, 'left');
    await store.sweep(pool, SIM_EPOCH + 400_000);
    const next = await store.lease(pool, { sessionId: 'c', visitorId: null, now: SIM_EPOCH + 400_000 });
    expect(a.kind === 'leased' && b.kind === 'leased' && next.kind === 'leased').to.equal(true);
    if (a.kind === 'leased' && next.kind === 'leased') expect(next.e164, 'a was last seen at 0, b at 200 s').to.equal(a.e164);
    const rec = (await engine.allHistory()).find((r) => r.sessionId === 'a')!;
    expect(rec).to.include({ releasedAt: SIM_EPOCH + 300_000, reason: 'expired' });
    expect((await store.currentHolder(a.kind === 'leased' ? a.e164 : '', SIM_EPOCH + 400_000))?.sessionId).to.equal('c');
  });

  it('swaps only the free-number order for the baselines: most recently released first, or uniformly random', async () => {
    const pool = { id: 'p', accountId: 'a', policy: { activeWindowMs: 0, holdMs: 0, sticky: false, reclaim: false } };
    const firstAfterReleases = async (selection: 'lru' | 'mru' | 'random', seed: number) => {
      const { store } = memoryEngine(selection, new Rng(seed));
      await store.syncPool(pool, poolNumbers(4), SIM_EPOCH);
      const got: string[] = [];
      for (let k = 0; k < 4; k++) {
        const o = await store.lease(pool, { sessionId: `s${k}`, visitorId: null, now: SIM_EPOCH + k });
        if (o.kind === 'leased') got.push(o.e164);
      }
      // Released in the order s0..s3: LRU hands out s0's number next, MRU s3's.
      for (let k = 0; k < 4; k++) await store.release(pool, `s${k}`, SIM_EPOCH + 100 + k, 'left');
      const o = await store.lease(pool, { sessionId: 'n', visitorId: null, now: SIM_EPOCH + 200 });
      return { got, next: o.kind === 'leased' ? o.e164 : null };
    };
    const lru = await firstAfterReleases('lru', 1);
    expect(lru.next).to.equal(lru.got[0]);
    const mru = await firstAfterReleases('mru', 1);
    expect(mru.next).to.equal(mru.got[3]);
    const seen = new Set<string | null>();
    for (let seed = 1; seed <= 40; seed++) seen.add((await firstAfterReleases('random', seed)).next);
    expect(seen.size).to.equal(4);
  });

  it('finds the smallest size reaching a target by bisection, or none within the bound', async () => {
    const calls: number[] = [];
    const evaluate = async (size: number) => {
      calls.push(size);
      const correct = Math.min(1, size / 100);
      return {
        size,
        calls: 1,
        correct,
        wrong: 0,
        ambiguous: 0,
        unmatched: 1 - correct,
        visits: 1,
        blocked: 0,
        reuseGapMedianS: null,
        reuseGapP5S: null,
      };
    };
    expect(await smallestSize(evaluate, 0.99, 300)).to.equal(99);
    expect(calls.length).to.be.below(12);
    expect(await smallestSize(evaluate, 0.99, 50)).to.equal(null);
  });

  it('runs the four policies on the same traffic; LRU beats random beats MRU at equal size', async () => {
    const visits = generateTraffic({ ...DEFAULT_TRAFFIC, hours: 6 });
    const at = new Map<string, number>();
    for (const p of allPolicies()) {
      const r = await runSize(visits, buildSchedule(visits, p), p, 80);
      expect(r.correct + r.wrong + r.ambiguous + r.unmatched).to.be.closeTo(1, 1e-9);
      at.set(p.name, r.correct);
    }
    expect(at.get('ours')!).to.be.above(at.get('random')!);
    expect(at.get('random')!).to.be.above(at.get('mru')!);
    // More numbers, fewer wrong matches.
    const ours = oursPolicy();
    const s = buildSchedule(visits, ours);
    expect((await runSize(visits, s, ours, 120)).correct).to.be.above((await runSize(visits, s, ours, 40)).correct);
  });

  it('reads a trace of sessions and calls, and rejects a broken one with the row at fault', () => {
    const csv = [
      'session_id,visitor_id,started_at,ended_at,device,call_at,caller,tel_click_at',
      's2,v1,2026-03-01T10:05:00Z,2026-03-01T10:06:00Z,desktop,,,',
      's1,v1,2026-03-01T10:00:00Z,2026-03-01T10:03:00Z,mobile,2026-03-01T10:02:00Z,+15551230000,2026-03-01T10:01:58Z',
    ].join('\n');
    const visits = parseTrace(csv);
    expect(visits.map((v) => v.sessionId)).to.deep.equal(['s1', 's2']);
    expect(visits[0]).to.include({ start: 0, end: 180_000, mobile: true, signalAt: 0 });
    expect(visits[0]!.call).to.deep.equal({ at: 120_000, caller: '+15551230000', telClickAt: 118_000 });
    expect(visits[1]!.call).to.equal(null);
    expect(() => parseTrace('session_id,started_at,ended_at\ns1,yesterday,2026-03-01T10:00:00Z')).to.throw(TraceError, /row 2: started_at/);
    expect(() => parseTrace('session_id,ended_at\ns1,1')).to.throw(TraceError, /missing column started_at/);
    expect(() => parseTrace('session_id,started_at\ns1,1')).to.throw(TraceError, /needs ended_at or duration_s/);
    expect(parseTrace('session_id,started_at,duration_s\ns1,1700000000,30')[0]).to.include({ start: 0, end: 30_000 });
  });

  it('draws a chart with a line per policy and the 95 % and 99 % levels', () => {
    const svg = accuracyChart(
      [
        {
          name: 'ours',
          points: [
            { size: 10, correct: 0.9 },
            { size: 20, correct: 0.995 },
          ],
          n99: 20,
        },
        { name: 'm<ru', points: [{ size: 10, correct: 0.5 }], n99: null },
      ],
      'test',
      { x: 'x', y: 'y' },
    );
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg.match(/<path /g)).to.have.length(2);
    expect(svg).to.include('99 %').and.include('m&lt;ru');
  });
});
