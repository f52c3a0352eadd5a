import type { Db } from '../../adapters/db/knex.js';
import type { Principal } from '../../http/principal.js';
import type { LeaseHistoryReadModel, LeaseRecord } from './lease-history-read-model.js';
import type { CurrentHolder } from './number-lease-store-type.js';
import type { NumberLeaseService } from './number-lease-service.js';
import type { PoolStore } from './pool-store-type.js';

/** Who held a tracking number when: the live state (written first) and the history (written behind). */
export class NumberHolderService {
  constructor(private readonly deps: { db: Db; leases: NumberLeaseService; history: LeaseHistoryReadModel; pools: PoolStore }) {}

  async holderAt(actor: Principal, e164: string, at: Date): Promise<{ live: CurrentHolder | null; lease: LeaseRecord | null }> {
    const [live, lease] = await Promise.all([
      this.deps.leases.currentHolder(e164, at),
      this.deps.history.holderAt(this.deps.db, actor.accountId, e164, at),
    ]);
    // The live state is not partitioned by account: only show a holder from one of the caller's pools.
    const mine = live ? (await this.deps.pools.get(this.deps.db, actor.accountId, live.poolId)) !== null : false;
    return { live: mine ? live : null, lease };
  }
}
