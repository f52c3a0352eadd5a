import { expect } from 'chai';
import { dialTwiml, sayTwiml, webhookUrls } from '../adapters/telephony/twilio/twiml.js';
import { hasControlChars, stripControlChars, stripControlCharsDeep, withoutControlChars } from './control-chars.js';

describe('control characters', () => {
  it('strips what XML 1.0 and PostgreSQL text refuse, and keeps tab, newlines, emoji and Cyrillic', () => {
    expect(stripControlChars('a\u0000b\u0007c\u000bd\u001fe\uffff\ud800f')).to.equal('abcdef');
    expect(stripControlChars('tab\tnl\ncr\r 😀 звонок')).to.equal('tab\tnl\ncr\r 😀 звонок');
    expect(hasControlChars('\udc00')).to.equal(true);
    expect(hasControlChars('😀')).to.equal(false);
    const clean = 'plain';
    expect(stripControlChars(clean)).to.equal(clean);
  });

  it('cleans keys and values of nested bodies, null-prototype form objects included', () => {
    const form = Object.assign(Object.create(null) as Record<string, unknown>, { 'k\u0000': ['a\u0000', 'b'] });
    expect(stripControlCharsDeep({ x: { y: 'z\u0001' }, n: 1, b: true, nil: null, form })).to.deep.equal({
      x: { y: 'z' },
      n: 1,
      b: true,
      nil: null,
      form: { k: ['a', 'b'] },
    });
  });

  it('hands a clean form back as it is, and a form with a control character in a key or value as a stripped copy', () => {
    const clean = Object.assign(Object.create(null) as Record<string, string | string[]>, { From: '+14155550100', Tags: ['a', 'b'] });
    expect(withoutControlChars(clean)).to.equal(clean);
    for (const dirty of [{ From: '+1415\u00005550100' }, { 'Fr\u0007om': 'x' }, { Tags: ['a', 'b\uffff'] }]) {
      const out = withoutControlChars(dirty);
      expect(out).to.not.equal(dirty);
      expect(out).to.deep.equal(stripControlCharsDeep(dirty));
      expect(
        Object.entries(out)
          .flat(2)
          .some((s) => hasControlChars(s)),
      ).to.equal(false);
    }
  });

  it('builds TwiML that is a legal document from settings holding control characters', () => {
    const urls = webhookUrls(new URL('https://gw.example.com'));
    const xml = dialTwiml(
      {
        forwardTo: '+15550001111',
        callerId: '+15550002222\u0000',
        record: true,
        announcement: 'Recorded\u0007.',
        whisper: 'Call\u001b from Ads',
        say: { language: 'en-US' },
        locale: 'en',
      },
      urls,
    );
    expect(xml).to.contain('<Say language="en-US">Recorded.</Say>');
    expect(xml).to.contain('callerId="+15550002222"');
    expect(xml).to.contain('text=Call+from+Ads');
    expect(sayTwiml('x\u0000y', {})).to.contain('<Say>xy</Say>');
  });
});

describe('stripControlCharsDeep and "__proto__"', () => {
  it('keeps a parsed "__proto__" key an own property, never the copy\'s prototype', () => {
    const out = stripControlCharsDeep(JSON.parse('{"name":"k\\u0000","__proto__":{"role":"owner"}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    expect(out.role).to.equal(undefined);
    expect(Object.keys(out)).to.deep.equal(['name', '__proto__']);
    expect(out.name).to.equal('k');
  });
});
