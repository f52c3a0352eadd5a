import { newId } from '../shared/ids.js';

/** The demo's channels besides Google Ads (demo-seed.ts makes that one) and the kinds of visit that reach the site. */

export const CHANNELS = [
  { name: 'Yandex Direct', kind: 'paid_search', priority: 9, rules: [{ click_id: 'yclid' }, { utm_source: 'yandex', utm_medium: 'cpc' }] },
  { name: 'Facebook Ads', kind: 'paid_social', priority: 8, rules: [{ utm_source: 'facebook', utm_medium: 'paid' }, { click_id: 'fbclid' }] },
  { name: 'Organic search', kind: 'organic_search', priority: 1, rules: [{ referrer_host: 'www.google.com' }, { referrer_host: 'yandex.ru' }] },
  { name: 'Newsletter', kind: 'email', priority: 5, rules: [{ utm_medium: 'email' }] },
] as const;

export interface Visit {
  channel: string;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  referrer: string | null;
  clickIds: Record<string, string>;
  landing: string;
}

export const VISITS: Visit[] = [
  {
    channel: 'Google Ads',
    source: 'google',
    medium: 'cpc',
    campaign: 'spring_sale',
    term: 'emergency plumber',
    referrer: 'https://www.google.com/',
    clickIds: { gclid: 'Cj0KCQiA-demo1' },
    landing: '/demo?gclid=Cj0KCQiA-demo1&utm_source=google&utm_medium=cpc&utm_campaign=spring_sale',
  },
  {
    channel: 'Google Ads',
    source: 'google',
    medium: 'cpc',
    campaign: 'brand',
    term: 'acme plumbing',
    referrer: 'https://www.google.com/',
    clickIds: { gclid: 'Cj0KCQiA-demo2' },
    landing: '/demo?gclid=Cj0KCQiA-demo2&utm_campaign=brand',
  },
  {
    channel: 'Yandex Direct',
    source: 'yandex',
    medium: 'cpc',
    campaign: 'moscow_search',
    term: 'сантехник срочно',
    referrer: 'https://yandex.ru/',
    clickIds: { yclid: '71234567890' },
    landing: '/demo?yclid=71234567890&utm_source=yandex&utm_medium=cpc',
  },
  {
    channel: 'Facebook Ads',
    source: 'facebook',
    medium: 'paid',
    campaign: 'retargeting',
    term: null,
    referrer: 'https://l.facebook.com/',
    clickIds: { fbclid: 'IwAR-demo' },
    landing: '/demo?utm_source=facebook&utm_medium=paid&utm_campaign=retargeting',
  },
  {
    channel: 'Organic search',
    source: 'google',
    medium: 'organic',
    campaign: null,
    term: null,
    referrer: 'https://www.google.com/',
    clickIds: {},
    landing: '/demo',
  },
  {
    channel: 'Newsletter',
    source: 'newsletter',
    medium: 'email',
    campaign: 'november',
    term: null,
    referrer: null,
    clickIds: {},
    landing: '/demo?utm_source=newsletter&utm_medium=email&utm_campaign=november',
  },
];

/** A visitor and its one visit (session) arriving through `visit`, as the widget's visit writer leaves them. */
export function visitRows(p: {
  accountId: string;
  siteId: string;
  channelIds: ReadonlyMap<string, string>;
  visit: Visit;
  firstSeen: Date;
  lastSeen: Date;
  mobile: boolean;
  /** Pages after the landing page (anchors of the demo page). */
  pages?: readonly string[];
}): { visitorId: string; sessionId: string; channelId: string | null; visitor: Record<string, unknown>; session: Record<string, unknown> } {
  const visitorId = newId();
  const sessionId = newId();
  const v = p.visit;
  const channelId = p.channelIds.get(v.channel) ?? null;
  const landingUrl = `http://localhost${v.landing}`;
  const touch = {
    channelId,
    source: v.source,
    medium: v.medium,
    campaign: v.campaign,
    term: v.term,
    clickIds: v.clickIds,
    referrer: v.referrer,
    landingUrl,
    at: p.firstSeen.toISOString(),
  };
  return {
    visitorId,
    sessionId,
    channelId,
    visitor: {
      id: visitorId,
      account_id: p.accountId,
      site_id: p.siteId,
      first_touch: JSON.stringify(touch),
      first_seen_at: p.firstSeen,
      last_seen_at: p.lastSeen,
    },
    session: {
      id: sessionId,
      account_id: p.accountId,
      site_id: p.siteId,
      visitor_id: visitorId,
      channel_id: channelId,
      landing_url: landingUrl,
      referrer: v.referrer,
      source: v.source,
      medium: v.medium,
      utm_source: v.source,
      utm_medium: v.medium,
      utm_campaign: v.campaign,
      utm_term: v.term,
      click_ids: JSON.stringify(v.clickIds),
      device: JSON.stringify(p.mobile ? { type: 'mobile', os: 'iOS', browser: 'Safari' } : { type: 'desktop', os: 'Windows', browser: 'Chrome' }),
      consent: 'not_required',
      pages: JSON.stringify([landingUrl, ...(p.pages ?? ['#prices', '#contacts']).map((a) => `http://localhost/demo${a}`)]),
      first_seen_at: p.firstSeen,
      last_seen_at: p.lastSeen,
    },
  };
}
