import type { Locale } from '../../i18n/i18n.js';

/** Per-site behaviour that later capabilities read; stored as JSONB and merged over these defaults. */
export interface SiteSettings {
  /** Record calls (dual channel, from answer). */
  readonly recordCalls: boolean;
  /** Played to the caller before connecting ("This call may be recorded"); null = none. */
  readonly recordingAnnouncement: string | null;
  /** Whisper the source to the agent before bridging ("Call from Google Ads"). */
  readonly whisper: boolean;
  /** Delete the provider's copy once ours is verified. */
  readonly deleteProviderRecordings: boolean;
  /** Days to keep audio; null = forever. Call metadata is kept regardless. */
  readonly recordingRetentionDays: number | null;
  /** 'required': the widget stores nothing and shows channel numbers until the page grants consent. */
  readonly consent: 'required' | 'not_required';
  /** Which visit's source a returning visitor keeps. */
  readonly attributionTouch: 'first' | 'last_non_direct';
  /** ISO 4217 code of every amount on the site: deal revenue, spend, conversion values. */
  readonly currency: string;
  /** A target (qualified) call: answered and talked at least this long. */
  readonly targetCallMinTalkSeconds: number;
  /** A call from a caller whose lead on the site started less than this long ago joins that lead. */
  readonly leadWindowHours: number;
  /** A first-time caller has not called the site within this many days before; null = ever. */
  readonly firstTimeWindowDays: number | null;
  /** ISO 3166-1 alpha-2: reads national numbers from the PBX and formats numbers; null = the tracking number's country. */
  readonly country: string | null;
  /** Language of voice prompts, whispers and CRM texts. */
  readonly locale: Locale;
  /** Numbers of one pool a client address may hold at once (0: no limit); null = DNI_MAX_NUMBERS_PER_ADDRESS. */
  readonly maxNumbersPerAddress: number | null;
}

export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  recordCalls: true,
  recordingAnnouncement: null,
  whisper: false,
  deleteProviderRecordings: false,
  recordingRetentionDays: null,
  consent: 'not_required',
  attributionTouch: 'first',
  currency: 'USD',
  targetCallMinTalkSeconds: 30,
  leadWindowHours: 24,
  firstTimeWindowDays: null,
  country: null,
  locale: 'en',
  maxNumbersPerAddress: null,
};

export interface Site {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly publicKey: string;
  readonly domains: readonly string[];
  readonly canonicalNumbers: readonly string[];
  readonly defaultForwardTo: string | null;
  readonly timezone: string;
  readonly settings: SiteSettings;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewSite {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly publicKey: string;
  readonly domains: readonly string[];
  readonly canonicalNumbers: readonly string[];
  readonly defaultForwardTo: string | null;
  readonly timezone: string;
  readonly settings: SiteSettings;
}

/** PATCH semantics: a value sets, undefined leaves alone, null clears. */
export interface SitePatch {
  readonly name?: string;
  readonly domains?: readonly string[];
  readonly canonicalNumbers?: readonly string[];
  readonly defaultForwardTo?: string | null;
  readonly timezone?: string;
  readonly settings?: Partial<SiteSettings>;
}
