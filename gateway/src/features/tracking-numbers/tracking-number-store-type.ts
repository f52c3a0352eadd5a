import type { DbOrTrx } from '../../adapters/db/knex.js';

export const NUMBER_STATUSES = ['active', 'paused', 'quarantined', 'released'] as const;
/**
 * active: leased and routed; paused: still routed, never newly leased; quarantined: cooling down before reuse in
 * another pool or return to the carrier; released: gone (its history rows stay).
 */
export type NumberStatus = (typeof NUMBER_STATUSES)[number];
export type NumberProvider = 'twilio' | 'asterisk';

export interface TrackingNumber {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string | null;
  readonly poolId: string | null;
  readonly e164: string;
  readonly provider: NumberProvider;
  readonly providerRef: string | null;
  readonly forwardTo: string | null;
  readonly status: NumberStatus;
  readonly statusChangedAt: Date;
  readonly quarantinedUntil: Date | null;
  readonly monthlyCost: number | null;
  readonly currency: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type NewTrackingNumber = Omit<TrackingNumber, 'statusChangedAt' | 'createdAt' | 'updatedAt'>;

export interface TrackingNumberPatch {
  readonly siteId?: string | null;
  readonly poolId?: string | null;
  readonly forwardTo?: string | null;
  readonly providerRef?: string | null;
  readonly status?: NumberStatus;
  readonly quarantinedUntil?: Date | null;
  readonly monthlyCost?: number | null;
  readonly currency?: string | null;
}

export interface TrackingNumberStore {
  create(db: DbOrTrx, n: NewTrackingNumber): Promise<TrackingNumber>;
  get(db: DbOrTrx, accountId: string, id: string): Promise<TrackingNumber | null>;
  list(db: DbOrTrx, accountId: string, filter: { poolId?: string; siteId?: string; status?: NumberStatus; e164?: string }): Promise<TrackingNumber[]>;
  /** Across accounts: the numbers the lease engine serves for a pool (not released). */
  listByPool(db: DbOrTrx, poolId: string): Promise<TrackingNumber[]>;
  /** `listByPool` with only what a site's widget configuration needs, in the same order. */
  listFormsByPool(db: DbOrTrx, poolId: string): Promise<Pick<TrackingNumber, 'e164' | 'status'>[]>;
  update(db: DbOrTrx, accountId: string, id: string, patch: TrackingNumberPatch): Promise<TrackingNumber | null>;
  /** Across accounts: quarantined numbers whose quarantine is over become active again; returns them. */
  endQuarantines(db: DbOrTrx, now: Date): Promise<TrackingNumber[]>;
}
