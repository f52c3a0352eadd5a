import type { Knex } from 'knex';
import { newId } from '../../src/shared/ids.js';

/** Rows the call tests stand on: a site with a channel, pools and numbers, and visitors with sessions. */

export async function seedSite(
  k: Knex,
  accountId: string,
  o: { defaultForwardTo?: string | null; settings?: Record<string, unknown>; name?: string } = {},
): Promise<string> {
  const id = newId();
  await k('sites').insert({
    id,
    account_id: accountId,
    name: o.name ?? 'Shop',
    public_key: `k${id.toLowerCase()}`,
    default_forward_to: o.defaultForwardTo === undefined ? '+15550000001' : o.defaultForwardTo,
    settings: JSON.stringify(o.settings ?? {}),
  });
  return id;
}

export async function seedChannel(k: Knex, accountId: string, siteId: string, name: string): Promise<string> {
  const id = newId();
  await k('channels').insert({ id, account_id: accountId, site_id: siteId, name, kind: 'paid_search' });
  return id;
}

export async function seedPool(
  k: Knex,
  accountId: string,
  siteId: string,
  o: { kind: 'session' | 'static'; channelId?: string | null },
): Promise<string> {
  const id = newId();
  await k('pools').insert({
    id,
    account_id: accountId,
    site_id: siteId,
    channel_id: o.channelId ?? null,
    name: `pool-${id}`,
    kind: o.kind,
    canonical_number: '+15550009999',
  });
  return id;
}

export async function seedNumber(
  k: Knex,
  accountId: string,
  o: { e164: string; siteId: string; poolId?: string | null; forwardTo?: string | null },
): Promise<string> {
  const id = newId();
  await k('tracking_numbers').insert({
    id,
    account_id: accountId,
    site_id: o.siteId,
    pool_id: o.poolId ?? null,
    e164: o.e164,
    provider: 'twilio',
    forward_to: o.forwardTo ?? null,
  });
  return id;
}

export async function seedSession(
  k: Knex,
  accountId: string,
  siteId: string,
  o: { channelId?: string | null; visitorId?: string; landingUrl?: string; utmSource?: string } = {},
): Promise<{ sessionId: string; visitorId: string }> {
  const visitorId = o.visitorId ?? newId();
  if (!o.visitorId) await k('visitors').insert({ id: visitorId, account_id: accountId, site_id: siteId });
  const sessionId = newId();
  await k('web_sessions').insert({
    id: sessionId,
    account_id: accountId,
    site_id: siteId,
    visitor_id: visitorId,
    channel_id: o.channelId ?? null,
    landing_url: o.landingUrl ?? 'https://shop.example/landing?utm_source=google',
    referrer: 'https://www.google.com/',
    utm_source: o.utmSource ?? 'google',
    utm_medium: 'cpc',
    utm_campaign: 'spring',
    pages: JSON.stringify([{ url: 'https://shop.example/landing', at: new Date().toISOString() }]),
    device: JSON.stringify({ mobile: true }),
  });
  return { sessionId, visitorId };
}

export async function seedLease(
  k: Knex,
  accountId: string,
  o: {
    poolId: string;
    numberId: string;
    e164: string;
    sessionId: string;
    visitorId: string | null;
    leasedAt: Date;
    releasedAt?: Date | null;
    reclaimedFrom?: string;
  },
): Promise<void> {
  await k('number_leases').insert({
    id: newId(),
    account_id: accountId,
    pool_id: o.poolId,
    tracking_number_id: o.numberId,
    e164: o.e164,
    session_id: o.sessionId,
    visitor_id: o.visitorId,
    leased_at: o.leasedAt,
    released_at: o.releasedAt ?? null,
    reclaimed_from: o.reclaimedFrom ?? null,
  });
}
