import type { Db } from '../../adapters/db/knex.js';
import { ConflictError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { SiteStore } from '../sites/site-store-type.js';
import type { Channel, ChannelKind, ChannelPatch, ChannelRule, ChannelStore } from './channel-store-type.js';

export interface CreateChannelInput {
  siteId: string;
  name: string;
  kind: ChannelKind;
  rules?: readonly ChannelRule[];
  priority?: number;
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

export class ChannelService {
  constructor(private readonly deps: { db: Db; channels: ChannelStore; sites: SiteStore; audit: AuditLog; events: EventBus }) {}

  list(actor: Principal, filter: { siteId?: string }): Promise<Channel[]> {
    return this.deps.channels.list(this.deps.db, actor.accountId, filter);
  }

  async get(actor: Principal, id: string): Promise<Channel> {
    const channel = await this.deps.channels.get(this.deps.db, actor.accountId, id);
    if (!channel) throw new NotFoundError(`Channel ${id} not found`);
    return channel;
  }

  async create(actor: Principal, input: CreateChannelInput): Promise<Channel> {
    if (!(await this.deps.sites.get(this.deps.db, actor.accountId, input.siteId))) throw new NotFoundError(`Site ${input.siteId} not found`);
    const channel = await this.unique(input.name, () =>
      this.deps.channels.create(this.deps.db, {
        id: newId(),
        accountId: actor.accountId,
        siteId: input.siteId,
        name: input.name,
        kind: input.kind,
        rules: input.rules ?? [],
        priority: input.priority ?? 0,
      }),
    );
    await this.changed(actor, channel, 'channel.create');
    return channel;
  }

  async update(actor: Principal, id: string, patch: ChannelPatch): Promise<Channel> {
    const channel = await this.unique(patch.name, () => this.deps.channels.update(this.deps.db, actor.accountId, id, patch));
    if (!channel) throw new NotFoundError(`Channel ${id} not found`);
    await this.changed(actor, channel, 'channel.update');
    return channel;
  }

  async delete(actor: Principal, id: string): Promise<void> {
    const channel = await this.get(actor, id);
    await this.deps.channels.delete(this.deps.db, actor.accountId, id);
    await this.changed(actor, channel, 'channel.delete');
  }

  private async unique<T>(name: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`The site already has a channel named "${name}"`);
      throw err;
    }
  }

  private async changed(actor: Principal, c: Channel, action: string): Promise<void> {
    await this.deps.audit.record(this.deps.db, actor, { action, targetType: 'channel', targetId: c.id });
    await this.deps.events.emit('channel.changed', { accountId: c.accountId, siteId: c.siteId, channelId: c.id });
  }
}
