import { toLeasePool } from '../../../gateway/src/features/number-pools/number-lease-service.js';
import type { LeasePolicy } from '../../../gateway/src/features/number-pools/number-lease-store-type.js';
import { DEFAULT_POOL_SETTINGS } from '../../../gateway/src/features/number-pools/pool-store-type.js';
import type { Selection } from './engine.js';

/**
 * The policies compared in one run. `ours` is the gateway as configured by default: the pool defaults, 60 s
 * heartbeats while visible, the widget's leave beacon releasing at once, no pool number for crawlers, and the
 * gateway's matcher with tel: clicks and caller history. The baselines are the reference simulation's (dni.md §4):
 * lease = visit + a hard hold H (an exact last heartbeat when the visit ends), no sticky, no reclaim (fallback when
 * exhausted), every visit leased, the call credited to the last session given the number.
 */
export interface SimPolicy {
  readonly name: 'ours' | 'lru-hold900' | 'random' | 'mru';
  readonly selection: Selection;
  readonly lease: LeasePolicy;
  readonly heartbeatMs: number;
  /** What the visit's end does: the gateway's leave beacon (a release, when it arrives) or the model's exact hold start. */
  readonly onEnd: 'leave-beacon' | 'exact-heartbeat';
  readonly botsLeased: boolean;
  /** Lease at the widget's human signal (ours) or at the visit's start (the reference model). */
  readonly leaseAt: 'signal' | 'start';
  readonly matcher: 'gateway' | 'last-session';
  /** Offered load per visit, s (for the "not reached within 6A + 30" bound). */
  readonly holdS: number;
}

const HEARTBEAT_MS = DEFAULT_POOL_SETTINGS.heartbeatSeconds * 1000;

export function oursPolicy(): SimPolicy {
  const lease = toLeasePool({ id: 'sim', accountId: 'sim', settings: DEFAULT_POOL_SETTINGS }).policy;
  return {
    name: 'ours',
    selection: 'lru',
    lease,
    heartbeatMs: HEARTBEAT_MS,
    onEnd: 'leave-beacon',
    botsLeased: false,
    leaseAt: 'signal',
    matcher: 'gateway',
    holdS: (lease.activeWindowMs + lease.holdMs) / 1000,
  };
}

function baseline(name: SimPolicy['name'], selection: Selection, holdMs: number): SimPolicy {
  return {
    name,
    selection,
    lease: { activeWindowMs: 0, holdMs, sticky: false, reclaim: false },
    heartbeatMs: HEARTBEAT_MS,
    onEnd: 'exact-heartbeat',
    botsLeased: true,
    leaseAt: 'start',
    matcher: 'last-session',
    holdS: holdMs / 1000,
  };
}

/** "Our hold" for the random and most-recently-released baselines: our active window plus hold after the last sign of life. */
export function allPolicies(): SimPolicy[] {
  const ours = oursPolicy();
  const ourHoldMs = ours.lease.activeWindowMs + ours.lease.holdMs;
  return [ours, baseline('lru-hold900', 'lru', 900_000), baseline('random', 'random', ourHoldMs), baseline('mru', 'mru', ourHoldMs)];
}
