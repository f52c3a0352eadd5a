import { expect } from 'chai';
import { classifyVisit, decodeOpenstat, matchChannel, queryOf, type VisitClassification } from './visit-classifier.js';

const site = ['example.com'];
const visit = (pageUrl: string, referrer?: string) => classifyVisit({ pageUrl, referrer, siteDomains: site });
const pick = (v: VisitClassification) => [v.source, v.medium, v.kind];

describe('visit classifier', () => {
  it('puts click ids first: gclid/gbraid/wbraid → google/cpc, yclid → yandex/cpc, msclkid → bing/cpc', () => {
    expect(pick(visit('https://example.com/?gclid=abc&utm_source=newsletter&utm_medium=email'))).to.deep.equal(['google', 'cpc', 'paid_search']);
    expect(pick(visit('https://example.com/?wbraid=x'))).to.deep.equal(['google', 'cpc', 'paid_search']);
    expect(pick(visit('https://example.com/?gbraid=x'))).to.deep.equal(['google', 'cpc', 'paid_search']);
    expect(pick(visit('https://example.com/?yclid=123'))).to.deep.equal(['yandex', 'cpc', 'paid_search']);
    expect(pick(visit('https://example.com/?msclkid=m1', 'https://www.bing.com/'))).to.deep.equal(['bing', 'cpc', 'paid_search']);
  });

  it('keeps UTM campaign, term and content on a click-id visit, and lists every click id', () => {
    const v = visit('https://example.com/?gclid=abc&fbclid=f&utm_campaign=Spring&utm_term=plumber&utm_content=ad1');
    expect(v.clickIds).to.deep.equal({ gclid: 'abc', fbclid: 'f' });
    expect([v.campaign, v.term, v.content]).to.deep.equal(['Spring', 'plumber', 'ad1']);
  });

  it('does not treat fbclid as paid: the Facebook referrer makes it social', () => {
    const v = visit('https://example.com/?fbclid=IwAR0', 'https://l.facebook.com/');
    expect(pick(v)).to.deep.equal(['facebook', 'social', 'social']);
    expect(v.clickIds).to.deep.equal({ fbclid: 'IwAR0' });
  });

  it('uses explicit UTM next, grouped GA4-style by medium (case-insensitive)', () => {
    expect(pick(visit('https://example.com/?utm_source=Google&utm_medium=CPC', 'https://www.google.com/'))).to.deep.equal([
      'google',
      'cpc',
      'paid_search',
    ]);
    expect(pick(visit('https://example.com/?utm_source=facebook&utm_medium=paid_social'))).to.deep.equal(['facebook', 'paid_social', 'paid_social']);
    expect(pick(visit('https://example.com/?utm_source=partner&utm_medium=cpc'))).to.deep.equal(['partner', 'cpc', 'paid_other']);
    expect(pick(visit('https://example.com/?utm_source=mailchimp&utm_medium=email'))).to.deep.equal(['mailchimp', 'email', 'email']);
    expect(pick(visit('https://example.com/?utm_source=vk&utm_medium=post'))).to.deep.equal(['vk', 'post', 'social']);
    expect(pick(visit('https://example.com/?utm_source=site&utm_medium=banner'))).to.deep.equal(['site', 'banner', 'display']);
    expect(pick(visit('https://example.com/?utm_medium=cpc'))).to.deep.equal(['(not set)', 'cpc', 'paid_other']);
  });

  it('decodes _openstat (base64 or plain service;campaign;ad;source) after UTM', () => {
    const raw = 'direct.yandex.ru;12345;67890;news.example.org:premium';
    const b64 = Buffer.from(raw).toString('base64url');
    const v = visit(`https://example.com/?_openstat=${b64}`);
    expect(pick(v)).to.deep.equal(['direct.yandex.ru', 'cpc', 'paid_search']);
    expect([v.campaign, v.content]).to.deep.equal(['12345', '67890']);
    expect(decodeOpenstat(raw)).to.deep.equal({ service: 'direct.yandex.ru', campaign: '12345', ad: '67890', source: 'news.example.org:premium' });
    expect(decodeOpenstat('not base64 at all!')).to.equal(null);
    expect(pick(visit(`https://example.com/?_openstat=${b64}&utm_source=a&utm_medium=b`))).to.deep.equal(['a', 'b', 'other']);
  });

  it('recognises search engines from the Matomo list, including {} country hosts and subdomains', () => {
    expect(pick(visit('https://example.com/', 'https://www.google.co.uk/'))).to.deep.equal(['google', 'organic', 'organic_search']);
    expect(pick(visit('https://example.com/', 'https://yandex.ru/search/?text=plumber'))).to.deep.equal(['yandex', 'organic', 'organic_search']);
    expect(visit('https://example.com/', 'https://yandex.ru/search/?text=plumber').term).to.equal('plumber');
    expect(pick(visit('https://example.com/', 'https://duckduckgo.com/'))).to.deep.equal(['duckduckgo', 'organic', 'organic_search']);
    expect(pick(visit('https://example.com/', 'https://www.bing.com/search?q=x'))).to.deep.equal(['bing', 'organic', 'organic_search']);
  });

  it('recognises social networks, including the locally added hosts', () => {
    for (const ref of [
      'https://ok.ru/group/1',
      'https://t.me/channel',
      'https://vk.ru/wall',
      'https://away.vk.com/away.php',
      'https://dzen.ru/a/x',
    ]) {
      expect(visit('https://example.com/', ref).kind, ref).to.equal('social');
    }
    expect(pick(visit('https://example.com/', 'https://t.co/abc'))).to.deep.equal(['twitter', 'social', 'social']);
  });

  it('ignores referrers on the site itself (and its subdomains): direct', () => {
    for (const ref of ['https://example.com/page', 'https://www.example.com/', 'https://shop.example.com/cart']) {
      const v = visit('https://example.com/next', ref);
      expect(pick(v), ref).to.deep.equal(['(direct)', '(none)', 'direct']);
      expect(v.referrerHost).to.equal(null);
    }
  });

  it('falls back to referral, then direct; never throws on junk input', () => {
    const v = visit('https://example.com/', 'https://www.some-blog.net/post');
    expect(pick(v)).to.deep.equal(['some-blog.net', 'referral', 'referral']);
    expect(v.referrerHost).to.equal('some-blog.net');
    expect(pick(visit('https://example.com/'))).to.deep.equal(['(direct)', '(none)', 'direct']);
    expect(pick(classifyVisit({ pageUrl: 'not a url', referrer: 'android-app://x', siteDomains: [] }))).to.deep.equal([
      '(direct)',
      '(none)',
      'direct',
    ]);
  });
});

