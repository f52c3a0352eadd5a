import { expect } from 'chai';
import { startStandIn } from './http-stand-in.js';
import type { StandIn, StandInReply, StandInRequest } from './http-stand-in.js';

/**
 * Bitrix24 REST as b24restdocs describes it: an incoming webhook `/rest/{user}/{code}/{method}.json` with a JSON body,
 * `{result, time}` answers, `{error, error_description}` errors; `telephony.externalCall.*` only with an application's
 * `auth` token (WRONG_AUTH_TYPE through a webhook), and attachRecord only after finish.
 */
export async function startBitrix24StandIn(o: { user: string; code: string; appToken: string }) {
  const leads = new Map<number, Record<string, unknown>>();
  const deals = new Map<number, Record<string, unknown>>();
  const telephony: { method: string; params: Record<string, unknown> }[] = [];
  const finished = new Set<string>();
  let nextId = 3465;
  const time = { start: 1705764932.99, finish: 1705764933.17, duration: 0.18, operating: 0.01, operating_reset_at: 1705765533 };
  const ok = (result: unknown): StandInReply => ({ status: 200, json: { result, time } });
  const fail = (status: number, error: string, error_description: string): StandInReply => ({ status, json: { error, error_description } });

  function handle(r: StandInRequest): StandInReply {
    expect(r.method).to.equal('POST');
    expect(r.headers['content-type']).to.equal('application/json');
    const body = JSON.parse(r.body) as Record<string, unknown>;
    const hook = new RegExp(`^/rest/${o.user}/${o.code}/([a-zA-Z.]+)\\.json$`).exec(r.path);
    const app = /^\/rest\/([a-zA-Z.]+)\.json$/.exec(r.path);
    const method = (hook?.[1] ?? app?.[1] ?? '').toLowerCase();
    if (!hook && !app) return fail(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
    if (app && body.auth !== o.appToken) return fail(401, 'expired_token', 'The access token provided has expired.');
    if (method.startsWith('telephony.')) {
      if (!app) return fail(401, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method');
      telephony.push({ method, params: body });
      if (method === 'telephony.externalcall.register') {
        expect(body).to.include.keys('USER_ID', 'PHONE_NUMBER', 'TYPE', 'EXTERNAL_CALL_ID');
        return ok({ CALL_ID: `externalCall.${String(body.EXTERNAL_CALL_ID)}`, CRM_CREATED_LEAD: null, CRM_CREATED_ENTITIES: [] });
      }
      if (method === 'telephony.externalcall.finish') {
        finished.add(String(body.CALL_ID));
        return ok({ CALL_ID: body.CALL_ID, CALL_DURATION: body.DURATION, CALL_STATUS: 1 });
      }
      if (method === 'telephony.externalcall.attachrecord') {
        if (!finished.has(String(body.CALL_ID)))
          return fail(400, 'ERROR_CORE', 'Call is not found in the statistic table. It looks like it is not finished yet.');
        return ok({ FILE_ID: 9079 });
      }
    }
    if (method === 'crm.lead.add') {
      const fields = body.fields as Record<string, unknown>;
      expect(fields).to.include.keys('TITLE', 'PHONE', 'SOURCE_ID', 'ORIGIN_ID');
      const id = nextId++;
      leads.set(id, { ...fields });
      return ok(id);
    }
    if (method === 'crm.lead.list') {
      const filter = body.filter as Record<string, unknown>;
      const found = [...leads.entries()].filter(([, l]) => l.ORIGIN_ID === filter.ORIGIN_ID && l.ORIGINATOR_ID === filter.ORIGINATOR_ID);
      return { status: 200, json: { result: found.map(([id]) => ({ ID: String(id) })), total: found.length, time } };
    }
    if (method === 'crm.lead.update') {
      const lead = leads.get(Number(body.id));
      if (!lead) return fail(400, 'ERROR_CORE', 'Not found');
      Object.assign(lead, body.fields);
      return ok(true);
    }
    if (method === 'crm.lead.get' || method === 'crm.deal.get') {
      // b24restdocs crm-lead-get / crm-deal-get: `{id}`; the entity's fields with string values; "Not found" for an unknown id.
      expect(body).to.have.keys('id');
      const found = (method === 'crm.lead.get' ? leads : deals).get(Number(body.id));
      if (!found) return fail(400, '', 'Not found');
      return ok({ ID: String(body.id), ...found });
    }
    return fail(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
  }

  const standIn: StandIn = await startStandIn(handle);
  return Object.assign(standIn, { leads, deals, telephony });
}
