import { expect } from 'chai';
import { startStandIn } from './http-stand-in.js';
import type { StandIn, StandInReply, StandInRequest } from './http-stand-in.js';

export interface RetailOrder {
  id: number;
  site: string;
  fields: Record<string, unknown>;
  edits: Record<string, unknown>[];
  /** What a manager has made of it since: the order's current status and total, as GET /orders/{externalId} says. */
  state: { status: string; totalSumm: number };
}

/** One change of the order history, in the `OrdersHistoryRecord` shape of retailcrm/api-client-go (v5 types.go). */
export interface HistoryRecord {
  id: number;
  createdAt: string;
  created?: boolean;
  source: string;
  field: string;
  oldValue?: unknown;
  newValue?: unknown;
  user?: { id: number };
  order: { id: number; externalId?: string; site: string; status?: string };
}

/** "Y-m-d H:i:s", the API's date format, of the real time (the account's zone is UTC here). */
const utcNow = (): string => new Date().toISOString().slice(0, 19).replace('T', ' ');

/** Page sizes RetailCRM takes for lists (`limit`); anything else is a validation error. */
const LIMITS = ['20', '50', '100'];

/**
 * RetailCRM API v5 as api-client-php sends to it: `X-Api-Key`, form-encoded bodies whose entities are JSON strings in
 * form fields (`order=`, `calls=`), answers `{success, ...}` or `{success: false, errorMsg, errors}`. Orders are unique
 * by externalId, as in the real API.
 */
export async function startRetailCrmStandIn(apiKey: string): Promise<
  StandIn & {
    orders: Map<string, RetailOrder>;
    calls: Record<string, unknown>[];
    history: HistoryRecord[];
    /** A manager changes the order: its state changes and a change of `field` lands in the history. */
    change(externalId: string, field: 'status' | 'total_summ' | 'manager_comment', state: Partial<RetailOrder['state']>): HistoryRecord;
    foreign(n: number): void;
  }
