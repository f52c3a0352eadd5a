import type { Db } from '../../adapters/db/knex.js';
import type { RetailCrmHistoryReader } from '../../adapters/crm/retailcrm-history-reader.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { SecretBox } from '../../shared/secret-box.js';
import type { CrmFeedbackService } from './crm-feedback-service.js';
import type { HistorySink, PgCrmHistoryCursorStore } from './crm-history-cursor-store.js';

/** Pages of 100 changes read per sink and run: a backlog is worked off over several runs, the cursor moving each time. */
export const MAX_PAGES_PER_RUN = 10;
/** How long one replica may hold a sink's cursor (longer than a run's requests can take). */
const CLAIM_MS = 120_000;

/**
 * Deal status by polling RetailCRM's order history, for sinks with `config.statusSync = "history"` (the alternative
 * to the status trigger, where the account cannot call out). Each run reads the changes after the sink's cursor
 * (on the first run: since the sink was made), reads back each changed order of ours once, and feeds it through the
 * same mapping as the trigger (`wonStatuses` / `lostStatuses`, `totalSumm`). The cursor moves only past changes that
 * were applied, so a failed run is repeated; applying an outcome twice changes nothing.
 */
export class RetailCrmHistoryPoller {
  constructor(
    private readonly deps: {
      db: Db;
      cursors: PgCrmHistoryCursorStore;
      reader: RetailCrmHistoryReader;
      feedback: CrmFeedbackService;
      box: SecretBox;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** One run over every polling sink; returns the outcomes applied. */
  async runOnce(): Promise<number> {
    let applied = 0;
    for (const sink of await this.deps.cursors.pollingSinks(this.deps.db)) {
      applied += await this.pollSink(sink);
    }
    return applied;
  }

  private async pollSink(sink: HistorySink): Promise<number> {
    const { db, cursors, clock } = this.deps;
    const claim = await cursors.claim(db, sink, clock.now(), CLAIM_MS);
    if (!claim) return 0;
    let applied = 0;
    try {
      const access = this.access(sink);
      // The changes after the cursor, oldest first; each order once, in the order it was last changed.
      const changed = new Map<string, { id?: string; externalId?: string }>();
      let last = claim.sinceId;
      for (let page = 1; page <= MAX_PAGES_PER_RUN; page++) {
        const p = await this.deps.reader.page(access, {
          sinceId: claim.sinceId,
          startDate: claim.sinceId === null ? localDateTime(sink.createdAt, timezoneOf(sink)) : null,
          page,
        });
        for (const c of p.changes) {
          last = last === null ? c.id : Math.max(last, c.id);
          const key = c.orderExternalId ?? (c.orderId === null ? null : `#${c.orderId}`);
          if (!key) continue;
          changed.delete(key);
          changed.set(key, {
            ...(c.orderId === null ? {} : { id: String(c.orderId) }),
            ...(c.orderExternalId === null ? {} : { externalId: c.orderExternalId }),
          });
        }
        if (p.currentPage >= p.totalPageCount || p.changes.length === 0) break;
      }
      for (const ref of changed.values()) {
        // Orders that are not ours are not read back.
        const record = await this.deps.feedback.retailCrmRecord(sink, ref);
        if (!record) continue;
        // Our orders carry externalId = the lead's first call id, the call our record is filed under.
        const order = await this.deps.reader.order(access, ref.externalId ?? record.callId);
        if (!order) continue;
        const result = await this.deps.feedback.recordRetailCrmPolled(sink.id, {
          ...(order.id ? { id: order.id } : ref.id ? { id: ref.id } : {}),
          ...(order.externalId ? { externalId: order.externalId } : ref.externalId ? { externalId: ref.externalId } : {}),
          status: order.status,
          ...(order.totalSumm === null ? {} : { totalSumm: order.totalSumm }),
          ...(order.currency === null ? {} : { currency: order.currency }),
        });
        if (result) applied++;
      }
      await cursors.release(db, sink.id, { sinceId: last, now: clock.now(), error: null });
      return applied;
    } catch (err) {
      const message = (err as Error).message;
      this.deps.logger.warn({ sinkId: sink.id, err: message }, 'RetailCRM order history poll failed; it is repeated on the next run');
      await cursors.release(db, sink.id, { sinceId: null, now: clock.now(), error: message.slice(0, 500) });
      return applied;
    }
  }

  private access(sink: HistorySink): { baseUrl: string; apiKey: string; site: string } {
    const secrets = sink.secretsSealed ? (JSON.parse(this.deps.box.open(sink.secretsSealed)) as { apiKey?: unknown }) : {};
    if (typeof secrets.apiKey !== 'string') throw new Error('The sink has no RetailCRM API key');
    return { baseUrl: String(sink.config.baseUrl), apiKey: secrets.apiKey, site: String(sink.config.site) };
  }
}

const timezoneOf = (sink: HistorySink): string => (typeof sink.config.timezone === 'string' ? sink.config.timezone : 'UTC');

/** "Y-m-d H:i:s" in the account's zone, as RetailCRM's date filters take it. */
function localDateTime(d: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(d);
}
