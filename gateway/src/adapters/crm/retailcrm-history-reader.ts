import { ProviderError } from '../../errors/app-error.js';
import { crmRequest, redact } from './crm-http.js';
import type { HttpAnswer } from './crm-http.js';

/**
 * RetailCRM API v5 order history, the polling alternative to a status trigger: `GET /api/v5/orders/history` with
 * `filter[sinceId]` (the last change id already seen), `limit` (20, 50 or 100) and `page`, answering
 * `{success, generatedAt, history: [{id, createdAt, created, deleted, source, field, oldValue, newValue, order}],
 * pagination: {limit, totalCount, currentPage, totalPageCount}}` (retailcrm/api-client-go `OrdersHistoryFilter`,
 * `OrdersHistoryResponse`, `OrdersHistoryRecord`). A change names the order; the order itself is then read back with
 * `GET /api/v5/orders/{externalId}?by=externalId&site=` for its current status and `totalSumm`, so a change of any
 * field and a burst of changes of one order come to the same answer.
 */

export interface RetailCrmAccess {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The store code the orders were created in. */
  readonly site: string;
}

export interface HistoryChange {
  /** The change's id: the next poll asks for changes after the largest one seen. */
  readonly id: number;
  readonly orderId: number | null;
  readonly orderExternalId: string | null;
}

export interface HistoryPage {
  readonly changes: readonly HistoryChange[];
  readonly currentPage: number;
  readonly totalPageCount: number;
}

export interface RetailCrmOrderState {
  readonly id: string | null;
  readonly externalId: string | null;
  readonly status: string;
  readonly totalSumm: number | null;
  readonly currency: string | null;
}

/** The page size asked for: the largest RetailCRM allows. */
export const HISTORY_PAGE_LIMIT = 100;

interface HistoryAnswer {
  success?: boolean;
  errorMsg?: string;
  history?: { id?: unknown; order?: { id?: unknown; externalId?: unknown } | null }[];
  pagination?: { currentPage?: unknown; totalPageCount?: unknown };
  order?: { id?: unknown; externalId?: unknown; status?: unknown; totalSumm?: unknown; currency?: unknown };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

export class RetailCrmHistoryReader {
  /** `fetch` is the outbound guard's: the account URL is a tenant's. */
  constructor(private readonly deps: { timeoutMs: number; fetch: typeof fetch }) {}

  /** One page of changes after `sinceId` (or, on the first poll, from `startDate`, "Y-m-d H:i:s" in the account's zone). */
  async page(a: RetailCrmAccess, q: { sinceId: number | null; startDate: string | null; page: number }): Promise<HistoryPage> {
    const params = new URLSearchParams({ limit: String(HISTORY_PAGE_LIMIT), page: String(q.page) });
    if (q.sinceId !== null) params.set('filter[sinceId]', String(q.sinceId));
    else if (q.startDate) params.set('filter[startDate]', q.startDate);
    const body = await this.get(a, `/api/v5/orders/history?${params}`, 'orders/history');
    if (!body || !Array.isArray(body.history)) throw new ProviderError('RetailCRM orders/history: the answer has no history list');
    const changes: HistoryChange[] = [];
    for (const h of body.history) {
      const id = num(h?.id);
      if (id === null) continue;
      changes.push({ id, orderId: num(h.order?.id), orderExternalId: text(h.order?.externalId) });
    }
    return {
      changes,
      currentPage: num(body.pagination?.currentPage) ?? q.page,
      totalPageCount: num(body.pagination?.totalPageCount) ?? 1,
    };
  }

  /** The order's current state by our externalId (null: RetailCRM has no such order). */
  async order(a: RetailCrmAccess, externalId: string): Promise<RetailCrmOrderState | null> {
    const q = new URLSearchParams({ by: 'externalId', site: a.site });
    const body = await this.get(a, `/api/v5/orders/${encodeURIComponent(externalId)}?${q}`, 'orders/get', true);
    const o = body?.order;
    if (!o) return null;
    const status = text(o.status);
    if (!status) throw new ProviderError('RetailCRM orders/get: the order has no status');
    return { id: text(o.id), externalId: text(o.externalId), status, totalSumm: num(o.totalSumm), currency: text(o.currency) };
  }

  private async get(a: RetailCrmAccess, path: string, what: string, notFoundIsNull = false): Promise<HistoryAnswer | null> {
    const url = `${a.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: HttpAnswer;
    try {
      res = await crmRequest(url, {
        method: 'GET',
        headers: { 'x-api-key': a.apiKey, accept: 'application/json' },
        timeoutMs: this.deps.timeoutMs,
        signal: new AbortController().signal,
        fetch: this.deps.fetch,
      });
    } catch (err) {
      throw new ProviderError(`RetailCRM ${what} at ${redact(url)} failed: ${(err as Error).message}`);
    }
    if (notFoundIsNull && res.status === 404) return null;
    let body: HistoryAnswer | null = null;
    try {
      body = JSON.parse(res.text) as HistoryAnswer;
    } catch {
      // An HTML page (wrong URL, no such account) or nothing.
    }
    if (res.status < 200 || res.status >= 300 || !body?.success) {
      throw new ProviderError(`RetailCRM ${what} answered ${res.status}${body?.errorMsg ? `: ${body.errorMsg}` : ''}`);
    }
    return body;
  }
}
