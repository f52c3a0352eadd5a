import { OPEN_TAP_WINDOW_MS } from '../../../gateway/src/features/attribution/attribution-matcher.js';
import type { LeaseOutcome, LeasePolicy, LeasePool, NumberLeaseStore } from '../../../gateway/src/features/number-pools/number-lease-store-type.js';
import { attribute, type Evidence } from './attribute.js';
import { type LeaseHistoryRecord, memoryEngine, type SimEngine } from './engine.js';
import type { SimPolicy } from './policies.js';
import { Rng } from './rng.js';
import type { SimVisit } from './traffic.js';

/** Outcome of one policy at one pool size. Shares are of counted calls (correct + wrong + ambiguous + unmatched = 1). */
export interface SizeResult {
  readonly size: number;
  readonly calls: number;
  readonly correct: number;
  readonly wrong: number;
  readonly ambiguous: number;
  readonly unmatched: number;
  readonly visits: number;
  /** Share of counted visits that asked for a number and were shown the fallback. */
  readonly blocked: number;
  /** Release → next lease of the same number, seconds: median and 5th percentile (null: no number was reused). */
  readonly reuseGapMedianS: number | null;
  readonly reuseGapP5S: number | null;
}

/** Lease operations are made at this epoch offset: the stores keep real timestamps. */
export const SIM_EPOCH = Date.parse('2026-01-05T00:00:00Z');
const SWEEP_EVERY_MS = 15_000;

enum Kind {
  Sweep = 0,
  Start = 1,
  Heartbeat = 2,
  End = 3,
  Click = 4,
  Call = 5,
}

/** The visits turned into time-ordered events for one policy's client behaviour (built once, replayed per size). */
export interface Schedule {
  readonly t: Float64Array;
  readonly kind: Uint8Array;
  readonly visit: Int32Array;
}

export function buildSchedule(visits: readonly SimVisit[], policy: SimPolicy): Schedule {
  // Each event packed in one float (time · 8·10⁶ + kind · 10⁶ + visit) so a native numeric sort orders them by time,
  // then kind, then visit: several times faster than sorting tuples. Exact while times stay under ~10⁹ ms (11 days
  // would overflow 2⁵³ at 10⁶ visits), so long traces fall back to tuples.
  const keys: number[] = [];
  const maxVisits = 1_000_000;
  let last = 0;
  const push = (t: number, k: Kind, i: number) => keys.push(t * 8 * maxVisits + k * maxVisits + i);
  const tuples: [number, number, number][] = [];
  const add = (t: number, k: Kind, i: number) => {
    tuples.push([t, k, i]);
    push(t, k, i);
  };
  visits.forEach((v, i) => {
    const from = policy.leaseAt === 'signal' ? v.signalAt : v.start;
    if (!(v.bot && !policy.botsLeased) && from < v.end) {
      add(from, Kind.Start, i);
      for (let h = from + policy.heartbeatMs; h < v.end; h += policy.heartbeatMs) add(h, Kind.Heartbeat, i);
      add(v.end, Kind.End, i);
    }
    if (v.call) {
      if (v.call.telClickAt !== null) add(v.call.telClickAt, Kind.Click, i);
      add(v.call.at, Kind.Call, i);
      last = Math.max(last, v.call.at);
    }
    last = Math.max(last, v.end);
  });
  // Sweeps get visit index 0 in the packed key (kind orders them first at equal times); -1 in the schedule.
  for (let s = SWEEP_EVERY_MS; s <= last + SWEEP_EVERY_MS; s += SWEEP_EVERY_MS) add(s, Kind.Sweep, 0);
  const n = tuples.length;
  const out = { t: new Float64Array(n), kind: new Uint8Array(n), visit: new Int32Array(n) };
  if (visits.length < maxVisits && last * 8 * maxVisits < Number.MAX_SAFE_INTEGER) {
    const packed = Float64Array.from(keys).sort();
    for (let j = 0; j < n; j++) {
      const key = packed[j]!;
      const t = Math.floor(key / (8 * maxVisits));
      const rest = key - t * 8 * maxVisits;
      const k = Math.floor(rest / maxVisits);
      out.t[j] = t;
      out.kind[j] = k;
      out.visit[j] = k === Kind.Sweep ? -1 : rest - k * maxVisits;
    }
    return out;
  }
  tuples.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  tuples.forEach(([t, k, i], j) => {
    out.t[j] = t;
    out.kind[j] = k;
    out.visit[j] = k === Kind.Sweep ? -1 : i;
  });
  return out;
}

