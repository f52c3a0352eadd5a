import { expect } from 'chai';
import { callOrigin } from './call-origin.js';
import type { OriginRow } from './call-origin.js';

const row = (o: Partial<OriginRow>): OriginRow => ({
  channel_id: 'ch_1',
  channel_name: 'Google Ads',
  channel_kind: 'paid_search',
  channel_rules: [],
  utm_source: null,
  utm_medium: null,
  utm_campaign: null,
  utm_term: null,
  utm_content: null,
  session_source: null,
  session_medium: null,
  landing_url: null,
  ...o,
});

describe('callOrigin: where a call came from, in words', () => {
  it('prefers the UTM tags of the visit', () => {
    const o = callOrigin(row({ utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'brand', utm_term: 'sofa', session_source: 'x' }));
    expect(o).to.include({ source: 'google', medium: 'cpc', campaign: 'brand', keyword: 'sofa' });
    expect(o.channel).to.deep.equal({ id: 'ch_1', name: 'Google Ads', kind: 'paid_search' });
  });

  it('falls back to the classified source of a visit without UTM tags (a gclid click is google / cpc)', () => {
    expect(callOrigin(row({ session_source: 'google', session_medium: 'cpc' }))).to.include({ source: 'google', medium: 'cpc' });
  });

  it('without a visit, takes source and medium from the channel rules: a utm rule, else a paid click id', () => {
    expect(callOrigin(row({ channel_rules: [{ click_id: 'gclid' }] }))).to.include({ source: 'google', medium: 'cpc' });
    expect(callOrigin(row({ channel_rules: JSON.stringify([{ click_id: 'yclid' }]) }))).to.include({ source: 'yandex', medium: 'cpc' });
    expect(callOrigin(row({ channel_rules: [{ click_id: 'yclid' }, { utm_source: 'bing', utm_medium: 'ppc' }] }))).to.include({
      source: 'bing',
      medium: 'ppc',
    });
    expect(callOrigin(row({ channel_rules: [{ referrer_host: 'example.com' }] }))).to.include({ source: null, medium: null });
  });

  it('has no channel when the call has none', () => {
    expect(callOrigin(row({ channel_id: null, channel_name: null, channel_kind: null })).channel).to.equal(null);
  });
});
