import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ConflictError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { ChannelStore } from '../channels/channel-store-type.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { DEFAULT_POOL_SETTINGS } from './pool-store-type.js';
import type { Pool, PoolKind, PoolPatch, PoolSettings, PoolStore } from './pool-store-type.js';

export interface CreatePoolInput {
  siteId: string;
  channelId?: string | null;
  name: string;
  kind: PoolKind;
  canonicalNumber: string;
  fallbackNumber?: string | null;
  settings?: Partial<PoolSettings>;
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

export class PoolService {
  constructor(private readonly deps: { db: Db; pools: PoolStore; sites: SiteStore; channels: ChannelStore; audit: AuditLog; events: EventBus }) {}

  list(actor: Principal, filter: { siteId?: string }): Promise<Pool[]> {
    return this.deps.pools.list(this.deps.db, actor.accountId, filter);
  }

  async get(actor: Principal, id: string): Promise<Pool> {
    const pool = await this.deps.pools.get(this.deps.db, actor.accountId, id);
    if (!pool) throw new NotFoundError(`Pool ${id} not found`);
    return pool;
  }

  async create(actor: Principal, input: CreatePoolInput): Promise<Pool> {
    await this.checkRefs(actor, input.siteId, input.channelId ?? null, input.canonicalNumber);
    await this.checkUnambiguous(actor, null, input.siteId, input.kind, input.channelId ?? null, input.canonicalNumber);
    const settings = { ...DEFAULT_POOL_SETTINGS, ...input.settings };
    checkSettings(settings);
    const pool = await this.unique(input.name, () =>
      this.deps.pools.create(this.deps.db, {
        id: newId(),
        accountId: actor.accountId,
        siteId: input.siteId,
        channelId: input.channelId ?? null,
        name: input.name,
        kind: input.kind,
        canonicalNumber: input.canonicalNumber,
        fallbackNumber: input.fallbackNumber ?? null,
        settings,
      }),
    );
    await this.changed(actor, pool, 'pool.create');
    return pool;
  }

  async update(actor: Principal, id: string, patch: PoolPatch): Promise<Pool> {
    const current = await this.get(actor, id);
    if (patch.channelId !== undefined || patch.canonicalNumber !== undefined) {
      await this.checkRefs(
        actor,
        current.siteId,
        patch.channelId === undefined ? current.channelId : patch.channelId,
        patch.canonicalNumber ?? current.canonicalNumber,
      );
    }
    if (patch.channelId !== undefined || patch.canonicalNumber !== undefined) {
      await this.checkUnambiguous(
        actor,
        current.id,
        current.siteId,
        current.kind,
        patch.channelId === undefined ? current.channelId : patch.channelId,
        patch.canonicalNumber ?? current.canonicalNumber,
      );
    }
    if (patch.settings) checkSettings({ ...current.settings, ...patch.settings });
    const pool = await this.unique(patch.name, () => this.deps.pools.update(this.deps.db, actor.accountId, id, patch));
    if (!pool) throw new NotFoundError(`Pool ${id} not found`);
    await this.changed(actor, pool, 'pool.update');
    return pool;
  }

  async delete(actor: Principal, id: string): Promise<void> {
    const pool = await this.get(actor, id);
    await this.deps.pools.delete(this.deps.db, actor.accountId, id);
    await this.changed(actor, pool, 'pool.delete');
  }

  private async checkRefs(actor: Principal, siteId: string, channelId: string | null, canonical: string): Promise<void> {
    const site = await this.deps.sites.get(this.deps.db, actor.accountId, siteId);
    if (!site) throw new NotFoundError(`Site ${siteId} not found`);
    if (!site.canonicalNumbers.includes(canonical)) {
      throw new BadDataError(`${canonical} is not one of the site's canonical numbers`, [
        { path: 'body/canonicalNumber', message: `must be one of the site's canonical numbers: ${site.canonicalNumbers.join(', ') || 'none yet'}` },
      ]);
    }
    if (channelId) {
      const channel = await this.deps.channels.get(this.deps.db, actor.accountId, channelId);
      if (!channel || channel.siteId !== siteId) {
        throw new BadDataError(`Channel ${channelId} is not a channel of this site`, [
          { path: 'body/channelId', message: 'not a channel of this site' },
        ]);
      }
    }
  }

  /**
   * The widget picks one pool per canonical number and visit: the channel's own, else the site-wide one. Two pools
   * for the same number and the same channel (or both site-wide) would leave that choice to row order, and a static
   * pool is a channel's fixed numbers: without a channel nothing says which visits get it.
   */
  private async checkUnambiguous(
    actor: Principal,
    selfId: string | null,
    siteId: string,
    kind: PoolKind,
    channelId: string | null,
    canonical: string,
  ): Promise<void> {
    if (kind === 'static' && !channelId) {
      throw new BadDataError('A static pool needs a channel', [
        { path: 'body/channelId', message: 'a static pool holds the fixed numbers of one channel: set channelId' },
      ]);
    }
    const pools = await this.deps.pools.list(this.deps.db, actor.accountId, { siteId });
    const clash = pools.find((p) => p.id !== selfId && p.canonicalNumber === canonical && p.channelId === channelId);
    if (clash) {
      throw new ConflictError(
        `Pool "${clash.name}" already serves ${canonical} for ${channelId ? 'this channel' : 'every visit without a channel pool'}`,
        [
          {
            path: channelId ? 'body/channelId' : 'body/canonicalNumber',
            message: `one pool per canonical number and channel; "${clash.name}" has it`,
          },
        ],
      );
    }
  }

  private async unique<T>(name: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`The site already has a pool named "${name}"`);
      throw err;
    }
  }

  private async changed(actor: Principal, pool: Pool, action: string): Promise<void> {
    await this.deps.audit.record(this.deps.db, actor, { action, targetType: 'pool', targetId: pool.id });
    await this.deps.events.emit('pool.changed', { accountId: pool.accountId, poolId: pool.id });
  }
}

function checkSettings(s: PoolSettings): void {
  if (s.heartbeatSeconds >= s.activeWindowSeconds) {
    throw new BadDataError('heartbeatSeconds must be shorter than activeWindowSeconds, or live visitors would look inactive', [
      { path: 'body/settings/heartbeatSeconds', message: 'must be shorter than activeWindowSeconds' },
    ]);
  }
}
