import { expect } from 'chai';
import { startStandIn } from './http-stand-in.js';
import type { StandIn, StandInReply, StandInRequest } from './http-stand-in.js';

/** amoCRM API v4 (amocrm-api-php): Bearer token, JSON arrays of models, `_embedded` answers, 429 when rate limited. */
export async function startAmoCrmStandIn(token: string) {
  const unsorted: Record<string, unknown>[] = [];
  const calls: Record<string, unknown>[] = [];
  const forms: Record<string, unknown>[] = [];
  const notes: Record<string, unknown>[] = [];
  let nextLead = 9001;

  function handle(r: StandInRequest): StandInReply {
    if (r.headers.authorization !== `Bearer ${token}`) return { status: 401, json: { title: 'Unauthorized', status: 401 } };
    expect(r.headers['content-type']).to.equal('application/json');
    const body = JSON.parse(r.body) as Record<string, unknown>[];
    expect(body).to.be.an('array');
    if (r.method === 'POST' && r.path === '/api/v4/leads/unsorted/sip') {
      const items = body.map((item) => {
        expect(item).to.include.keys('source_name', 'source_uid', 'created_at', 'metadata', '_embedded');
        expect(item.metadata).to.include.keys('from', 'phone', 'called_at', 'duration', 'link', 'service_code', 'uniq', 'is_call_event_needed');
        unsorted.push(item);
        const uid = `uid-${unsorted.length}`;
        return { uid, account_id: 1, request_id: '0', _embedded: { leads: [{ id: nextLead++ }], contacts: [{ id: 1 }] } };
      });
      return { status: 200, json: { _total_items: items.length, _embedded: { unsorted: items } } };
    }
    if (r.method === 'POST' && r.path === '/api/v4/leads/unsorted/forms') {
      const items = body.map((item) => {
        // FormsMetadata (amocrm-api-php): form_id, form_name, form_page, ip, form_sent_at, referer, visitor_uid.
        expect(item).to.include.keys('source_name', 'source_uid', 'created_at', 'metadata', '_embedded');
        expect(item.metadata).to.include.keys('form_id', 'form_name', 'form_page', 'form_sent_at');
        expect(Object.keys(item.metadata as object)).to.satisfy((ks: string[]) =>
          ks.every((k) => ['form_id', 'form_name', 'form_page', 'ip', 'form_sent_at', 'referer', 'visitor_uid'].includes(k)),
        );
        forms.push(item);
        const uid = `uid-f${forms.length}`;
        return { uid, account_id: 1, request_id: '0', _embedded: { leads: [{ id: nextLead++ }], contacts: [{ id: 1 }] } };
      });
      return { status: 200, json: { _total_items: items.length, _embedded: { unsorted: items } } };
    }
    if (r.method === 'POST' && r.path === '/api/v4/leads/notes') {
      for (const n of body) expect(n).to.include.keys('entity_id', 'note_type', 'params');
      notes.push(...body);
      return { status: 200, json: { _total_items: body.length, _embedded: { notes: body.map((_, i) => ({ id: i + 1 })) } } };
    }
    if (r.method === 'POST' && r.path === '/api/v4/calls') {
      calls.push(...body);
      return { status: 200, json: { _total_items: body.length, _embedded: { calls: body.map((_, i) => ({ id: i + 1 })) } } };
    }
    return { status: 404, json: { title: 'Not found' } };
  }

  const standIn: StandIn = await startStandIn(handle);
  return Object.assign(standIn, { unsorted, calls, forms, notes });
}
