/** The web-analytics ids of a visit, for conversion exports (Metrica ClientID) and the GA4 Measurement Protocol. */
export interface AnalyticsClientIds extends Readonly<Record<string, string>> {
  /** Yandex Metrica ClientID: the `_ym_uid` cookie. */
  readonly ym?: string;
  /** GA4 client_id: the last two dot-parts of the `_ga` cookie ("GA1.1.1234567890.1700000000" -> "1234567890.1700000000"). */
  readonly ga?: string;
}

const YM = /^[0-9]{1,32}$/;
const GA_PART = /^[0-9]{1,20}$/;

/**
 * Keeps what is well-formed and drops the rest: a cookie a site or an extension mangled must never cost the visitor
 * their numbers, so a bad value is ignored rather than refused. `ga` may come as the raw cookie or as the client id.
 */
export function analyticsClientIds(raw: { ym?: unknown; ga?: unknown } | undefined): AnalyticsClientIds {
  if (!raw) return {};
  const out: { ym?: string; ga?: string } = {};
  if (typeof raw.ym === 'string' && YM.test(raw.ym)) out.ym = raw.ym;
  if (typeof raw.ga === 'string') {
    const parts = raw.ga.split('.');
    const id = parts.slice(-2);
    if (parts.length >= 2 && id.every((p) => GA_PART.test(p))) out.ga = id.join('.');
  }
  return out;
}
