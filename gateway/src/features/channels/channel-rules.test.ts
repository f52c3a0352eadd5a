import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { compile } from '../../http/validation.js';
import { CHANNEL_RULE_KEYS, classifyVisit, matchChannel } from '../dni/visit-classifier.js';
import type { ChannelRule, ChannelRuleKey } from '../dni/visit-classifier.js';
import { channelRuleSchema } from './channel-schemas.js';

const visit = (url: string, referrer?: string) => classifyVisit({ pageUrl: url, referrer, siteDomains: ['shop.example'] });

/** Per key: a rule, a visit it must match and one it must not, in the classifier's meaning. */
const CASES: Record<ChannelRuleKey, { value: string; hit: [string, string?]; miss: [string, string?] }> = {
  utm_source: { value: 'google', hit: ['https://shop.example/?gclid=abc'], miss: ['https://shop.example/?utm_source=bing&utm_medium=cpc'] },
  utm_medium: { value: 'cpc', hit: ['https://shop.example/?yclid=1'], miss: ['https://shop.example/', 'https://www.google.com/'] },
  utm_campaign: {
    value: 'spring*',
    hit: ['https://shop.example/?utm_source=vk&utm_campaign=spring_sale'],
    miss: ['https://shop.example/?utm_source=vk'],
  },
  utm_term: {
    value: 'пицца',
    hit: ['https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_term=%D0%BF%D0%B8%D1%86%D1%86%D0%B0'],
    miss: ['https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_term=sushi'],
  },
  utm_content: {
    value: 'banner-a',
    hit: ['https://shop.example/?utm_source=x&utm_content=banner-a'],
    miss: ['https://shop.example/?utm_source=x&utm_content=banner-b'],
  },
  source: {
    value: 'yandex',
    hit: ['https://shop.example/', 'https://yandex.ru/search/?text=x'],
    miss: ['https://shop.example/', 'https://www.google.com/'],
  },
  medium: { value: 'organic', hit: ['https://shop.example/', 'https://www.google.com/'], miss: ['https://shop.example/?gclid=1'] },
  click_id: { value: 'gclid', hit: ['https://shop.example/?gclid=abc'], miss: ['https://shop.example/?yclid=abc'] },
  kind: { value: 'organic_search', hit: ['https://shop.example/', 'https://www.bing.com/'], miss: ['https://shop.example/?msclkid=1'] },
  referrer_host: {
    value: '*.partner.org',
    hit: ['https://shop.example/', 'https://blog.partner.org/post'],
    miss: ['https://shop.example/', 'https://partner.net/'],
  },
};

describe('channel rule keys', () => {
  const validate = compile(channelRuleSchema);

  it('the API schema, the classifier and docs/widget.md list the same keys', () => {
    expect(Object.keys(channelRuleSchema.properties).sort()).to.deep.equal([...CHANNEL_RULE_KEYS].sort());
    const docs = readFileSync(new URL('../../../../docs/widget.md', import.meta.url), 'utf8');
    const line = /Rule keys: ([^\n]+(?:\n[^\n]+)?)/.exec(docs)?.[1] ?? '';
    const documented = [...line.split('(')[0]!.matchAll(/`([a-z_]+)`/g), ...line.slice(line.indexOf(')')).matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect([...new Set(documented)].sort()).to.deep.equal([...CHANNEL_RULE_KEYS].sort());
  });

  for (const key of CHANNEL_RULE_KEYS) {
    it(`${key}: accepted by the API and matched with the classifier's meaning`, () => {
      const c = CASES[key];
      const rule: ChannelRule = { [key]: c.value };
      expect(validate(rule), JSON.stringify(validate.errors)).to.equal(true);
      const channels = [{ id: key, priority: 1, rules: [rule] }];
      expect(matchChannel(visit(...c.hit), channels)?.id).to.equal(key);
      expect(matchChannel(visit(...c.miss), channels)).to.equal(null);
    });
  }

  it('an unknown key is refused by the API', () => {
    expect(validate({ utm_keyword: 'x' })).to.equal(false);
  });
});