export function poolNumbers(size: number, prefix = '+1555') {
  return Array.from({ length: size }, (_, i) => ({
    trackingNumberId: `sim-${String(i).padStart(5, '0')}`,
    e164: `${prefix}${String(i).padStart(7, '0')}`,
    status: 'active' as const,
  }));
}

/** A store under test driven in lockstep with the in-memory engine: every outcome must be the same. */
export interface LockstepTarget {
  readonly store: NumberLeaseStore;
  readonly pool: LeasePool;
  /** Differences found, with the first few described. */
  mismatches: number;
  ops: number;
  readonly examples: string[];
}

const describe = (o: LeaseOutcome) => (o.kind === 'blocked' ? 'blocked' : `${o.e164}/${o.how}/${o.expiresAt}`);

function quantile(sorted: readonly number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Release → next lease of the same number, ms, from the lease history. */
function reuseGaps(history: readonly LeaseHistoryRecord[]): number[] {
  const byNumber = new Map<string, LeaseHistoryRecord[]>();
  for (const r of history) {
    const list = byNumber.get(r.e164);
    if (list) list.push(r);
    else byNumber.set(r.e164, [r]);
  }
  const gaps: number[] = [];
  for (const list of byNumber.values()) {
    list.sort((a, b) => a.leasedAt - b.leasedAt);
    for (let k = 1; k < list.length; k++) {
      const prev = list[k - 1]!.releasedAt;
      if (prev !== null) gaps.push(list[k]!.leasedAt - prev);
    }
  }
  return gaps.sort((a, b) => a - b);
}

/**
 * Replays the schedule against a pool of `size` numbers on a virtual clock: every operation gets its event's time,
 * nothing sleeps. The engine is the gateway's in-memory one unless `engine` brings another (`--store`); with
 * `lockstep`, each operation also goes to that store and the outcomes are compared.
 */
export async function runSize(
  visits: readonly SimVisit[],
  schedule: Schedule,
  policy: SimPolicy,
  size: number,
  opts: {
    seed?: number;
    /** Another engine and the pool to lease in (`--store sql|redis`); default: the in-memory engine. */
    engine?: (policy: LeasePolicy) => { engine: SimEngine; pool: LeasePool };
    lockstep?: LockstepTarget;
    until?: number;
    /** Stops the replay at the next event (the result is then partial). */
    signal?: AbortSignal;
    onHistory?: (h: readonly LeaseHistoryRecord[]) => void;
  } = {},
): Promise<SizeResult> {
  const rng = new Rng(opts.seed ?? 7);
  const given = opts.engine?.(policy.lease);
  const pool: LeasePool = given?.pool ?? { id: 'sim', accountId: 'sim', policy: policy.lease };
  const engine = given?.engine ?? memoryEngine(policy.selection, rng);
  const store = engine.store;
  const numbers = poolNumbers(size);
  await store.syncPool(pool, numbers, SIM_EPOCH);
  const ls = opts.lockstep;
  if (ls) await ls.store.syncPool(ls.pool, numbers, SIM_EPOCH);
  const check = (what: string, a: string, b: string) => {
    if (!ls) return;
    ls.ops += 1;
    if (a !== b) {
      ls.mismatches += 1;
      if (ls.examples.length < 5) ls.examples.push(`${what}: memory ${a}, store ${b}`);
    }
  };

  const shown: (string | null)[] = new Array(visits.length).fill(null);
  const askedFor = new Uint8Array(visits.length);
  const blockedVisit = new Uint8Array(visits.length);
  const ev: Evidence = { engine, clicks: new Map(), callerMatch: new Map(), latestSession: new Map(), lastCallOf: new Map() };
  let calls = 0;
  let correct = 0;
  let wrong = 0;
  let ambiguous = 0;
  let unmatched = 0;

  const lease = async (i: number, now: number) => {
    const v = visits[i]!;
    const req = { sessionId: v.sessionId, visitorId: v.visitorId, now };
    const out = await store.lease(pool, req);
    if (ls) check(`lease ${v.sessionId} at ${now - SIM_EPOCH}`, describe(out), describe(await ls.store.lease(ls.pool, req)));
    return out;
  };

  const { t, kind, visit } = schedule;
  const until = opts.until ?? Number.POSITIVE_INFINITY;
  for (let e = 0; e < t.length; e++) {
    if (t[e]! > until || opts.signal?.aborted) break;
    const now = SIM_EPOCH + t[e]!;
    const i = visit[e]!;
    const v = visits[i]!;
    switch (kind[e] as Kind) {
      case Kind.Sweep: {
        const n = await store.sweep(pool, now);
        if (ls) check(`sweep at ${t[e]}`, String(n), String(await ls.store.sweep(ls.pool, now)));
        break;
      }
      case Kind.Start: {
        ev.latestSession.set(v.visitorId, v.sessionId);
        askedFor[i] = 1;
        const out = await lease(i, now);
        if (out.kind === 'leased') shown[i] = out.e164;
        else blockedVisit[i] = 1;
        break;
      }
      case Kind.Heartbeat:
      case Kind.End: {
        if (blockedVisit[i]) break;
        const isEnd = kind[e] === Kind.End;
        if (isEnd && policy.onEnd === 'leave-beacon') {
          if (!v.leaveBeacon) break;
          const r = await store.release(pool, v.sessionId, now, 'left');
          if (ls) check(`leave ${v.sessionId}`, String(r), String(await ls.store.release(ls.pool, v.sessionId, now, 'left')));
          break;
        }
        const r = await store.heartbeat(pool, v.sessionId, now);
        if (ls) check(`heartbeat ${v.sessionId}`, String(r), String(await ls.store.heartbeat(ls.pool, v.sessionId, now)));
        // The widget is told its lease is gone (410) and asks again; the page shows whatever it gets.
        if (r === null && !isEnd) {
          const out = await lease(i, now);
          if (out.kind === 'leased') shown[i] = out.e164;
        }
        break;
      }
      case Kind.Click: {
        const e164 = shown[i];
        if (e164) {
          let list = ev.clicks.get(e164);
          if (!list) {
            list = [];
            ev.clicks.set(e164, list);
          }
          // Only clicks within the matcher's longest window can count; older ones are dropped as new ones come.
          while (list.length && list[0]!.clickedAt.getTime() < now - OPEN_TAP_WINDOW_MS) list.shift();
          list.push({ sessionId: v.sessionId, visitorId: v.visitorId, clickedAt: new Date(now) });
        }
        break;
      }
      case Kind.Call: {
        const matched = await attribute(policy, ev, v, shown[i] ?? null, now);
        if (matched.visitorId && v.call) ev.callerMatch.set(v.call.caller, matched.visitorId);
        if (matched.sessionId) ev.lastCallOf.set(matched.sessionId, now);
        if (!v.counted) break;
        calls += 1;
        if (matched.sessionId === v.sessionId) correct += 1;
        else if (matched.sessionId === null) unmatched += 1;
        else if (matched.ambiguous) ambiguous += 1;
        else wrong += 1;
        break;
      }
    }
  }

  const history = await engine.allHistory();
  opts.onHistory?.(history);
  await engine.close();
  let counted = 0;
  let blocked = 0;
  for (let i = 0; i < visits.length; i++) {
    if (!visits[i]!.counted || !askedFor[i]) continue;
    counted += 1;
    blocked += blockedVisit[i]!;
  }
  const gaps = reuseGaps(history);
  const q = (x: number) => {
    const g = quantile(gaps, x);
    return g === null ? null : g / 1000;
  };
  const share = (n: number) => (calls ? n / calls : 0);
  return {
    size,
    calls,
    correct: share(correct),
    wrong: share(wrong),
    ambiguous: share(ambiguous),
    unmatched: share(unmatched),
    visits: counted,
    blocked: counted ? blocked / counted : 0,
    reuseGapMedianS: q(0.5),
    reuseGapP5S: q(0.05),
  };
}
