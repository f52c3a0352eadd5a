import type { DbOrTrx } from '../../adapters/db/knex.js';

export const CHANNEL_KINDS = [
  'paid_search',
  'organic_search',
  'paid_social',
  'social',
  'referral',
  'direct',
  'email',
  'display',
  'offline',
  'custom',
] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/**
 * One match rule: every field given must match the visit (AND); a channel matches when any of its rules does (OR).
 * `click_id` names a landing-URL parameter whose presence marks the channel (gclid, yclid, fbclid...).
 */
export interface ChannelRule {
  readonly utm_source?: string;
  readonly utm_medium?: string;
  readonly utm_campaign?: string;
  readonly click_id?: string;
  /** The referrer's host, or a parent domain of it ("google.com" matches "www.google.com"). */
  readonly referrer_host?: string;
}

export interface Channel {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  readonly name: string;
  readonly kind: ChannelKind;
  readonly rules: readonly ChannelRule[];
  /** Higher first when several channels match. */
  readonly priority: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type NewChannel = Omit<Channel, 'createdAt' | 'updatedAt'>;
export type ChannelPatch = Partial<Pick<Channel, 'name' | 'kind' | 'rules' | 'priority'>>;

export interface ChannelStore {
  create(db: DbOrTrx, channel: NewChannel): Promise<Channel>;
  get(db: DbOrTrx, accountId: string, id: string): Promise<Channel | null>;
  list(db: DbOrTrx, accountId: string, filter: { siteId?: string }): Promise<Channel[]>;
  update(db: DbOrTrx, accountId: string, id: string, patch: ChannelPatch): Promise<Channel | null>;
  delete(db: DbOrTrx, accountId: string, id: string): Promise<boolean>;
}
