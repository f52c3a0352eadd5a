import { expect } from 'chai';
import type { Knex } from 'knex';
import { seedChannel, seedLease, seedNumber, seedPool, seedSession, seedSite } from '../../../test/helpers/call-fixtures.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import type { TestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { startStandIn } from '../../../test/stand-ins/http-stand-in.js';
import type { StandIn } from '../../../test/stand-ins/http-stand-in.js';
import { newId } from '../../shared/ids.js';
import type { LiveHolder, LiveLeaseLookup } from '../attribution/attribution-types.js';
import type { CallEvent } from './call-events.js';

/**
 * New calls written together (`RingingBatchWriter`): the same stream applied one event at a time on one database and
 * in large batches on an identically seeded other, where most of a batch is one run of new calls whose reads depend
 * on each other: one caller twice (first-time flag, caller history, lead), one tracking number several times (open
 * taps closed by the call before), a parked answer claimed, a blocked, an anonymous and an unknown-number call.
 * Calls, attribution, ledger, leads and outbox rows (in order per lead) must be the same.
 */

const T0 = Date.parse('2026-11-30T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1_000);
const N = ['+15556660001', '+15556660002', '+15556660003'];
const BLOCKED = '+15556669999';
const A = '+15551110001';
const B = '+15551110002';
const C = '+15551110003';
const sid = (i: number) => `CA${String(i).padStart(32, '7')}`;

interface World {
  sessions: string[];
  visitors: string[];
}

async function seedWorld(k: Knex, gw: TestGateway, hook: StandIn): Promise<World> {
  const accountId = gw.accountId;
  const siteId = await seedSite(k, accountId, { settings: { leadWindowHours: 24 } });
  const channelId = await seedChannel(k, accountId, siteId, 'Paid');
  const poolId = await seedPool(k, accountId, siteId, { kind: 'session', channelId });
  const w: World = { sessions: [], visitors: [] };
  const session = async () => {
    const s = await seedSession(k, accountId, siteId, { channelId });
    w.sessions.push(s.sessionId);
    w.visitors.push(s.visitorId);
    return s;
  };
  // N0: one old lease (a last holder) and taps; N1: a lease held through the calls; N2: two leases in turn.
  const spans: [number, number, number][] = [
    [0, 0, 100],
    [1, 150, 600],
    [2, 0, 280],
    [2, 285, 600],
  ];
  const ids: string[] = [];
  for (const e164 of N) ids.push(await seedNumber(k, accountId, { e164, siteId, poolId }));
  for (const [n, from, to] of spans) {
    const s = await session();
    await seedLease(k, accountId, { poolId, numberId: ids[n]!, e164: N[n]!, ...s, leasedAt: at(from), releasedAt: at(to) });
  }
  // Two visitors tap N0 shortly before the calls to it: the first call closes its tapper's tap for the next one.
  for (const t of [240, 245]) {
    const s = await session();
    await k('tel_clicks').insert({ id: newId(), account_id: accountId, site_id: siteId, session_id: s.sessionId, e164: N[0], clicked_at: at(t) });
  }
  await k('blocked_callers').insert({ id: newId(), account_id: accountId, site_id: siteId, e164: BLOCKED });
  const res = await gw.api(`/v1/sites/${siteId}/crm-sinks`, {
    method: 'POST',
    json: {
      kind: 'webhook',
      name: 'Hook',
      config: { url: `${hook.url}/hook` },
      secrets: { secret: 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=' },
      deliverOn: ['call.started', 'call.ended'],
    },
  });
  expect(res.status).to.equal(201);
  return w;
}

const tw = { provider: 'twilio' as const };
const ringing = (i: number, s: number, number: string, caller: string): CallEvent => ({
  ...tw,
  type: 'call.ringing',
  providerCallId: sid(i),
  eventKey: `${sid(i)}:voice`,
  occurredAt: at(s),
  trackingNumber: number,
  caller,
});
const answered = (i: number, s: number): CallEvent => ({
  ...tw,
  type: 'call.answered',
  providerCallId: sid(i),
  eventKey: `${sid(i)}:status:in-progress`,
  occurredAt: at(s),
  answeredBy: 'human',
});
const ended = (i: number, s: number): CallEvent => ({
  ...tw,
  type: 'call.ended',
  providerCallId: sid(i),
  eventKey: `${sid(i)}:status:completed`,
  occurredAt: at(s),
  outcome: 'completed',
});

function stream(): CallEvent[] {
  return [
    answered(5, 304), // before its call: parked, then claimed by the run that creates the call
    ringing(1, 250, N[0]!, A), // a tapper's call
    ringing(2, 255, N[0]!, B), // the same number: the first tap is closed by call 1
    ringing(3, 260, N[1]!, A), // the same caller: not first-time, caller history from call 1, joins its lead
    ringing(4, 262, N[1]!, BLOCKED),
    ringing(5, 300, N[2]!, C),
    ringing(6, 301, N[2]!, 'anonymous'),
    ringing(7, 302, '+15550000404', B), // nobody's number: not recorded
    ringing(8, 310, N[0]!, B), // B again, on the number B called: lead joined, history from call 2
    ringing(9, 320, N[2]!, A), // A a third time
    ringing(10, 400, N[0]!, '+15551110004'), // past the tel-click window: the taps still open count, call 1's is closed
    ringing(1, 250, N[0]!, A), // a replay inside the batch
    answered(1, 256),
    answered(3, 266),
    ended(1, 290),
    ended(3, 300),
    ended(5, 340),
  ];
}

async function stored(k: Knex, w: World) {
  const ix = (id: unknown) => (id === null ? null : w.sessions.indexOf(id as string));
  const calls = (await k('calls as c')
    .leftJoin('leads as l', 'l.id', 'c.lead_id')
    .leftJoin('calls as f', 'f.id', 'l.first_inquiry_id')
    .select('c.*', 'f.provider_call_id as lead_first', 'l.inquiries', 'l.last_inquiry_at')
    .orderBy('c.provider_call_id')) as Record<string, unknown>[];
  const sidOf = new Map(calls.map((c) => [c.id as string, c.provider_call_id as string]));
  const leadFirst = new Map(calls.map((c) => [c.lead_id as string, c.lead_first as string]));
  const events = (await k('call_events as e')
    .leftJoin('calls as c', 'c.id', 'e.call_id')
    .select('e.event_key', 'e.type', 'c.provider_call_id as sid')
    .orderBy('e.event_key')) as Record<string, unknown>[];
  const outbox = (await k('outbox').select('aggregate_id', 'dedupe_key', 'payload', 'topic').orderBy('id')) as {
    aggregate_id: string;
    dedupe_key: string;
    payload: { callId: string; leadId?: string; trigger: string };
    topic: string;
  }[];
  return {
    calls: calls.map((c) => {
      const a = c.attribution as { method?: string; score?: number; candidates?: { method: string; sessionId: string | null; score: number }[] };
      return {
        sid: c.provider_call_id,
        status: c.status,
        answeredAt: c.answered_at,
        endedAt: c.ended_at,
        seconds: [c.ring_seconds, c.talk_seconds],
        session: ix(c.session_id),
        visitor: c.visitor_id === null ? null : w.visitors.indexOf(c.visitor_id as string),
        method: a.method ?? null,
        score: a.score ?? null,
        candidates: (a.candidates ?? []).map((x) => [x.method, ix(x.sessionId), x.score]),
        firstTime: c.first_time_caller,
        blocked: c.blocked,
        lead: c.lead_first ?? null,
        inquiries: c.inquiries ?? null,
        lastInquiry: c.last_inquiry_at ?? null,
      };
    }),
    events,
    leads: ((await k('leads').select('contact', 'inquiries', 'started_at').orderBy(['contact', 'started_at'])) as unknown[]).length,
    // Per lead, the rows in the order they were written: a repeat call's row never before the lead's first.
    outbox: outbox.map((o) => [o.topic, leadFirst.get(o.aggregate_id) ?? sidOf.get(o.aggregate_id), sidOf.get(o.payload.callId), o.payload.trigger]),
  };
}

describe('new calls of a batch written together', function () {
  this.timeout(90_000);
  const one = useTestDatabase();
  const many = useTestDatabase();
  let hook: StandIn;
  let gwOne: TestGateway;
  let gwMany: TestGateway;
  let wOne: World;
  let wMany: World;
  // The batched side's live lease lookups, counted: one per batch, not one per new call.
  const lookups = { one: 0, many: 0 };
  const liveLeases: LiveLeaseLookup = {
    currentHolder: (e164: string, t: Date): Promise<LiveHolder | null> => {
      lookups.one++;
      return gwMany.container.services.leases.currentHolder(e164, t);
    },
    currentHolders: (items: readonly { e164: string; at: Date }[]) => {
      lookups.many++;
      return gwMany.container.services.leases.currentHolders(items);
    },
  };

  before(async () => {
    hook = await startStandIn(() => ({ status: 503 }));
    gwOne = await startTestGateway(one.db);
    gwMany = await startTestGateway(many.db, { container: { liveLeases } });
    wOne = await seedWorld(one.db.knex, gwOne, hook);
    wMany = await seedWorld(many.db.knex, gwMany, hook);
  });
  after(async () => {
    await hook.close();
  });

  const statementsDuring = async (db: TestDatabase, run: () => Promise<unknown>) => {
    let n = 0;
    const count = () => n++;
    db.knex.on('query', count);
    try {
      await run();
    } finally {
      db.knex.off('query', count);
    }
    return n;
  };

  it('stores what one by one stores, with a fixed set of statements per run instead of some twenty per call', async () => {
    const events = stream();
    const singly = await statementsDuring(one.db, async () => {
      for (const e of events) await gwOne.container.services.calls.apply(e);
    });
    let batched = 0;
    lookups.one = 0;
    lookups.many = 0;
    batched = await statementsDuring(many.db, async () => {
      const results = await gwMany.container.services.calls.applyMany(events);
      expect(results).to.deep.equal(events.map(() => null));
    });
    const x = await stored(one.db.knex, wOne);
    expect(await stored(many.db.knex, wMany)).to.deep.equal(x);

    // The stream is what it claims to be.
    const call = new Map(x.calls.map((c) => [c.sid, c]));
    expect(x.calls.map((c) => c.sid)).to.deep.equal([10, 1, 2, 3, 4, 5, 6, 8, 9].map(sid));
    expect(call.get(sid(1))).to.include({ firstTime: true, lead: sid(1) });
    expect(call.get(sid(3))).to.include({ firstTime: false, lead: sid(1) });
    expect(call.get(sid(9))).to.include({ firstTime: false, lead: sid(1), inquiries: 3 });
    expect(call.get(sid(8))).to.include({ firstTime: false, lead: sid(2) });
    expect(call.get(sid(4))).to.include({ blocked: true, lead: null });
    expect(call.get(sid(5))?.answeredAt).to.not.equal(null);
    // Caller history found through calls of the same batch: call 1's session for call 3, call 3's for call 9.
    expect(call.get(sid(3))?.candidates).to.deep.include(['caller_history', call.get(sid(1))!.session, 0.8]);
    expect(call.get(sid(9))?.candidates).to.deep.include(['caller_history', call.get(sid(3))!.session, 0.8]);
    expect(x.outbox.length).to.be.greaterThan(8);

    // Without the run (the per-event statements inside one transaction) this batch took about as many as one by one.
    expect(batched).to.be.lessThan(singly * 0.6);
    // The live lease holders of the batch's new calls in one lookup (one query on the SQL lease store), not one each.
    expect(lookups).to.deep.equal({ one: 0, many: 1 });
  });

  it('writes a run of new calls to `calls` once, with their leads in the row', async () => {
    const fresh = [20, 21, 22, 23].map((i, j) => ringing(i, 500 + j, N[j % 3]!, j === 3 ? A : `+155522200${j}`));
    const writes: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^\s*(insert\s+into|update)\s+"?calls"?\s/i.test(q.sql)) writes.push(q.sql);
    };
    many.db.knex.on('query', onQuery);
    try {
      expect(await gwMany.container.services.calls.applyMany(fresh)).to.deep.equal(fresh.map(() => null));
    } finally {
      many.db.knex.off('query', onQuery);
    }
    // Setting the lead after the insert was a second write of every new call (and a second refresh of its facts).
    expect(writes).to.have.length(1);
    const rows = (await many.db
      .knex('calls as c')
      .join('leads as l', 'l.id', 'c.lead_id')
      .whereIn(
        'c.provider_call_id',
        fresh.map((e) => e.providerCallId),
      )
      .select('c.provider_call_id', 'l.first_inquiry_id', 'c.id')
      .orderBy('c.provider_call_id')) as { provider_call_id: string; first_inquiry_id: string; id: string }[];
    expect(rows.map((r) => r.provider_call_id)).to.deep.equal(fresh.map((e) => e.providerCallId));
    // Caller A called within the lead window before: the call joins A's lead; the others open their own.
    expect(rows.map((r) => r.first_inquiry_id === r.id)).to.deep.equal([true, true, true, false]);
    const facts = (await many.db
      .knex('report_call_facts')
      .whereIn(
        'event_id',
        rows.map((r) => r.id),
      )
      .whereNotNull('lead_id')
      .count({ n: '*' })
      .first()) as { n: string | number };
    expect(Number(facts.n), 'the report facts name each call’s lead (three models each)').to.equal(12);
  });

  it('writes a run of answers, ends and recordings of existing calls with one update of `calls`', async () => {
    const ids = [20, 21, 22, 23];
    const recording = (i: number, sec: number): CallEvent => ({
      ...tw,
      type: 'recording.available',
      providerCallId: sid(i),
      eventKey: `${sid(i)}:recording:RE${i}`,
      occurredAt: at(sec),
      source: {
        kind: 'twilio',
        recordingSid: `RE${i}`,
        url: `https://api.twilio.com/RE${i}`,
        accountSid: 'AC0',
        durationSeconds: 30,
        channels: 1,
        status: 'completed',
      },
    });
    const events = [
      ...ids.map((i, j) => answered(i, 510 + j)),
      answered(20, 510), // a replay in the run
      ...ids.map((i, j) => ended(i, 560 + j)),
      recording(20, 570),
    ];
    const writes: string[] = [];
    let leadReads = 0;
    const onQuery = (q: { sql: string }) => {
      if (/^\s*(insert\s+into|update)\s+"?(calls|call_events|recordings)"?\s/i.test(q.sql)) writes.push(q.sql.split(/\s+/).slice(0, 3).join(' '));
      if (/^\s*select\b.*\bfrom\s+"leads"/is.test(q.sql)) leadReads++;
    };
    many.db.knex.on('query', onQuery);
    try {
      expect(await gwMany.container.services.calls.applyMany(events)).to.deep.equal(events.map(() => null));
    } finally {
      many.db.knex.off('query', onQuery);
    }
    // One by one, each event was its own ledger insert and call update (and refreshed the call's report facts).
    expect(writes.sort()).to.deep.equal(['UPDATE calls c', 'insert into "call_events"', 'insert into "recordings"']);
    // The lead hook read each call and its lead per answer and end; now the calls' leads at once.
    expect(leadReads).to.equal(1);
    const rows = (await many.db
      .knex('calls')
      .whereIn('provider_call_id', ids.map(sid))
      .orderBy('provider_call_id')
      .select('status', 'outcome', 'ring_seconds', 'talk_seconds')) as Record<string, unknown>[];
    expect(rows).to.deep.equal(ids.map(() => ({ status: 'ended', outcome: 'completed', ring_seconds: 10, talk_seconds: 50 })));
    expect(Number(((await many.db.knex('recordings').where({ provider_ref: 'RE20' }).count({ n: '*' }).first()) as { n: unknown }).n)).to.equal(1);
  });

  it('applies a second batch of the same stream as replays: nothing changes on either side', async () => {
    const before = await stored(many.db.knex, wMany);
    expect((await gwMany.container.services.calls.applyMany(stream())).every((r) => r === null)).to.equal(true);
    expect(await stored(many.db.knex, wMany)).to.deep.equal(before);
  });
});
