import { expect } from 'chai';
import { DialTwimlCache, dialTwiml, webhookUrls } from './twiml.js';
import type { DialPlan } from './twiml.js';

describe('DialTwimlCache', () => {
  const urls = webhookUrls(new URL('https://calls.example.com'));
  const plan: DialPlan = {
    forwardTo: '+15550000002',
    callerId: '+14155550100',
    record: true,
    announcement: 'This call is recorded.',
    whisper: 'Call from Google Ads',
    say: { language: 'en-US', voice: 'Polly.Joanna' },
    locale: 'en',
  };

  it('answers what dialTwiml builds, for every caller id of a plan, withheld and control characters included', () => {
    const cache = new DialTwimlCache(urls);
    for (const callerId of ['+14155550100', '+74951234561', '+447911123456', null, '+266696687', 'anonymous', '+1415555\u00000101']) {
      const p = { ...plan, callerId };
      // Twice: the first builds the plan's template, the second is served from it.
      expect(cache.render(p), String(callerId)).to.equal(dialTwiml(p, urls));
      expect(cache.render(p), String(callerId)).to.equal(dialTwiml(p, urls));
    }
  });

  it('keeps plans apart: another forward-to, setting or language is another document', () => {
    const cache = new DialTwimlCache(urls);
    const variants: DialPlan[] = [
      plan,
      { ...plan, forwardTo: '+15550000003' },
      { ...plan, record: false, announcement: null },
      { ...plan, whisper: null },
      { ...plan, say: { language: 'ru-RU', voice: 'Polly.Tatyana' }, locale: 'ru' },
    ];
    for (const p of variants) expect(cache.render(p)).to.equal(dialTwiml(p, urls));
    expect(new Set(variants.map((p) => cache.render(p))).size).to.equal(variants.length);
  });

  it('builds every time a plan whose text quotes the placeholder, and stays bounded', () => {
    const cache = new DialTwimlCache(urls, 2);
    const quoting = { ...plan, announcement: 'callerId="+15550100999" +15550100999' };
    expect(cache.render(quoting)).to.equal(dialTwiml(quoting, urls));
    expect(cache.render({ ...quoting, callerId: '+74951234561' })).to.equal(dialTwiml({ ...quoting, callerId: '+74951234561' }, urls));
    for (let i = 0; i < 5; i++) {
      const p = { ...plan, forwardTo: `+1555000001${i}` };
      expect(cache.render(p)).to.equal(dialTwiml(p, urls));
    }
  });
});
