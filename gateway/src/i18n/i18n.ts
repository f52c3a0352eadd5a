import { en } from './catalog-en.js';
import { ru } from './catalog-ru.js';

/**
 * Everything a person reads that the gateway writes (voice prompts, whispers, CRM lead titles and comments) comes
 * from these catalogs. Adding a language: a `catalog-xx.ts` typed as `Catalog`, and its code in LOCALES.
 */

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

export type MessageKey = keyof typeof en;
/** One message: a template, or plural forms chosen by the `count` parameter. */
export type Message = string | ({ readonly other: string } & Partial<Record<Intl.LDMLPluralRule, string>>);
export type Catalog = { readonly [K in MessageKey]: Message };
export type MessageParams = Readonly<Record<string, string | number>>;

const CATALOGS: Readonly<Record<Locale, Catalog>> = { en, ru };
const pluralRules = new Map<Locale, Intl.PluralRules>();

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function plural(locale: Locale, count: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return rules.select(count);
}

/** The message `key` in `locale` (English when the locale is unknown), with `{name}` parameters filled in. */
export function t(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  const lang = isLocale(locale) ? locale : 'en';
  const message = CATALOGS[lang][key];
  const count = params['count'];
  const template = typeof message === 'string' ? message : ((typeof count === 'number' ? message[plural(lang, count)] : undefined) ?? message.other);
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (params[name] === undefined ? whole : String(params[name])));
}

/** `t` bound to one locale. */
export const translator =
  (locale: Locale) =>
  (key: MessageKey, params?: MessageParams): string =>
    t(locale, key, params);
