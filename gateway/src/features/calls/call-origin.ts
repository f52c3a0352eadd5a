import type { ChannelRule } from '../channels/channel-store-type.js';
import { PAID_CLICKS } from '../dni/visit-classifier.js';

/** Where a call came from, in words: what the call API and every CRM sink show. */
export interface CallOrigin {
  readonly channel: { readonly id: string; readonly name: string; readonly kind: string } | null;
  readonly source: string | null;
  readonly medium: string | null;
  readonly campaign: string | null;
  readonly keyword: string | null;
  readonly content: string | null;
  readonly landingPage: string | null;
}

/** The columns an origin is built from: the call's channel and its attributed web session (either may be absent). */
export interface OriginRow {
  readonly channel_id: string | null;
  readonly channel_name: string | null;
  readonly channel_kind: string | null;
  readonly channel_rules: readonly ChannelRule[] | string | null;
  readonly utm_source: string | null;
  readonly utm_medium: string | null;
  readonly utm_campaign: string | null;
  readonly utm_term: string | null;
  readonly utm_content: string | null;
  readonly session_source: string | null;
  readonly session_medium: string | null;
  readonly landing_url: string | null;
}

/**
 * What a channel's match rules say about its traffic when there is no visit to read (a static number, an unmatched
 * call): the first rule naming a source (and medium), else the first naming a paid click id (gclid: google / cpc).
 */
export function channelSourceMedium(rules: readonly ChannelRule[]): { source: string; medium: string | null } | null {
  for (const r of rules) if (r.utm_source) return { source: r.utm_source, medium: r.utm_medium ?? null };
  for (const r of rules) {
    const paid = r.click_id ? PAID_CLICKS.find(([id]) => id === r.click_id) : undefined;
    if (paid) return { source: paid[1], medium: paid[2] };
  }
  return null;
}

/**
 * UTM tags first; where the visit had none, the classified source and medium (a gclid visit is google / cpc, a search
 * referrer bing / organic); without a visit, what the channel's rules imply.
 */
export function callOrigin(r: OriginRow): CallOrigin {
  const rules: readonly ChannelRule[] =
    typeof r.channel_rules === 'string' ? (JSON.parse(r.channel_rules) as ChannelRule[]) : (r.channel_rules ?? []);
  const fromChannel = r.session_source || r.utm_source ? null : channelSourceMedium(rules);
  return {
    channel: r.channel_id && r.channel_name ? { id: r.channel_id, name: r.channel_name, kind: r.channel_kind ?? 'custom' } : null,
    source: r.utm_source ?? r.session_source ?? fromChannel?.source ?? null,
    medium: r.utm_medium ?? r.session_medium ?? fromChannel?.medium ?? null,
    campaign: r.utm_campaign,
    keyword: r.utm_term,
    content: r.utm_content,
    landingPage: r.landing_url,
  };
}

/** The select list (calls as c, web_sessions as s, channels as ch) that `callOrigin` reads. */
export const ORIGIN_COLUMNS = [
  'c.channel_id',
  'ch.name as channel_name',
  'ch.kind as channel_kind',
  'ch.rules as channel_rules',
  's.utm_source',
  's.utm_medium',
  's.utm_campaign',
  's.utm_term',
  's.utm_content',
  's.source as session_source',
  's.medium as session_medium',
  's.landing_url',
] as const;
