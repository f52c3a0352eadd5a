import { erlangBServers } from './erlang-b.js';

/**
 * The one recommended size of a session pool: the health API and `/metrics` both read it from here, through
 * `PoolHealthService.recommendation`, on the same 14-day window (they disagreed when each had its own).
 *
 * size = max(Erlang-B⁻¹(A, blockingTarget), ⌈λ · (E[lease] + τ)⌉), A = λ · E[lease]   (dni.md §4, §5 step 4)
 *
 * λ is the busiest 15-minute arrival rate (leases + blocked visits), E[lease] the mean lease length, and τ the
 * leave→call delay that `accuracyTarget` of the calls do not exceed: in-visit calls count as 0, calls credited to
 * the last holder as the time from that lease's end to the call. With least-recently-released leasing a number is
 * idle about (N − busy)/λ before its next lease, so this N keeps the share of calls that find their number taken
 * under 1 − accuracyTarget. Until 30 such calls are seen, τ is the pool's `reuseGapTargetSeconds`.
 */

export const SIZING_WINDOW_DAYS = 14;
export const MIN_DELAY_SAMPLES = 30;

export interface SizingInputs {
  /** Arrivals (leases + blocked visits) per hour in the busiest 15 minutes of the window. */
  readonly peakArrivalsPerHour: number;
  /** Mean lease length, s; null when no lease ended in the window. */
  readonly meanLeaseSeconds: number | null;
  /** Leave→call delays of the pool's calls, s (0 for calls during the visit); sorted or not. */
  readonly leaveToCallSeconds: readonly number[];
}

export interface SizingSettings {
  readonly blockingTarget: number;
  readonly accuracyTarget: number;
  readonly reuseGapTargetSeconds: number;
  readonly activeWindowSeconds: number;
  readonly holdSeconds: number;
}

export interface SizeRecommendation {
  readonly windowDays: number;
  readonly peakArrivalsPerHour: number;
  readonly meanLeaseSeconds: number;
  readonly offeredLoadErlangs: number;
  readonly erlangBSize: number;
  /** τ used: the accuracy quantile of the observed delays, or the configured reuse-gap target. */
  readonly leaveToCallSeconds: number;
  readonly leaveToCallSource: 'observed' | 'configured';
  readonly delaySamples: number;
  readonly accuracySize: number;
  readonly recommendedSize: number;
  readonly blockingTarget: number;
  readonly accuracyTarget: number;
}

export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return 0;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function recommendPoolSize(inputs: SizingInputs, settings: SizingSettings): SizeRecommendation {
  const lambda = inputs.peakArrivalsPerHour / 3600;
  const lease = inputs.meanLeaseSeconds ?? settings.activeWindowSeconds + settings.holdSeconds;
  const a = lambda * lease;
  const erlang = erlangBServers(a, settings.blockingTarget);
  const observed = inputs.leaveToCallSeconds.length >= MIN_DELAY_SAMPLES;
  const tau = observed ? quantile(inputs.leaveToCallSeconds, settings.accuracyTarget) : settings.reuseGapTargetSeconds;
  const accuracy = Math.ceil(lambda * (lease + tau));
  return {
    windowDays: SIZING_WINDOW_DAYS,
    peakArrivalsPerHour: inputs.peakArrivalsPerHour,
    meanLeaseSeconds: lease,
    offeredLoadErlangs: a,
    erlangBSize: erlang,
    leaveToCallSeconds: tau,
    leaveToCallSource: observed ? 'observed' : 'configured',
    delaySamples: inputs.leaveToCallSeconds.length,
    accuracySize: accuracy,
    recommendedSize: Math.max(erlang, accuracy, 1),
    blockingTarget: settings.blockingTarget,
    accuracyTarget: settings.accuracyTarget,
  };
}
