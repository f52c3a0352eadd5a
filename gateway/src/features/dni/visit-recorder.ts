import type { Db, DbOrTrx } from '../../adapters/db/knex.js';
import type { Logger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import type { VisitClassification } from './visit-classifier.js';

/** Most pages kept per web session (the landing page first); later pages are dropped. */
export const MAX_SESSION_PAGES = 50;
const MAX_QUEUE = 50_000;
const BATCH = 2_000;
const MAX_REMEMBERED_SESSIONS = 100_000;
/**
 * Server mode keeps a session's stored last-seen time to this resolution: a touch within it of the last one written is
 * not written again. The live lease state (not these rows) says who holds a number now; the rows answer "when was
 * this visitor last around" for journeys and caller history, where half a minute is exact enough, and a burst of
 * reloads then costs no SQL at all.
 */
export const SEEN_RESOLUTION_MS = 30_000;

export interface VisitRecord {
  readonly accountId: string;
  readonly siteId: string;
  readonly visitorId: string;
  readonly sessionId: string;
  readonly channelId: string | null;
  readonly pageUrl: string | null;
  readonly referrer: string | null;
  readonly visit: VisitClassification;
  readonly utmSource: string | null;
  readonly utmMedium: string | null;
  readonly device: Record<string, unknown>;
  /** Web-analytics ids from the page's cookies ({ym, ga}); a later page may add one the first did not have. */
  readonly clientIds: Readonly<Record<string, string>>;
  readonly ipHash: string | null;
  readonly consent: 'granted' | 'not_required';
  readonly isBot: boolean;
  readonly leased: boolean;
  /** 'first': the visitor keeps its first source; 'last_non_direct': a later non-direct visit replaces it. */
  readonly attributionTouch: 'first' | 'last_non_direct';
  readonly at: Date;
}

export interface TelClickRecord {
  readonly accountId: string;
  readonly siteId: string;
  readonly sessionId: string;
  readonly e164: string;
  readonly at: Date;
}

type Item = { kind: 'visit'; r: VisitRecord } | { kind: 'click'; r: TelClickRecord } | { kind: 'seen'; sessionId: string; siteId: string; at: Date };

/**
 * Writes the widget's visits (visitors, web_sessions), tel: clicks and heartbeats' last-seen times. `behind` (server
 * mode): the answer never waits on SQL; rows are queued and written in small batches, failures are logged and dropped
 * (the lease engine, not these rows, decides who holds a number). `direct` (embedded mode): written before answering.
 */
export class VisitRecorder {
  private queue: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Rows lost so far: dropped on a full queue or in a failed batch (also logged). */
  lost = 0;

  constructor(private readonly deps: { db: Db; logger: Logger; mode: 'behind' | 'direct'; flushMs?: number }) {}

  /**
   * Per session (server mode): the last page recorded, so a reload of it is only a "seen", and when its last-seen time
   * was last queued for writing. Bounded; the least recently recorded sessions are forgotten first.
   */
  private readonly written = new Map<string, { page: string | null; seenAt: number }>();

  /** A reload of the page this session last recorded (server mode): a last-seen touch is all it needs. */
  isRepeat(sessionId: string, pageUrl: string | undefined): boolean {
    return this.deps.mode === 'behind' && !!pageUrl && this.written.get(sessionId)?.page === pageUrl;
  }

  private remember(sessionId: string, page: string | null, seenAt: number): void {
    this.written.delete(sessionId);
    this.written.set(sessionId, { page, seenAt });
    if (this.written.size > MAX_REMEMBERED_SESSIONS) this.written.delete(this.written.keys().next().value as string);
  }

  /** A reload of the session's last page becomes a last-seen touch: true when it was one (nothing else to record). */
  touchIfRepeat(siteId: string, sessionId: string, pageUrl: string | undefined, at: Date): boolean {
    if (!this.isRepeat(sessionId, pageUrl)) return false;
    this.seen(siteId, sessionId, at);
    return true;
  }

  visit(r: VisitRecord): Promise<void> {
    if (this.touchIfRepeat(r.siteId, r.sessionId, r.pageUrl ?? undefined, r.at)) return Promise.resolve();
    if (this.deps.mode === 'behind') this.remember(r.sessionId, r.pageUrl ?? this.written.get(r.sessionId)?.page ?? null, r.at.getTime());
    return this.submit({ kind: 'visit', r });
  }

  telClick(r: TelClickRecord): Promise<void> {
    return this.submit({ kind: 'click', r });
  }

  /** A heartbeat: the session and its visitor were seen now. Always batched, and in server mode to SEEN_RESOLUTION_MS. */
  seen(siteId: string, sessionId: string, at: Date): void {
    if (this.deps.mode === 'behind') {
      const last = this.written.get(sessionId);
      if (last && at.getTime() - last.seenAt < SEEN_RESOLUTION_MS) return;
      this.remember(sessionId, last?.page ?? null, at.getTime());
    }
    this.enqueue({ kind: 'seen', sessionId, siteId, at });
  }

  private submit(item: Item): Promise<void> {
    if (this.deps.mode === 'direct') return this.deps.db.transaction((trx) => write(trx, [item]));
    this.enqueue(item);
    return Promise.resolve();
  }

  private enqueue(item: Item): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.lost += 1;
      if (this.lost % 1000 === 1) this.deps.logger.warn({ queued: this.queue.length, lost: this.lost }, 'visit queue full, visit rows dropped');
      return;
    }
    this.queue.push(item);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.deps.flushMs ?? 1_000);
    this.timer.unref();
  }

  /** Writes everything queued so far (tests and shutdown call it; the timer does otherwise). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    // Group each session's items into one batch (a stable sort keeps their order), so a session seen many times in one
    // interval becomes one row write instead of one per batch it would otherwise be spread over.
    const keyOf = (i: Item): string => (i.kind === 'seen' ? i.sessionId : i.r.sessionId);
    this.queue = this.queue.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    while (this.queue.length) {
      const batch = this.queue.splice(0, BATCH);
      this.running = this.deps.db
        .transaction((trx) => write(trx, batch))
        .catch((err: unknown) => {
          this.lost += batch.length;
          this.deps.logger.error({ err, rows: batch.length }, 'visit rows not written');
        })
        .finally(() => {
          this.running = null;
        });
      await this.running;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}

async function write(db: DbOrTrx, items: readonly Item[]): Promise<void> {
  const visits = items.flatMap((i) => (i.kind === 'visit' ? [i.r] : []));
  const clicks = items.flatMap((i) => (i.kind === 'click' ? [i.r] : []));
  const seen = new Map<string, { siteId: string; at: Date }>();
  for (const i of items) if (i.kind === 'seen') seen.set(i.sessionId, { siteId: i.siteId, at: i.at });
  if (visits.length) await writeVisits(db, visits);
  if (clicks.length)
    await db('tel_clicks').insert(
      clicks.map((c) => ({ id: newId(), account_id: c.accountId, site_id: c.siteId, session_id: c.sessionId, e164: c.e164, clicked_at: c.at })),
    );
  if (seen.size) await writeSeen(db, seen);
}

const placeholders = (rows: number, row: string): string => Array.from({ length: rows }, () => row).join(', ');

/** Heartbeats: one statement for the sessions, one for their visitors. */
async function writeSeen(db: DbOrTrx, seen: ReadonlyMap<string, { siteId: string; at: Date }>): Promise<void> {
  const binds = [...seen].flatMap(([id, s]) => [id, s.siteId, s.at]);
  const touched = (await db.raw(
    `UPDATE web_sessions s SET last_seen_at = v.at
     FROM (VALUES ${placeholders(seen.size, '(?, ?, ?::timestamptz)')}) AS v (id, site_id, at)
     WHERE s.id = v.id AND s.site_id = v.site_id AND s.last_seen_at < v.at
     RETURNING s.visitor_id, s.site_id, v.at`,
    binds,
  )) as { rows: { visitor_id: string; site_id: string; at: Date }[] };
  const visitors = new Map<string, { siteId: string; at: Date }>();
  for (const r of touched.rows) {
    const cur = visitors.get(r.visitor_id);
    if (!cur || cur.at < r.at) visitors.set(r.visitor_id, { siteId: r.site_id, at: r.at });
  }
  if (!visitors.size) return;
  await db.raw(
    `UPDATE visitors x SET last_seen_at = v.at
     FROM (VALUES ${placeholders(visitors.size, '(?, ?, ?::timestamptz)')}) AS v (id, site_id, at)
     WHERE x.id = v.id AND x.site_id = v.site_id AND x.last_seen_at < v.at`,
    [...visitors].flatMap(([id, v]) => [id, v.siteId, v.at]),
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
 * One statement for the visitors and one for the sessions of a batch. Rows for the same id are merged first (one
 * statement may not update a row twice): a visitor keeps the first touch of the batch, or with 'last_non_direct' the
 * last non-direct one; a session keeps its first visit's landing fields and gets every page of the batch.
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
  // A visitor id from the browser that belongs to another site is not taken over: the update is limited to the same
  // account and site, and only the sessions of visitors the statement returned are written.
  const ours = (await db.raw(
    `WITH v (id, account_id, site_id, touch, first_seen, last_seen, repl) AS (
       VALUES ${placeholders(visitors.size, '(?, ?, ?, ?::jsonb, ?::timestamptz, ?::timestamptz, ?::boolean)')})
     INSERT INTO visitors (id, account_id, site_id, first_touch, first_seen_at, last_seen_at)
     SELECT id, account_id, site_id, touch, first_seen, last_seen FROM v
     ON CONFLICT (id) DO UPDATE SET
       last_seen_at = GREATEST(visitors.last_seen_at, EXCLUDED.last_seen_at),
       first_touch = CASE WHEN visitors.first_touch IS NULL OR (SELECT v.repl FROM v WHERE v.id = EXCLUDED.id)
                          THEN EXCLUDED.first_touch ELSE visitors.first_touch END
     WHERE visitors.account_id = EXCLUDED.account_id AND visitors.site_id = EXCLUDED.site_id
     RETURNING id`,
    [...visitors.values()].flatMap((v) => [v.r.visitorId, v.r.accountId, v.r.siteId, JSON.stringify(v.touch), v.first, v.last, v.replace]),
  )) as { rows: { id: string }[] };
  const written = new Set(ours.rows.map((r) => r.id));

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
  await db.raw(
    `INSERT INTO web_sessions (id, account_id, site_id, visitor_id, channel_id, landing_url, referrer, source, medium,
       utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_ids, device, ip_hash, consent, is_bot, leased,
       pages, first_seen_at, last_seen_at, client_ids)
     VALUES ${placeholders(sessions.size, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::jsonb)')}
     ON CONFLICT (id) DO UPDATE SET
       last_seen_at = GREATEST(web_sessions.last_seen_at, EXCLUDED.last_seen_at),
       client_ids = web_sessions.client_ids || EXCLUDED.client_ids,
       leased = web_sessions.leased OR EXCLUDED.leased,
       pages = CASE WHEN jsonb_array_length(web_sessions.pages) >= ${MAX_SESSION_PAGES} THEN web_sessions.pages
                    ELSE (SELECT coalesce(jsonb_agg(p.e ORDER BY p.n), '[]'::jsonb)
                          FROM jsonb_array_elements(web_sessions.pages || EXCLUDED.pages) WITH ORDINALITY AS p (e, n)
                          WHERE p.n <= ${MAX_SESSION_PAGES}) END
     WHERE web_sessions.account_id = EXCLUDED.account_id AND web_sessions.site_id = EXCLUDED.site_id`,
    [...sessions.values()].flatMap(({ r, pages, leased, last, clientIds }) => [
      r.sessionId,
      r.accountId,
      r.siteId,
      r.visitorId,
      r.channelId,
      r.pageUrl,
      r.referrer,
      r.visit.source,
      r.visit.medium,
      r.utmSource,
      r.utmMedium,
      r.visit.campaign,
      r.visit.term,
      r.visit.content,
      JSON.stringify(r.visit.clickIds),
      JSON.stringify(r.device),
      r.ipHash,
      r.consent,
      r.isBot,
      leased,
      JSON.stringify(pages),
      r.at,
      last,
      JSON.stringify(clientIds),
    ]),
  );
}
