import type { Db, DbOrTrx } from '../../adapters/db/knex.js';
import type { Logger } from '../../logging/logger.js';
import { newId } from '../../shared/ids.js';
import type { VisitClassification } from './visit-classifier.js';

/** Most pages kept per web session (the landing page first); later pages are dropped. */
export const MAX_SESSION_PAGES = 50;
const MAX_QUEUE = 10_000;
const BATCH = 200;

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

  constructor(private readonly deps: { db: Db; logger: Logger; mode: 'behind' | 'direct'; flushMs?: number }) {}

  visit(r: VisitRecord): Promise<void> {
    return this.submit({ kind: 'visit', r });
  }

  telClick(r: TelClickRecord): Promise<void> {
    return this.submit({ kind: 'click', r });
  }

  /** A heartbeat: the session and its visitor were seen now. Always batched (cheap, and only a timestamp). */
  seen(siteId: string, sessionId: string, at: Date): void {
    this.enqueue({ kind: 'seen', sessionId, siteId, at });
  }

  private submit(item: Item): Promise<void> {
    if (this.deps.mode === 'direct') return this.deps.db.transaction((trx) => write(trx, [item]));
    this.enqueue(item);
    return Promise.resolve();
  }

  private enqueue(item: Item): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.deps.logger.warn({ queued: this.queue.length }, 'visit queue full, a visit row is dropped');
      return;
    }
    this.queue.push(item);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.deps.flushMs ?? 200);
    this.timer.unref();
  }

  /** Writes everything queued so far (tests and shutdown call it; the timer does otherwise). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    while (this.queue.length) {
      const batch = this.queue.splice(0, BATCH);
      this.running = this.deps.db
        .transaction((trx) => write(trx, batch))
        .catch((err: unknown) => this.deps.logger.error({ err, rows: batch.length }, 'visit rows not written'))
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
  const seen = new Map<string, { siteId: string; at: Date }>();
  for (const item of items) {
    if (item.kind === 'visit') await writeVisit(db, item.r);
    else if (item.kind === 'click')
      await db('tel_clicks').insert({
        id: newId(),
        account_id: item.r.accountId,
        site_id: item.r.siteId,
        session_id: item.r.sessionId,
        e164: item.r.e164,
        clicked_at: item.r.at,
      });
    else seen.set(item.sessionId, { siteId: item.siteId, at: item.at });
  }
  for (const [id, { siteId, at }] of seen) {
    const rows = (await db('web_sessions')
      .where({ id, site_id: siteId })
      .where('last_seen_at', '<', at)
      .update({ last_seen_at: at }, ['visitor_id'])) as { visitor_id: string }[];
    for (const r of rows)
      await db('visitors').where({ id: r.visitor_id, site_id: siteId }).where('last_seen_at', '<', at).update({ last_seen_at: at });
  }
}

async function writeVisit(db: DbOrTrx, r: VisitRecord): Promise<void> {
  const v = r.visit;
  const touch = {
    channelId: r.channelId,
    source: v.source,
    medium: v.medium,
    campaign: v.campaign,
    term: v.term,
    content: v.content,
    clickIds: v.clickIds,
    referrer: r.referrer,
    landingUrl: r.pageUrl,
    at: r.at.toISOString(),
  };
  const replace = r.attributionTouch === 'last_non_direct' && v.kind !== 'direct';
  // A visitor or session id from the browser that belongs to another site is not taken over: the update is
  // limited to the same account and site, and the session is only written when the visitor row is ours.
  const visitor = await db.raw(
    `INSERT INTO visitors (id, account_id, site_id, first_touch, first_seen_at, last_seen_at)
     VALUES (?, ?, ?, ?::jsonb, ?, ?)
     ON CONFLICT (id) DO UPDATE SET
       last_seen_at = GREATEST(visitors.last_seen_at, EXCLUDED.last_seen_at),
       first_touch = CASE WHEN ? OR visitors.first_touch IS NULL THEN EXCLUDED.first_touch ELSE visitors.first_touch END
     WHERE visitors.account_id = EXCLUDED.account_id AND visitors.site_id = EXCLUDED.site_id
     RETURNING id`,
    [r.visitorId, r.accountId, r.siteId, JSON.stringify(touch), r.at, r.at, replace],
  );
  if ((visitor as { rows: unknown[] }).rows.length === 0) return;
  const pages = JSON.stringify(r.pageUrl ? [r.pageUrl] : []);
  await db.raw(
    `INSERT INTO web_sessions (id, account_id, site_id, visitor_id, channel_id, landing_url, referrer, source, medium,
       utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_ids, device, ip_hash, consent, is_bot, leased,
       pages, first_seen_at, last_seen_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?::jsonb, ?, ?)
     ON CONFLICT (id) DO UPDATE SET
       last_seen_at = GREATEST(web_sessions.last_seen_at, EXCLUDED.last_seen_at),
       leased = web_sessions.leased OR EXCLUDED.leased,
       pages = CASE WHEN jsonb_array_length(web_sessions.pages) >= ${MAX_SESSION_PAGES} THEN web_sessions.pages
                    ELSE web_sessions.pages || EXCLUDED.pages END
     WHERE web_sessions.account_id = EXCLUDED.account_id AND web_sessions.site_id = EXCLUDED.site_id`,
    [
      r.sessionId,
      r.accountId,
      r.siteId,
      r.visitorId,
      r.channelId,
      r.pageUrl,
      r.referrer,
      v.source,
      v.medium,
      r.utmSource,
      r.utmMedium,
      v.campaign,
      v.term,
      v.content,
      JSON.stringify(v.clickIds),
      JSON.stringify(r.device),
      r.ipHash,
      r.consent,
      r.isBot,
      r.leased,
      pages,
      r.at,
      r.at,
    ],
  );
}