> {
  const orders = new Map<string, RetailOrder>();
  const calls: Record<string, unknown>[] = [];
  const history: HistoryRecord[] = [];
  let nextId = 7146;
  let nextChange = 30_412;

  const form = (r: StandInRequest): URLSearchParams => {
    expect(r.headers['content-type']).to.equal('application/x-www-form-urlencoded');
    return new URLSearchParams(r.body);
  };
  const json = <T>(value: string | null, name: string): T => {
    expect(value, `form field ${name}`).to.be.a('string');
    return JSON.parse(value!) as T;
  };

  function handle(r: StandInRequest): StandInReply {
    if (r.headers['x-api-key'] !== apiKey) return { status: 403, json: { success: false, errorMsg: 'Wrong "apiKey" value.' } };
    if (r.method === 'POST' && r.path === '/api/v5/orders/create') {
      const f = form(r);
      const order = json<Record<string, unknown>>(f.get('order'), 'order');
      const externalId = String(order.externalId);
      if (orders.has(externalId)) {
        return {
          status: 400,
          json: { success: false, errorMsg: 'Errors in the entity format', errors: { externalId: 'Order with this externalId already exists' } },
        };
      }
      const id = nextId++;
      orders.set(externalId, {
        id,
        site: f.get('site') ?? '',
        fields: order,
        edits: [],
        state: { status: String(order.status ?? 'new'), totalSumm: 0 },
      });
      history.push({
        id: nextChange++,
        createdAt: utcNow(),
        created: true,
        source: 'api',
        field: 'status',
        newValue: { code: 'new' },
        order: { id, externalId, site: f.get('site') ?? '', status: 'new' },
      });
      return { status: 201, json: { success: true, id, order: { id, externalId } } };
    }
    if (r.method === 'GET' && r.path === '/api/v5/orders/history') return historyPage(r);
    const get = /^\/api\/v5\/orders\/([^/]+)$/.exec(r.path);
    if (r.method === 'GET' && get) {
      expect(r.query.get('by')).to.equal('externalId');
      const o = orders.get(decodeURIComponent(get[1]!));
      return o
        ? { status: 200, json: { success: true, order: { id: o.id, externalId: decodeURIComponent(get[1]!), site: o.site, ...o.state } } }
        : { status: 404, json: { success: false, errorMsg: 'Not found' } };
    }
    const edit = /^\/api\/v5\/orders\/([^/]+)\/edit$/.exec(r.path);
    if (r.method === 'POST' && edit) {
      const f = form(r);
      expect(f.get('by')).to.equal('externalId');
      const o = orders.get(decodeURIComponent(edit[1]!));
      if (!o) return { status: 404, json: { success: false, errorMsg: 'Not found' } };
      o.edits.push(json<Record<string, unknown>>(f.get('order'), 'order'));
      return { status: 200, json: { success: true, id: o.id, order: { id: o.id } } };
    }
    if (r.method === 'POST' && r.path === '/api/v5/telephony/calls/upload') {
      const uploaded = json<Record<string, unknown>[]>(form(r).get('calls'), 'calls');
      expect(uploaded).to.be.an('array');
      let duplicates = 0;
      for (const c of uploaded) {
        if (calls.some((k) => k.externalId === c.externalId)) duplicates++;
        else calls.push(c);
      }
      return {
        status: 200,
        json: { success: true, processedCallsCount: uploaded.length - duplicates, duplicateCalls: duplicates ? [uploaded[0]!.externalId] : [] },
      };
    }
    return { status: 404, json: { success: false, errorMsg: 'Method not found' } };
  }

  /** `filter[sinceId]` (changes after it), `filter[startDate]`, `limit`, `page`; pagination as the API reports it. */
  function historyPage(r: StandInRequest): StandInReply {
    const limit = r.query.get('limit') ?? '20';
    if (!LIMITS.includes(limit))
      return { status: 400, json: { success: false, errorMsg: 'Errors in the input parameters', errors: { limit: 'invalid' } } };
    const page = Number(r.query.get('page') ?? '1');
    const sinceId = r.query.get('filter[sinceId]');
    const startDate = r.query.get('filter[startDate]');
    if (sinceId !== null && !/^\d+$/.test(sinceId)) return { status: 400, json: { success: false, errorMsg: 'Errors in the input parameters' } };
    const all = history.filter((h) => (sinceId === null || h.id > Number(sinceId)) && (startDate === null || h.createdAt >= startDate));
    const size = Number(limit);
    const totalPageCount = Math.max(1, Math.ceil(all.length / size));
    return {
      status: 200,
      json: {
        success: true,
        generatedAt: '2026-11-25 12:00:00',
        history: all.slice((page - 1) * size, page * size),
        pagination: { limit: size, totalCount: all.length, currentPage: page, totalPageCount },
      },
    };
  }

  /** A change of an order that is not the gateway's (RetailCRM reports every order of the account). */
  function foreign(n: number): void {
    for (let i = 0; i < n; i++) {
      const id = 90_000 + nextChange;
      history.push({
        id: nextChange++,
        createdAt: utcNow(),
        created: true,
        source: 'user',
        field: 'status',
        newValue: { code: 'new' },
        order: { id, site: 'main-site', status: 'new' },
      });
    }
  }

  function change(externalId: string, field: 'status' | 'total_summ' | 'manager_comment', state: Partial<RetailOrder['state']>): HistoryRecord {
    const o = orders.get(externalId);
    if (!o) throw new Error(`no order ${externalId}`);
    const old = { ...o.state };
    Object.assign(o.state, state);
    const rec: HistoryRecord = {
      id: nextChange++,
      createdAt: utcNow(),
      source: 'user',
      field,
      ...(field === 'status' ? { oldValue: { code: old.status }, newValue: { code: o.state.status } } : {}),
      ...(field === 'total_summ' ? { oldValue: old.totalSumm, newValue: o.state.totalSumm } : {}),
      user: { id: 12 },
      order: { id: o.id, externalId, site: o.site, status: o.state.status },
    };
    history.push(rec);
    return rec;
  }

  const standIn = await startStandIn(handle);
  return Object.assign(standIn, { orders, calls, history, change, foreign });
}
