import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import type { Locale } from '../../../i18n/i18n.js';

/**
 * The `<Say>` attributes per locale. Twilio documents `language` (BCP 47, e.g. `ru-RU`) and `voice` (`man`, `woman`,
 * `alice`, `Polly.<Name>`, `Google.<locale>-<model>`); twilio-node types both as closed unions, which these values
 * are checked against. Amazon Polly voices read Russian (Tatyana, Maxim) where the legacy man/woman voices only
 * speak English, so each locale defaults to a Polly voice of its language. TWILIO_SAY_VOICES overrides them.
 */
export interface SayVoice {
  readonly language: NonNullable<VoiceResponse.SayAttributes['language']>;
  readonly voice: NonNullable<VoiceResponse.SayAttributes['voice']>;
}

export type SayVoices = Readonly<Record<Locale, SayVoice>>;

export const DEFAULT_SAY_VOICES: SayVoices = {
  en: { language: 'en-US', voice: 'Polly.Joanna' },
  ru: { language: 'ru-RU', voice: 'Polly.Tatyana' },
};

export function sayAttributes(voices: SayVoices, locale: Locale): VoiceResponse.SayAttributes {
  const v = voices[locale] ?? voices.en;
  return { language: v.language, voice: v.voice };
}
