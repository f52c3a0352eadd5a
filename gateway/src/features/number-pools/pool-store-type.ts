import type { DbOrTrx } from '../../adapters/db/knex.js';

/** Per-pool policy, stored in `pools.settings` (seconds) and merged over `DEFAULT_POOL_SETTINGS`. */
export interface PoolSettings {
  /** A holder counts as active this long after its last heartbeat; only inactive holders can be reclaimed. */
  readonly activeWindowSeconds: number;
  /** The lease ends this long after the active window closes. */
  readonly holdSeconds: number;
  /** How often the widget should heartbeat. */
  readonly heartbeatSeconds: number;
  readonly sticky: boolean;
  readonly reclaim: boolean;
  /** Wanted time between one holder's release and the next lease, for accuracy (reference: ~17 min). */
  readonly reuseGapTargetSeconds: number;
  /** Wanted share of visitors shown the fallback number (Erlang-B sizing). */
  readonly blockingTarget: number;
  /** Wanted share of calls that find their number still theirs (sizing for accuracy, `pool-sizing.ts`). */
  readonly accuracyTarget: number;
  /** Numbers of this pool one visitor id may hold at once across its sessions (tabs); 0: no limit. */
  readonly maxNumbersPerVisitor: number;
  /** Heartbeats no longer extend a session older than this; its number becomes reclaimable. 0: no limit. */
  readonly maxSessionSeconds: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  activeWindowSeconds: 120,
  holdSeconds: 180,
  heartbeatSeconds: 60,
  sticky: true,
  reclaim: true,
  reuseGapTargetSeconds: 17 * 60,
  blockingTarget: 0.01,
  accuracyTarget: 0.99,
  // Several tabs of one person; a page left open for a working morning.
  maxNumbersPerVisitor: 2,
  maxSessionSeconds: 4 * 3600,
};

export type PoolKind = 'session' | 'static';

export interface Pool {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  /** null: serves every visit no channel-specific pool takes. */
  readonly channelId: string | null;
  readonly name: string;
  /** session: a number per live visitor; static: one number shown to everyone from the channel. */
  readonly kind: PoolKind;
  /** The site number this pool's numbers stand in for. */
  readonly canonicalNumber: string;
  /** Shown when the pool is exhausted; null = the canonical number. */
  readonly fallbackNumber: string | null;
  readonly settings: PoolSettings;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type NewPool = Omit<Pool, 'createdAt' | 'updatedAt'>;
export interface PoolPatch {
  readonly name?: string;
  readonly channelId?: string | null;
  readonly canonicalNumber?: string;
  readonly fallbackNumber?: string | null;
  readonly settings?: Partial<PoolSettings>;
}

export interface PoolStore {
  create(db: DbOrTrx, pool: NewPool): Promise<Pool>;
  get(db: DbOrTrx, accountId: string, id: string): Promise<Pool | null>;
  /** Across accounts: the lease engine and the widget path resolve pools by id or site. */
  getAny(db: DbOrTrx, id: string): Promise<Pool | null>;
  list(db: DbOrTrx, accountId: string, filter: { siteId?: string }): Promise<Pool[]>;
  listBySite(db: DbOrTrx, siteId: string): Promise<Pool[]>;
  listAll(db: DbOrTrx, filter: { kind?: PoolKind }): Promise<Pool[]>;
  update(db: DbOrTrx, accountId: string, id: string, patch: PoolPatch): Promise<Pool | null>;
  delete(db: DbOrTrx, accountId: string, id: string): Promise<boolean>;
}
