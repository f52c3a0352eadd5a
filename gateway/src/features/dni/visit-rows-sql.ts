import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import { MAX_SESSION_PAGES } from './visit-recorder.js';
import type { Item, VisitRecord } from './visit-recorder.js';

/**
 * The SQL of the visit write-behind. Each statement takes its whole batch as one JSON parameter, unpacked by
 * `json_to_recordset`: one `JSON.stringify` per batch instead of tens of thousands of bindings that knex would
 * format one by one (its binding formatter and pg's value preparation were ~12 % of the server's busy time in the
 * bench:dni profile), and the statement text stays the same whatever the batch size.
 */
/**
 * The batch as the JSON parameter. JSON.stringify escapes a lone surrogate (a user agent cut mid-character, a broken
 * URL) as `\\udXXX`, which PostgreSQL refuses; only then is the batch made well-formed (U+FFFD, as UTF-8 encoding
 * would have sent it), so the common case pays one scan.
 */
function batchJson(rows: readonly object[]): string {
  const json = JSON.stringify(rows);
  if (!json.includes('\\ud')) return json;
  const wellFormed = (_k: string, v: unknown): unknown => (typeof v === 'string' ? (v as string & { toWellFormed(): string }).toWellFormed() : v);
  return JSON.stringify(JSON.parse(json), wellFormed);
}

export async function write(db: DbOrTrx, items: readonly Item[]): Promise<void> {
  const visits: VisitRecord[] = [];
  const clicks: { id: string; account_id: string; site_id: string; session_id: string; e164: string; clicked_at: Date }[] = [];
  const seen = new Map<string, { siteId: string; at: Date }>();
  for (const i of items) {
    if (i.kind === 'visit') visits.push(i.r);
    else if (i.kind === 'click')
      clicks.push({ id: newId(), account_id: i.r.accountId, site_id: i.r.siteId, session_id: i.r.sessionId, e164: i.r.e164, clicked_at: i.r.at });
    else seen.set(i.sessionId, { siteId: i.siteId, at: i.at });
  }
  if (visits.length) await writeVisits(db, visits);
  if (clicks.length) await db('tel_clicks').insert(clicks);
  if (seen.size) await writeSeen(db, seen);
}

/** Heartbeats: one statement for the sessions, one for their visitors. */
async function writeSeen(db: DbOrTrx, seen: ReadonlyMap<string, { siteId: string; at: Date }>): Promise<void> {
  const touched = (await db.raw(
    `UPDATE web_sessions s SET last_seen_at = v.at
     FROM json_to_recordset(?::json) AS v (id text, site_id text, at timestamptz)
     WHERE s.id = v.id AND s.site_id = v.site_id AND s.last_seen_at < v.at
     RETURNING s.visitor_id, s.site_id, v.at`,
    [batchJson([...seen].map(([id, s]) => ({ id, site_id: s.siteId, at: s.at })))],
  )) as { rows: { visitor_id: string; site_id: string; at: Date }[] };
  const visitors = new Map<string, { site_id: string; at: Date }>();
  for (const r of touched.rows) {
    const cur = visitors.get(r.visitor_id);
    if (!cur || cur.at < r.at) visitors.set(r.visitor_id, { site_id: r.site_id, at: r.at });
  }
  if (!visitors.size) return;
  await db.raw(
    `UPDATE visitors x SET last_seen_at = v.at
     FROM json_to_recordset(?::json) AS v (id text, site_id text, at timestamptz)
     WHERE x.id = v.id AND x.site_id = v.site_id AND x.last_seen_at < v.at`,
    [batchJson([...visitors].map(([id, v]) => ({ id, ...v })))],
  );
}

const touchOf = (r: VisitRecord) => ({
  channelId: r.channelId,
  source: r.visit.source,
  medium: r.visit.medium,
  campaign: r.visit.campaign,
  term: r.visit.term,
  content: r.visit.content,
  clickIds: r.visit.clickIds,
  referrer: r.referrer,
  landingUrl: r.pageUrl,
  at: r.at.toISOString(),
});

/**
 * One statement for the visitors and one for the sessions of a batch (a third only when some visitor's later
 * non-direct visit replaces its first touch). Rows for the same id are merged first (one statement may not update a
 * row twice): a visitor keeps the first touch of the batch, or with 'last_non_direct' the last non-direct one; a
 * session keeps its first visit's landing fields and gets every page of the batch.
 */
