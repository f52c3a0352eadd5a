import type { Db } from '../../adapters/db/knex.js';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../../logging/logger.js';
import type { VisitClassification } from './visit-classifier.js';
import { write } from './visit-rows-sql.js';

/** Most pages kept per web session (the landing page first); later pages are dropped. */
export const MAX_SESSION_PAGES = 50;
const MAX_QUEUE = 20_000;
/**
 * Past MAX_QUEUE a visit waits for room (the writer is behind: its row is written, its answer comes later) for at
 * most MAX_WAIT_MS, and at most MAX_WAITING visits wait at once; only beyond those is a row dropped (and counted).
 * Dropping at the full queue lost 811,649 of 848,048 rows in bench:dni-memory's embedded run, where PGlite, on a loaded
 * two-core machine, wrote fewer visits a second than the load generator sent: now the answers slow to the pace the
 * database writes at. Room comes a batch at a time, and on a starved machine it came more than 10 s apart
 * (bench:dni-memory at 152 visits/s, load average ~15: a 10 s bound still dropped 8,601 of 100,000 rows), hence 30 s.
 * Both bounds keep memory bounded (a waiting visit is one record).
 */
const MAX_WAIT_MS = 30_000;
const MAX_WAITING = 5_000;
/** Rows per statement (the embedded database takes fewer: dni-module.ts). */
const BATCH = 2_000;
/**
 * How long a visit waits for its batch. Short, so queued rows die young: held for a second they outlived V8's
 * young-generation collections and piled up in the old generation as garbage between full collections (bench:dni-memory:
 * RSS 1.75x after 100,000 sessions at 1 s, with 64 MiB live).
 */
const FLUSH_MS = 200;
// Bounded so RSS stays flat however many sessions are served (bench:dni-memory); a forgotten session only costs one
// batched row write more (its reload is recorded as a page, its heartbeat as a last-seen touch).
const MAX_REMEMBERED_SESSIONS = 20_000;
/**
 * A session's stored last-seen time is kept to this resolution: a touch within it of the last one written is
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

export type Item =
  | { kind: 'visit'; r: VisitRecord }
  | { kind: 'click'; r: TelClickRecord }
  | { kind: 'seen'; sessionId: string; siteId: string; at: Date };

/**
 * Writes the widget's visits (visitors, web_sessions), tel: clicks and heartbeats' last-seen times behind the answer,
 * in both modes: the answer does not wait on SQL while the queue has room; rows are queued and written in batches,
 * failures are logged and dropped (the lease engine, not these rows, decides who holds a number). A full queue makes
 * visits wait for room instead of dropping them (see MAX_WAIT_MS).
 */
export class VisitRecorder {
  private queue: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Rows lost so far: dropped on a full queue or in a failed batch (also logged). */
  lost = 0;

  /** Rows the database refused for their content (written apart from their batch, which still landed). */
  rejected = 0;

  /** Visits waiting for room in a full queue, oldest first. */
  private waiting: { item: Item; admit: () => void }[] = [];
  private draining: Promise<void> | null = null;

  constructor(private readonly deps: { db: Db; logger: Logger; flushMs?: number; batch?: number; maxWaitMs?: number; metrics?: VisitRowMetrics }) {}

  /**
   * Per session: the last page recorded, so a reload of it is only a "seen", and when its last-seen time
   * was last queued for writing. Bounded; the least recently recorded sessions are forgotten first.
   */
  private readonly written = new Map<string, { page: string | null; seenAt: number }>();

  /** A reload of the page this session last recorded: a last-seen touch is all it needs. */
  isRepeat(sessionId: string, pageUrl: string | undefined): boolean {
    return !!pageUrl && this.written.get(sessionId)?.page === pageUrl;
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
    this.remember(r.sessionId, r.pageUrl ?? this.written.get(r.sessionId)?.page ?? null, r.at.getTime());
    return this.submit({ kind: 'visit', r });
  }

  telClick(r: TelClickRecord): Promise<void> {
    return this.submit({ kind: 'click', r });
  }

  /** A heartbeat: the session and its visitor were seen now. Batched, to SEEN_RESOLUTION_MS. */
  seen(siteId: string, sessionId: string, at: Date): void {
    const last = this.written.get(sessionId);
    if (last && at.getTime() - last.seenAt < SEEN_RESOLUTION_MS) return;
    this.remember(sessionId, last?.page ?? null, at.getTime());
    this.enqueue({ kind: 'seen', sessionId, siteId, at });
  }

