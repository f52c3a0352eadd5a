import type { DbOrTrx } from '../../src/adapters/db/knex.js';
import { randomInt } from 'node:crypto';
import { newId } from '../../src/shared/ids.js';

/** A caller of its own, so independent calls never join one customer lead by accident. */
export const aCaller = (): string => `+7916${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;

/** A visit with UTM tags, its visitor and channel, and a call attributed to it: the rows a lead is read from. */
export async function anAttributedCall(
  db: DbOrTrx,
  o: { accountId: string; siteId: string; caller?: string; tracking?: string; utm?: Record<string, string>; startedAt?: Date },
): Promise<{ callId: string; sessionId: string }> {
  const visitorId = newId();
  const sessionId = newId();
  const channelId = newId();
  const callId = newId();
  await db('visitors').insert({ id: visitorId, account_id: o.accountId, site_id: o.siteId });
  await db('channels').insert({ id: channelId, account_id: o.accountId, site_id: o.siteId, name: `paid-${channelId}`, kind: 'paid_search' });
  const utm = {
    utm_source: 'yandex',
    utm_medium: 'cpc',
    utm_campaign: 'brand_msk_search',
    utm_term: 'купить диван',
    utm_content: 'ad_12345678',
    ...o.utm,
  };
  await db('web_sessions').insert({
    id: sessionId,
    account_id: o.accountId,
    site_id: o.siteId,
    visitor_id: visitorId,
    channel_id: channelId,
    landing_url: 'https://shop.example.com/sofas?utm_source=yandex',
    referrer: 'https://yandex.ru/',
    ...utm,
    click_ids: JSON.stringify({ yclid: '1234567890123456789' }),
  });
  await db('calls').insert({
    id: callId,
    account_id: o.accountId,
    site_id: o.siteId,
    provider: 'twilio',
    provider_call_id: `CA${callId}`,
    tracking_e164: o.tracking ?? '+74951112233',
    caller: o.caller ?? aCaller(),
    status: 'ringing',
    started_at: o.startedAt ?? new Date('2026-11-20T11:05:11Z'),
    session_id: sessionId,
    visitor_id: visitorId,
    channel_id: channelId,
    first_time_caller: true,
  });
  return { callId, sessionId };
}

export async function endCall(db: DbOrTrx, callId: string): Promise<void> {
  await db('calls')
    .where({ id: callId })
    .update({
      status: 'ended',
      outcome: 'completed',
      answered_at: new Date('2026-11-20T11:05:20Z'),
      ended_at: new Date('2026-11-20T11:07:51Z'),
      ring_seconds: 9,
      talk_seconds: 151,
    });
}

export async function storeRecording(db: DbOrTrx, accountId: string, callId: string): Promise<string> {
  const id = newId();
  await db('recordings').insert({
    id,
    account_id: accountId,
    call_id: callId,
    provider: 'twilio',
    provider_ref: `RE${id}`,
    status: 'stored',
    stored_at: new Date('2026-11-20T11:08:30Z'),
  });
  return id;
}
