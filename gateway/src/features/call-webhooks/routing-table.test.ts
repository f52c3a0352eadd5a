import { expect } from 'chai';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import { decideRoute, EMPTY_SNAPSHOT } from './routing-table.js';
import type { RoutingSnapshot } from './routing-table.js';

const site = (siteId: string, accountId: string, defaultForwardTo: string | null, settings = {}) => ({
  siteId,
  accountId,
  name: siteId,
  defaultForwardTo,
  settings: { ...DEFAULT_SITE_SETTINGS, ...settings },
});

const snapshot: RoutingSnapshot = {
  ...EMPTY_SNAPSHOT,
  numbers: new Map([
    ['+15550000100', { trackingNumberId: 'n1', accountId: 'a1', siteId: 's1', forwardTo: '+15550009001', channelName: 'Google Ads' }],
    ['+15550000200', { trackingNumberId: 'n2', accountId: 'a2', siteId: 's2', forwardTo: '+15550009002', channelName: null }],
  ]),
  sites: new Map([
    ['s1', site('s1', 'a1', '+15550009000', { whisper: true, recordingAnnouncement: 'Recorded.' })],
    ['s2', site('s2', 'a2', null, { recordCalls: false })],
  ]),
  fallbackSite: new Map([['a1', 's1']]),
  blocked: new Set(['s1 +15557770000']),
  twilio: new Map([
    ['AC1', { accountId: 'a1', authToken: 't1' }],
    ['AC2', { accountId: 'a2', authToken: 't2' }],
  ]),
};

describe('routing decisions', () => {
  it('dials the number’s target with the site’s recording, announcement and whisper', () => {
    expect(decideRoute(snapshot, { accountSid: 'AC1', to: '+15550000100', from: '+15557770001' })).to.deep.equal({
      kind: 'dial',
      accountId: 'a1',
      siteId: 's1',
      forwardTo: '+15550009001',
      record: true,
      announcement: 'Recorded.',
      whisper: 'Call from Google Ads',
      fallback: false,
      locale: 'en',
    });
  });

  it('sends unknown numbers to the account’s fallback site, and says sorry when there is none', () => {
    expect(decideRoute(snapshot, { accountSid: 'AC1', to: '+15559999999', from: '+15557770001' })).to.include({
      kind: 'dial',
      forwardTo: '+15550009000',
      fallback: true,
    });
    expect(decideRoute(snapshot, { accountSid: 'AC2', to: '+15559999999', from: '+15557770001' })).to.include({
      kind: 'unavailable',
      accountId: 'a2',
    });
    expect(decideRoute(snapshot, { accountSid: 'ACX', to: '+15550000100', from: '+15557770001' }).kind).to.equal('dial');
  });

  it('rejects blocked callers', () => {
    expect(decideRoute(snapshot, { accountSid: 'AC1', to: '+15550000100', from: '+15557770000' })).to.deep.equal({
      kind: 'reject',
      accountId: 'a1',
      siteId: 's1',
    });
  });

  it('never routes one tenant’s number through another tenant’s Twilio login', () => {
    const d = decideRoute(snapshot, { accountSid: 'AC1', to: '+15550000200', from: '+15557770001' });
    expect(d).to.include({ kind: 'dial', accountId: 'a1', forwardTo: '+15550009000', fallback: true });
  });
});