  /** Queues a visit or click; when the queue is full, waits for room (bounded) rather than dropping the row. */
  private submit(item: Item): Promise<void> {
    this.admit();
    if (this.queue.length < MAX_QUEUE) {
      this.enqueue(item);
      return Promise.resolve();
    }
    if (this.waiting.length >= MAX_WAITING) {
      this.enqueue(item); // counted as lost
      return Promise.resolve();
    }
    void this.flush();
    return new Promise<void>((resolve) => {
      const entry = {
        item,
        admit: () => {
          clearTimeout(timer);
          this.queue.push(item);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        this.drop(1);
        resolve();
      }, this.deps.maxWaitMs ?? MAX_WAIT_MS);
      this.waiting.push(entry);
    });
  }

  /** Moves waiting visits into the queue as the writer makes room, oldest first. */
  private admit(): void {
    while (this.waiting.length && this.queue.length < MAX_QUEUE) this.waiting.shift()?.admit();
  }

  private reject(n: number, err: unknown): void {
    this.rejected += n;
    this.deps.metrics?.rejected(n);
    this.deps.logger.warn({ err, rows: n }, 'visit row refused by the database, dropped');
  }

  private drop(n: number): void {
    this.lost += n;
    this.deps.metrics?.lost(n);
  }

  /**
   * Writes one batch; when the database refuses its content (a data or constraint error), the halves are written
   * apart, down to the one bad row, so a single bad value never drops the good rows around it (log2(2000) ≈ 11
   * levels: at most ~22 extra statements per bad row, and none at all in the common case).
   */
  private async writeBatch(batch: readonly Item[]): Promise<void> {
    try {
      await this.deps.db.transaction((trx) => write(trx, batch));
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (batch.length === 1) return this.reject(1, err);
      const half = Math.ceil(batch.length / 2);
      await this.writeBatch(batch.slice(0, half));
      await this.writeBatch(batch.slice(half));
    }
  }

  private enqueue(item: Item): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.drop(1);
      if (this.lost % 1000 === 1) this.deps.logger.warn({ queued: this.queue.length, lost: this.lost }, 'visit queue full, visit rows dropped');
      return;
    }
    this.queue.push(item);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.deps.flushMs ?? FLUSH_MS);
    this.timer.unref();
  }

  /** Writes everything queued so far (tests and shutdown call it; the timer does otherwise). One drain at a time. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    if (!this.queue.length && !this.waiting.length) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
    });
    await this.draining;
  }

  private async drain(): Promise<void> {
    // Each session's items in one batch, in their order, so a session seen many times in one interval becomes one
    // row write instead of one per batch it would otherwise be spread over. Grouped in one pass (it was a sort of the
    // whole queue, up to 20,000 string comparisons deep, on the thread that serves HTTP).
    const bySession = new Map<string, Item[]>();
    for (const i of this.queue) {
      const key = i.kind === 'seen' ? i.sessionId : i.r.sessionId;
      const group = bySession.get(key);
      if (group) group.push(i);
      else bySession.set(key, [i]);
    }
    this.queue = [...bySession.values()].flat();
    while (this.queue.length || this.waiting.length) {
      const batch = this.queue.splice(0, this.deps.batch ?? BATCH);
      this.admit();
      if (!batch.length) continue;
      await this.writeRetrying(batch).catch((err: unknown) => {
        this.drop(batch.length);
        this.deps.logger.error({ err, rows: batch.length }, 'visit rows not written');
      });
      // Let the requests that queued up behind this batch through before the next one.
      if (this.queue.length) await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * A deadlock or serialization failure says nothing about the rows: PostgreSQL rolled the batch back, and the
   * documented answer is to run it again (another transaction on the same visitors or sessions went first).
   */
  private async writeRetrying(batch: Item[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writeBatch(batch);
      } catch (err) {
        if (attempt >= 4 || !isTransient(err)) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 20)));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}

export interface VisitRowMetrics {
  rejected(n: number): void;
  lost(n: number): void;
}

export function createVisitRowMetrics(registry: Registry): VisitRowMetrics {
  const rejected = new Counter({
    name: 'gateway_dni_visit_rows_rejected_total',
    help: 'Widget visit rows the database refused for their content (the rest of their batch was written)',
    registers: [registry],
  });
  const lost = new Counter({
    name: 'gateway_dni_visit_rows_lost_total',
    help: 'Widget visit rows dropped on a full queue or a failed write',
    registers: [registry],
  });
  return { rejected: (n) => rejected.inc(n), lost: (n) => lost.inc(n) };
}

/** SQLSTATE class 22 (data exception) or 23 (integrity constraint): the rows, not the database, are at fault. */
const isDataError = (err: unknown): boolean => /^2[23]/.test(String((err as { code?: unknown }).code ?? ''));

/** SQLSTATE 40P01 (deadlock detected) or 40001 (serialization failure): the batch can simply run again. */
const isTransient = (err: unknown): boolean => /^40(P01|001)$/.test(String((err as { code?: unknown }).code ?? ''));