describe('matchChannel', () => {
  const channels = [
    { id: 'ads', priority: 10, rules: [{ utm_source: 'google', utm_medium: 'cpc' }, { click_id: 'gclid' }] },
    { id: 'yandex', priority: 10, rules: [{ click_id: 'yclid' }, { utm_source: 'yandex', utm_medium: 'cpc' }] },
    { id: 'seo', priority: 5, rules: [{ kind: 'organic_search' }] },
    { id: 'partners', priority: 7, rules: [{ referrer_host: '*.partner.org' }] },
    { id: 'fallback', priority: 0, rules: [{}] },
  ];

  it('matches when all keys of any rule match, case-insensitively', () => {
    expect(matchChannel(visit('https://example.com/?gclid=1'), channels)?.id).to.equal('ads');
    expect(matchChannel(visit('https://example.com/?utm_source=GOOGLE&utm_medium=Cpc'), channels)?.id).to.equal('ads');
    expect(matchChannel(visit('https://example.com/?utm_source=google&utm_medium=email'), channels)?.id).to.equal('fallback');
    expect(matchChannel(visit('https://example.com/?yclid=5'), channels)?.id).to.equal('yandex');
    expect(matchChannel(visit('https://example.com/', 'https://www.google.de/'), channels)?.id).to.equal('seo');
    expect(matchChannel(visit('https://example.com/', 'https://deals.partner.org/x'), channels)?.id).to.equal('partners');
  });

  it('matches a plain referrer_host against the host and its subdomains, as channels document it', () => {
    const blog = [{ id: 'blog', priority: 1, rules: [{ referrer_host: 'blog.example' }] }];
    expect(matchChannel(visit('https://shop.example/', 'https://news.blog.example/a'), blog)?.id).to.equal('blog');
    expect(matchChannel(visit('https://shop.example/', 'https://www.blog.example/'), blog)?.id).to.equal('blog');
    expect(matchChannel(visit('https://shop.example/', 'https://myblog.example/'), blog)).to.equal(null);
  });

  it('picks the highest priority, the first listed on a tie, and null when nothing matches', () => {
    const both = [
      { id: 'low', priority: 1, rules: [{ kind: 'paid_search' }] },
      { id: 'high', priority: 9, rules: [{ click_id: 'gclid' }] },
      { id: 'tie', priority: 9, rules: [{ utm_source: 'google' }] },
    ];
    expect(matchChannel(visit('https://example.com/?gclid=1'), both)?.id).to.equal('high');
    expect(matchChannel(visit('https://example.com/'), both)).to.equal(null);
    expect(matchChannel(visit('https://example.com/'), [{ id: 'odd', priority: 1, rules: [{ nonsense: 'x' } as never] }])).to.equal(null);
  });

  it("reads a URL's query as the URL parser does, and none without a '?' or from a URL it cannot parse", () => {
    const urls = [
      'https://example.com/?utm_source=a&b=1',
      'https://example.com/p/x',
      'https://example.com/#x?utm_source=a',
      'not a url?utm_source=a',
      '',
    ];
    for (const u of urls) {
      let parsed: string[][] = [];
      try {
        parsed = [...new URL(u).searchParams];
      } catch {
        /* no query */
      }
      expect([...queryOf(u)], u).to.deep.equal(parsed);
    }
    // A query parsed by the caller is the one used.
    const v = classifyVisit({ pageUrl: 'https://example.com/', siteDomains: site, params: new URLSearchParams('gclid=1') });
    expect(pick(v)).to.deep.equal(['google', 'cpc', 'paid_search']);
  });
});
