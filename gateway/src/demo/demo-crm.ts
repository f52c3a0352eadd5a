import type { Db } from '../adapters/db/knex.js';
import type { CrmSinkService } from '../features/crm-sinks/crm-sink-service.js';
import type { Principal } from '../http/principal.js';
import { newId } from '../shared/ids.js';

/** The failed demo row's error: a real one carries the CRM's answer here. */
export const DEMO_DELIVERY_ERROR = 'Demo sample: no request was sent (a real failure shows the CRM answer here)';

/**
 * A webhook integration (disabled, pointing at a placeholder) with rows shaped like the history a working one leaves
 * behind: delivered and failed leads of calls, delivered forms and emails, CRM record ids and won deals. Nothing was
 * ever sent: every outbox row carries `demo: true` in its payload, which the console shows as a demo sample (and
 * offers no retry for), and the failed row's error says so.
 */
export async function seedDemoCrm(
  deps: { db: Db; crmSinks: CrmSinkService },
  p: {
    accountId: string;
    siteId: string;
    calls: string[];
    missed: string | null;
    inquiries: readonly { inquiryId: string; leadId: string | null }[];
    now: Date;
  },
) {
  const owner: Principal = { accountId: p.accountId, role: 'owner', userId: null, apiKeyId: null, via: 'api_key' };
  const { sink } = await deps.crmSinks.create(owner, p.siteId, {
    kind: 'webhook',
    name: 'Demo CRM (webhook)',
    config: { url: 'https://crm.example.com/hooks/calls' },
    secrets: { secret: `whsec_${Buffer.from('demo-signing-secret-0123456789ab').toString('base64')}` },
    deliverOn: ['call.ended'],
    // Disabled from its first commit: the gateway already answers calls while the demo history is written.
    disabled: true,
  });
  const rows: Record<string, unknown>[] = p.calls.map((callId, i) => ({
    id: newId(),
    account_id: p.accountId,
    topic: 'crm.lead',
    sink_id: sink.id,
    aggregate_id: callId,
    dedupe_key: `demo:${sink.id}:${callId}:call.ended`,
    payload: JSON.stringify({ callId, trigger: 'call.ended', demo: true }),
    status: 'delivered',
    attempts: 1,
    created_at: new Date(p.now.getTime() - (i + 1) * 3_600_000),
    delivered_at: new Date(p.now.getTime() - (i + 1) * 3_600_000 + 900),
  }));
  if (p.missed)
    rows.push({
      id: newId(),
      account_id: p.accountId,
      topic: 'crm.lead',
      sink_id: sink.id,
      aggregate_id: p.missed,
      dedupe_key: `demo:${sink.id}:${p.missed}:call.ended`,
      payload: JSON.stringify({ callId: p.missed, trigger: 'call.ended', demo: true }),
      status: 'dead',
      attempts: 8,
      created_at: new Date(p.now.getTime() - 30 * 3_600_000),
      last_error: DEMO_DELIVERY_ERROR,
    });
  for (const [i, x] of p.inquiries.entries())
    rows.push({
      id: newId(),
      account_id: p.accountId,
      topic: 'crm.lead',
      sink_id: sink.id,
      aggregate_id: x.leadId ?? x.inquiryId,
      dedupe_key: `demo:${sink.id}:${x.inquiryId}:inquiry.created`,
      payload: JSON.stringify({ inquiryId: x.inquiryId, leadId: x.leadId, trigger: 'inquiry.created', demo: true }),
      status: 'delivered',
      attempts: 1,
      created_at: new Date(p.now.getTime() - (i + 6) * 3_600_000),
      delivered_at: new Date(p.now.getTime() - (i + 6) * 3_600_000 + 700),
    });
  await deps.db('outbox').insert(rows);
  await deps.db('crm_leads').insert(
    p.calls.map((callId, i) => ({
      account_id: p.accountId,
      sink_id: sink.id,
      call_id: callId,
      external_record_id: `DEMO-${1001 + i}`,
      last_trigger: 'call.ended',
    })),
  );
  await deps.db('conversions').insert(
    p.calls.slice(0, 2).map((callId, i) => ({
      id: newId(),
      account_id: p.accountId,
      call_id: callId,
      sink_id: sink.id,
      external_record_id: `DEMO-${1001 + i}`,
      stage: 'won',
      status: 'won',
      revenue: i ? 480 : 1250,
      currency: 'USD',
    })),
  );
}
