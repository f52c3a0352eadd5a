import { expect } from 'chai';
import type { Channel } from '../channels/channel-store-type.js';
import { matchChannel, visitFacts } from './channel-match.js';

const channel = (name: string, rules: Channel['rules'], priority = 0): Channel => ({
  id: name,
  accountId: 'a',
  siteId: 's',
  name,
  kind: 'custom',
  rules,
  priority,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

describe('matchChannel', () => {
  const ads = channel('ads', [{ click_id: 'gclid' }, { utm_source: 'google', utm_medium: 'cpc' }], 10);
  const email = channel('email', [{ utm_medium: 'email' }]);
  const ref = channel('ref', [{ referrer_host: 'example.org' }], -1);
  const all = [email, ads, ref];

  it('matches click ids, UTM pairs (all fields of a rule) and referrer domains', () => {
    expect(matchChannel(all, visitFacts('https://shop.test/?gclid=abc', undefined))?.name).to.equal('ads');
    expect(matchChannel(all, visitFacts('https://shop.test/?utm_source=Google&utm_medium=cpc', undefined))?.name).to.equal('ads');
    expect(matchChannel(all, visitFacts('https://shop.test/?utm_source=google', undefined))).to.equal(null);
    expect(matchChannel(all, visitFacts('https://shop.test/', 'https://news.example.org/a'))?.name).to.equal('ref');
    expect(matchChannel(all, visitFacts('https://shop.test/', 'https://notexample.org/'))).to.equal(null);
  });

  it('prefers the higher priority and ignores the site referring to itself or malformed URLs', () => {
    expect(matchChannel(all, visitFacts('https://shop.test/?utm_medium=email&gclid=x', undefined))?.name).to.equal('ads');
    expect(matchChannel([channel('self', [{ referrer_host: 'shop.test' }])], visitFacts('https://shop.test/', 'https://shop.test/x'))).to.equal(null);
    expect(matchChannel(all, visitFacts('not a url', 'also not'))).to.equal(null);
  });
});