async function writeVisits(db: DbOrTrx, visits: readonly VisitRecord[]): Promise<void> {
  const visitors = new Map<string, { r: VisitRecord; touch: object; replace: boolean; first: Date; last: Date }>();
  for (const r of visits) {
    const replace = r.attributionTouch === 'last_non_direct' && r.visit.kind !== 'direct';
    const cur = visitors.get(r.visitorId);
    if (!cur) visitors.set(r.visitorId, { r, touch: touchOf(r), replace, first: r.at, last: r.at });
    else {
      if (r.at > cur.last) cur.last = r.at;
      if (replace) Object.assign(cur, { touch: touchOf(r), replace });
    }
  }
  const rows = [...visitors.values()].map((v) => ({
    id: v.r.visitorId,
    account_id: v.r.accountId,
    site_id: v.r.siteId,
    touch: v.touch,
    first_seen: v.first,
    last_seen: v.last,
  }));
  // A visitor id from the browser that belongs to another site is not taken over: the update is limited to the same
  // account and site, and only the sessions of visitors the statement returned are written.
  const ours = (await db.raw(
    `INSERT INTO visitors (id, account_id, site_id, first_touch, first_seen_at, last_seen_at)
     SELECT id, account_id, site_id, touch, first_seen, last_seen
     FROM json_to_recordset(?::json) AS v (id text, account_id text, site_id text, touch jsonb, first_seen timestamptz, last_seen timestamptz)
     ON CONFLICT (id) DO UPDATE SET
       last_seen_at = GREATEST(visitors.last_seen_at, EXCLUDED.last_seen_at),
       first_touch = coalesce(visitors.first_touch, EXCLUDED.first_touch)
     WHERE visitors.account_id = EXCLUDED.account_id AND visitors.site_id = EXCLUDED.site_id
     RETURNING id, (xmax = 0) AS inserted`,
    [batchJson(rows)],
  )) as { rows: { id: string; inserted: boolean }[] };
  const written = new Set(ours.rows.map((r) => r.id));
  const updated = new Set(ours.rows.flatMap((r) => (r.inserted ? [] : [r.id])));
  // 'last_non_direct': the batch's last non-direct touch replaces an existing visitor's stored one (a new visitor got
  // it on insert). Apart from the insert, so the common statement carries no per-row lookup (a correlated subquery
  // there made a batch quadratic in its size).
  const replaced = [...visitors.values()].filter((v) => v.replace && updated.has(v.r.visitorId));
  if (replaced.length)
    await db.raw(
      `UPDATE visitors x SET first_touch = v.touch
       FROM json_to_recordset(?::json) AS v (id text, site_id text, touch jsonb)
       WHERE x.id = v.id AND x.site_id = v.site_id`,
      [batchJson(replaced.map((v) => ({ id: v.r.visitorId, site_id: v.r.siteId, touch: v.touch })))],
    );

  const sessions = new Map<string, { r: VisitRecord; pages: string[]; leased: boolean; last: Date; clientIds: Record<string, string> }>();
  for (const r of visits) {
    if (!written.has(r.visitorId)) continue;
    const cur = sessions.get(r.sessionId);
    if (!cur) sessions.set(r.sessionId, { r, pages: r.pageUrl ? [r.pageUrl] : [], leased: r.leased, last: r.at, clientIds: { ...r.clientIds } });
    else {
      Object.assign(cur.clientIds, r.clientIds);
      if (r.pageUrl && cur.pages.length < MAX_SESSION_PAGES) cur.pages.push(r.pageUrl);
      cur.leased ||= r.leased;
      if (r.at > cur.last) cur.last = r.at;
    }
  }
  if (!sessions.size) return;
  const sessionRows = [...sessions.values()].map(({ r, pages, leased, last, clientIds }) => ({
    id: r.sessionId,
    account_id: r.accountId,
    site_id: r.siteId,
    visitor_id: r.visitorId,
    channel_id: r.channelId,
    landing_url: r.pageUrl,
    referrer: r.referrer,
    source: r.visit.source,
    medium: r.visit.medium,
    utm_source: r.utmSource,
    utm_medium: r.utmMedium,
    utm_campaign: r.visit.campaign,
    utm_term: r.visit.term,
    utm_content: r.visit.content,
    click_ids: r.visit.clickIds,
    device: r.device,
    ip_hash: r.ipHash,
    consent: r.consent,
    is_bot: r.isBot,
    leased,
    pages,
    first_seen_at: r.at,
    last_seen_at: last,
    client_ids: clientIds,
  }));
  await db.raw(
    `INSERT INTO web_sessions (id, account_id, site_id, visitor_id, channel_id, landing_url, referrer, source, medium,
       utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_ids, device, ip_hash, consent, is_bot, leased,
       pages, first_seen_at, last_seen_at, client_ids)
     SELECT id, account_id, site_id, visitor_id, channel_id, landing_url, referrer, source, medium,
       utm_source, utm_medium, utm_campaign, utm_term, utm_content, coalesce(click_ids, '{}'), coalesce(device, '{}'), ip_hash,
       consent, is_bot, leased, coalesce(pages, '[]'), first_seen_at, last_seen_at, coalesce(client_ids, '{}')
     FROM json_to_recordset(?::json) AS v (id text, account_id text, site_id text, visitor_id text, channel_id text,
       landing_url text, referrer text, source text, medium text, utm_source text, utm_medium text, utm_campaign text,
       utm_term text, utm_content text, click_ids jsonb, device jsonb, ip_hash text, consent text, is_bot boolean,
       leased boolean, pages jsonb, first_seen_at timestamptz, last_seen_at timestamptz, client_ids jsonb)
     ON CONFLICT (id) DO UPDATE SET
       last_seen_at = GREATEST(web_sessions.last_seen_at, EXCLUDED.last_seen_at),
       client_ids = web_sessions.client_ids || EXCLUDED.client_ids,
       leased = web_sessions.leased OR EXCLUDED.leased,
       pages = CASE WHEN jsonb_array_length(web_sessions.pages) >= ${MAX_SESSION_PAGES} THEN web_sessions.pages
                    ELSE (SELECT coalesce(jsonb_agg(p.e ORDER BY p.n), '[]'::jsonb)
                          FROM jsonb_array_elements(web_sessions.pages || EXCLUDED.pages) WITH ORDINALITY AS p (e, n)
                          WHERE p.n <= ${MAX_SESSION_PAGES}) END
     WHERE web_sessions.account_id = EXCLUDED.account_id AND web_sessions.site_id = EXCLUDED.site_id`,
    [batchJson(sessionRows)],
  );
}
