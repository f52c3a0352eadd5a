import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { newId } from '../../shared/ids.js';
import { matchCall } from '../attribution/attribution-matcher.js';
import type { AttributionEvidence } from '../attribution/attribution-types.js';

describe('pool accuracy report', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  let site: { id: string };
  let pool: { id: string };
  let accountId: string;
  let numberId: string;
  const E164 = '+74951110031';

  const post = async <T>(path: string, json: unknown): Promise<T> => {
    const res = await gw.api(path, { method: 'POST', json });
    expect(res.status, `${path}: ${await res.clone().text()}`).to.equal(201);
    return (await res.json()) as T;
  };

  /** A call as the gateway stores it: the attribution is the real matcher's answer to the evidence. */
  async function aCall(startedAt: string, o: Partial<AttributionEvidence>) {
    const at = new Date(startedAt);
    const m = matchCall({
      at,
      poolKind: 'session',
      numberChannelId: null,
      live: null,
      leases: [],
      telClicks: [],
      callerHistory: null,
      sessionChannels: new Map(),
      ...o,
    });
    await t.db.knex('calls').insert({
      id: newId(),
      account_id: accountId,
      site_id: site.id,
      provider: 'asterisk',
      provider_call_id: `c-${randomBytes(4).toString('hex')}`,
      tracking_number_id: numberId,
      tracking_e164: E164,
      caller: '+79990000000',
      status: 'ended',
      started_at: at,
      session_id: m.sessionId,
      visitor_id: m.visitorId,
      attribution: JSON.stringify({ ...m, assignedAt: at.toISOString() }),
    });
  }
  const lease = (sessionId: string, from: string, to: string | null) => ({
    sessionId,
    visitorId: `v-${sessionId}`,
    leasedAt: new Date(from),
    releasedAt: to ? new Date(to) : null,
    reclaimed: false,
  });

  before(async () => {
    gw = await startTestGateway(t.db);
    site = await post('/v1/sites', {
      name: 'Moscow shop',
      publicKey: `msk-${randomBytes(4).toString('hex')}`,
      domains: ['msk.example'],
      canonicalNumbers: ['+74951234567'],
      timezone: 'Europe/Moscow',
    });
    pool = await post('/v1/pools', { siteId: site.id, name: 'Web', kind: 'session', canonicalNumber: '+74951234567' });
    numberId = (await post<{ id: string }>('/v1/tracking-numbers', { e164: E164, provider: 'asterisk', poolId: pool.id, forwardTo: '+74950000000' }))
      .id;
    accountId = ((await t.db.knex('sites').where({ id: site.id }).first('account_id')) as { account_id: string }).account_id;

    // 1 March, Moscow time (UTC+3): 22:30 UTC on 28 February is already 1 March there.
    await aCall('2026-02-28T22:30:00Z', { leases: [lease('s1', '2026-02-28T22:20:00Z', null)] });
    // A tel: click by the holder just before: certainly right.
    await aCall('2026-03-01T09:00:00Z', {
      leases: [lease('s2', '2026-03-01T08:50:00Z', null)],
      telClicks: [{ sessionId: 's2', visitorId: 'v-s2', clickedAt: new Date('2026-03-01T08:59:30Z') }],
    });
    // Caller history (its visitor held the number before) and a lapsed holder both above 0.5: ambiguous.
    await aCall('2026-03-01T10:00:00Z', {
      leases: [lease('s3', '2026-03-01T09:00:00Z', '2026-03-01T09:50:00Z')],
      callerHistory: { visitorId: 'v9', sessionId: 's9', heldNumber: true },
    });
    // 2 March: nothing to go on.
    await aCall('2026-03-02T12:00:00Z', {});
    // The tel: click of someone the number passed from beats the new holder.
    await aCall('2026-03-02T13:00:00Z', {
      live: {
        leaseId: 'l',
        sessionId: 's5',
        visitorId: 'v-s5',
        poolId: pool.id,
        leasedAt: new Date('2026-03-02T12:59:30Z'),
        lastSeenAt: new Date('2026-03-02T12:59:30Z'),
        reclaimed: false,
      },
      leases: [lease('s4', '2026-03-02T12:40:00Z', '2026-03-02T12:59:00Z')],
      telClicks: [{ sessionId: 's4', visitorId: 'v-s4', clickedAt: new Date('2026-03-02T12:58:50Z') }],
    });
    await t.db.knex('pool_health_samples').insert([
      {
        id: newId(),
        account_id: accountId,
        pool_id: pool.id,
        at: new Date('2026-03-01T12:00:00Z'),
        size: 1,
        in_use: 1,
        leases: 3,
        blocked: 2,
        reclaims: 0,
      },
      {
        id: newId(),
        account_id: accountId,
        pool_id: pool.id,
        at: new Date('2026-03-02T21:30:00Z'),
        size: 1,
        in_use: 1,
        leases: 1,
        blocked: 5,
        reclaims: 0,
      },
    ]);
  });
  after(async () => gw?.stop());

  const get = (q: string) => gw.api(`/v1/reports/pool-accuracy?${q}`);

  it('counts each day in the site time zone, with every kind of match and a lower bound from tel: clicks', async () => {
    const res = await get(`poolId=${pool.id}&from=2026-03-01&to=2026-03-04`);
    expect(res.status, await res.clone().text()).to.equal(200);
    const r = (await res.json()) as { timezone: string; days: Record<string, number | string>[]; totals: Record<string, number> };
    expect(r.timezone).to.equal('Europe/Moscow');
    expect(r.days.map((d) => d.date)).to.deep.equal(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(r.days[0]).to.include({ calls: 3, matchedUniquely: 2, ambiguous: 1, byLease: 2, byCallerHistory: 1, byTelClick: 0, unattributed: 0 });
    expect(r.days[0]).to.include({ telClickChecked: 1, correctLowerBound: 1, blockedVisits: 2 });
    // 21:30 UTC on 2 March is 00:30 on 3 March in Moscow.
    expect(r.days[1], 'the click and the new lease both stand: ambiguous').to.include({
      calls: 2,
      unattributed: 1,
      ambiguous: 1,
      byTelClick: 1,
      telClickChecked: 1,
      correctLowerBound: 1,
      blockedVisits: 0,
    });
    expect(r.days[2]).to.include({ calls: 0, blockedVisits: 5 });
    expect(r.totals).to.include({ calls: 5, correctLowerBound: 2, correctLowerBoundShare: 0.4, unattributedShare: 0.2, ambiguousShare: 0.4 });
  });

  it('answers 400 for bad ranges and 404 for a pool of another account or none', async () => {
    expect((await get(`poolId=${pool.id}&from=2026-03-05&to=2026-03-01`)).status).to.equal(400);
    expect((await get(`poolId=${pool.id}&from=2026-02-30&to=2026-03-01`)).status).to.equal(400);
    expect((await get(`poolId=${pool.id}&from=2024-01-01&to=2026-03-01`)).status).to.equal(400);
    expect((await get(`poolId=${pool.id}&from=yesterday`)).status).to.equal(400);
    expect((await get('from=2026-03-01')).status).to.equal(400);
    const missing = await get('poolId=nope');
    expect(missing.status).to.equal(404);
    expect(await missing.json()).to.have.keys('id', 'name', 'message', 'details');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${gw.baseUrl}/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(doc.paths).to.have.property('/v1/reports/pool-accuracy');
  });
});
