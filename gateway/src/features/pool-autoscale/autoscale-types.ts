/**
 * Autoscaling of a session pool (opt-in per pool): grows the pool with bought Twilio numbers while the recommended
 * size stays above the pool's active numbers, and shrinks it in three steps (pause, quarantine, release the
 * least-called numbers) while it stays below. docs/number-pools.md, "Autoscaling".
 */

export interface AutoscaleSettings {
  readonly enabled: boolean;
  /** Numbers in the pool (active, paused, quarantined) never exceed this. */
  readonly maxSize: number;
  /** The pool's numbers' monthly rent (each number's monthlyCost, else numberMonthlyCost) never exceeds this. */
  readonly monthlyCostCap: number;
  /** Rent of a bought number, recorded on it and counted against the cap. */
  readonly numberMonthlyCost: number;
  readonly currency: string;
  /** Where new numbers are searched (ISO country, optional area code). */
  readonly country: string;
  readonly areaCode: number | null;
  /** The recommendation stays above the active numbers this long before the pool grows. */
  readonly growAfterMinutes: number;
  /** The recommendation stays below this long before surplus numbers are paused. */
  readonly shrinkAfterHours: number;
  /** A number the autoscaler paused is quarantined after this long. */
  readonly quarantineAfterDays: number;
  /** A quarantined number is released after this long (a number with calls in the last 30 days waits for an admin). */
  readonly releaseAfterDays: number;
}

export const DEFAULT_AUTOSCALE_SETTINGS: AutoscaleSettings = {
  enabled: false,
  maxSize: 50,
  monthlyCostCap: 100,
  numberMonthlyCost: 1.15,
  currency: 'USD',
  country: 'US',
  areaCode: null,
  growAfterMinutes: 30,
  shrinkAfterHours: 72,
  quarantineAfterDays: 14,
  releaseAfterDays: 30,
};

export type AutoscaleActionKind = 'buy' | 'pause' | 'quarantine' | 'release' | 'unpause' | 'unquarantine';
export type AutoscaleActionStatus = 'done' | 'pending' | 'undone' | 'rejected' | 'failed';

export interface AutoscaleAction {
  readonly id: string;
  readonly poolId: string;
  readonly trackingNumberId: string | null;
  readonly e164: string | null;
  readonly action: AutoscaleActionKind;
  readonly status: AutoscaleActionStatus;
  readonly details: Record<string, unknown>;
  /** null: the autoscaler; else the user or API key that undid, confirmed or rejected it (or made the reversal). */
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly createdAt: Date;
}

export interface AutoscaleState {
  readonly poolId: string;
  readonly accountId: string;
  readonly settings: AutoscaleSettings;
  readonly aboveSince: Date | null;
  readonly belowSince: Date | null;
}

/** A number's calls within this many days keep it from being released without an admin's confirmation. */
export const RECENT_CALL_DAYS = 30;
