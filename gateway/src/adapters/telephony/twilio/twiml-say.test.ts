import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { LOCALES } from '../../../i18n/i18n.js';
import { t } from '../../../i18n/i18n.js';
import { DEFAULT_SAY_VOICES, sayAttributes } from './say-voices.js';
import { dialTwiml, unavailableTwiml, webhookUrls } from './twiml.js';

/**
 * Twilio documents `<Say>`'s `language` and `voice` values; twilio-node carries them as the SayLanguage and SayVoice
 * unions of its TwiML builder. The values we emit must be members, read from the installed package's declarations.
 */
function documented(name: 'SayLanguage' | 'SayVoice'): Set<string> {
  const file = createRequire(import.meta.url).resolve('twilio/lib/twiml/VoiceResponse.d.ts');
  const line = new RegExp(`type ${name} = ([^;]+);`).exec(readFileSync(file, 'utf8'))?.[1] ?? '';
  return new Set([...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]!));
}

const sayTags = (xml: string) => [...xml.matchAll(/<Say( [^>]*)?>([^<]*)<\/Say>/g)].map((m) => ({ attrs: m[1] ?? '', text: m[2] }));
const attr = (attrs: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(attrs)?.[1];

describe('<Say> per site locale', () => {
  const languages = documented('SayLanguage');
  const voices = documented('SayVoice');
  const urls = webhookUrls(new URL('https://calls.example.com'));

  it('the documented lists were found', () => {
    expect(languages.has('ru-RU')).to.equal(true);
    expect(voices.has('Polly.Tatyana')).to.equal(true);
  });

  for (const locale of LOCALES) {
    it(`${locale}: announcement and apology use a documented language and a voice of that language`, () => {
      const say = sayAttributes(DEFAULT_SAY_VOICES, locale);
      const dial = dialTwiml(
        {
          forwardTo: '+74957654321',
          callerId: null,
          record: true,
          announcement: 'x',
          whisper: t(locale, 'voice.whisper', { source: 'Yandex' }),
          say,
          locale,
        },
        urls,
      );
      const sorry = unavailableTwiml(t(locale, 'voice.unavailable'), say);
      for (const tag of [...sayTags(dial), ...sayTags(sorry)]) {
        const language = attr(tag.attrs, 'language');
        const voice = attr(tag.attrs, 'voice');
        expect(languages.has(language ?? ''), `language ${language}`).to.equal(true);
        expect(voices.has(voice ?? ''), `voice ${voice}`).to.equal(true);
        expect(language?.startsWith(locale)).to.equal(true);
      }
      expect(sayTags(sorry)[0]?.text).to.equal(t(locale, 'voice.unavailable'));
    });
  }

  it('ru is read by a Russian voice, en by an English one', () => {
    expect(sayAttributes(DEFAULT_SAY_VOICES, 'ru')).to.deep.equal({ language: 'ru-RU', voice: 'Polly.Tatyana' });
    expect(sayAttributes(DEFAULT_SAY_VOICES, 'en')).to.deep.equal({ language: 'en-US', voice: 'Polly.Joanna' });
  });
});
