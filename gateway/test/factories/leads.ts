import { createOutboundGuard } from '../../src/adapters/http/outbound-guard.js';
import type { Lead } from '../../src/features/leads/lead-types.js';

/** A finished, attributed call as the delivery handler reads it (values from the fixtures' example call). */
export function aLead(overrides: Partial<Lead> = {}): Lead {
  return {
    accountId: 'acc_1',
    callId: '7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11',
    siteId: 'site_1',
    trigger: 'call.ended',
    caller: '+79161234567',
    trackingNumber: '+74951112233',
    status: 'ended',
    outcome: 'completed',
    startedAt: new Date('2026-11-20T11:05:11Z'),
    answeredAt: new Date('2026-11-20T11:05:20Z'),
    endedAt: new Date('2026-11-20T11:07:51Z'),
    ringSeconds: 9,
    talkSeconds: 151,
    firstTimeCaller: true,
    recordingUrl: null,
    currency: 'RUB',
    lead: { id: 'lead_1', firstCallId: '7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11', repeat: false, calls: 1, status: 'open', amount: null },
    session: { id: 'ses_1', startedAt: new Date('2026-11-20T11:00:00Z'), clientIds: { ga: '1234567890.1700000000' } },
    attribution: {
      source: 'yandex',
      medium: 'cpc',
      campaign: 'brand_msk_search',
      keyword: 'купить диван',
      content: 'ad_12345678',
      landingPage: 'https://shop.example.com/sofas?utm_source=yandex',
      referrer: 'https://yandex.ru/',
      channel: 'paid_search',
      channelName: 'Yandex Direct',
      clickIds: { yclid: '1234567890123456789' },
    },
    ...overrides,
  };
}

export const REC = 'https://gw.example.com/rec/7f3c2a.mp3';

/** The outbound guard as the gateway builds it, with the loopback stand-ins allowed (as the test config does). */
export const testOutbound = createOutboundGuard({ allowedNetworks: ['127.0.0.0/8', '::1/128'] });
export const ctx = (deliveryId = 'msg_1') => ({ signal: new AbortController().signal, deliveryId, fetch: testOutbound.fetch });
