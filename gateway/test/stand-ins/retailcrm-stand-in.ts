import { expect } from 'chai';
import { startStandIn } from './http-stand-in.js';
import type { StandIn, StandInReply, StandInRequest } from './http-stand-in.js';

export interface RetailOrder {
  id: number;
  site: string;
  fields: Record<string, unknown>;
  edits: Record<string, unknown>[];
}

/**
 * RetailCRM API v5 as api-client-php sends to it: `X-Api-Key`, form-encoded bodies whose entities are JSON strings in
 * form fields (`order=`, `calls=`), answers `{success, ...}` or `{success: false, errorMsg, errors}`. Orders are unique
 * by externalId, as in the real API.
 */
export async function startRetailCrmStandIn(
  apiKey: string,
): Promise<StandIn & { orders: Map<string, RetailOrder>; calls: Record<string, unknown>[] }> {
  const orders = new Map<string, RetailOrder>();
  const calls: Record<string, unknown>[] = [];
  let nextId = 7146;

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
      orders.set(externalId, { id, site: f.get('site') ?? '', fields: order, edits: [] });
      return { status: 201, json: { success: true, id, order: { id, externalId } } };
    }
    const get = /^\/api\/v5\/orders\/([^/]+)$/.exec(r.path);
    if (r.method === 'GET' && get) {
      expect(r.query.get('by')).to.equal('externalId');
      const o = orders.get(decodeURIComponent(get[1]!));
      return o
        ? { status: 200, json: { success: true, order: { id: o.id, externalId: get[1] } } }
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

  const standIn = await startStandIn(handle);
  return Object.assign(standIn, { orders, calls });
}
