import { expect } from 'chai';
import type { Knex } from 'knex';
import { seedChannel, seedLease, seedNumber, seedPool, seedSession, seedSite } from '../../../test/helpers/call-fixtures.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import type { TestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { isDataError } from '../call-webhooks/batched-call-event-writer.js';
import { newId } from '../../shared/ids.js';
import type { CallEvent } from './call-events.js';

/**
 * The same story of call events, on two identically seeded databases: applied one by one (`apply`, a transaction
 * each) on one, in batches (`applyMany`) on the other. Every stored result must be the same.
 */

const T0 = Date.parse('2026-11-30T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1_000);
const NUMBERS = ['+15554440001', '+15554440002', '+15554440003'];
const BLOCKED = '+15559990000';

interface World {
  sessions: string[];
  visitors: string[];
}

async function seedWorld(k: Knex, accountId: string): Promise<World> {
  const siteId = await seedSite(k, accountId, { settings: { leadWindowHours: 24 } });
  const channelId = await seedChannel(k, accountId, siteId, 'Paid');
  const poolId = await seedPool(k, accountId, siteId, { kind: 'session', channelId });
  const world: World = { sessions: [], visitors: [] };
  for (const [n, e164] of NUMBERS.entries()) {
    const numberId = await seedNumber(k, accountId, { e164, siteId, poolId });
    for (let l = 0; l < 3; l++) {
      const s = await seedSession(k, accountId, siteId, { channelId });
      world.sessions.push(s.sessionId);
      world.visitors.push(s.visitorId);
      // Leases of 100 s with 20 s gaps: some calls fall in a lease, some after one (last holder).
      const leasedAt = at(l * 120 + n * 7);
      await seedLease(k, accountId, {
        poolId,
        numberId,
        e164,
        sessionId: s.sessionId,
        visitorId: s.visitorId,
        leasedAt,
        releasedAt: at(l * 120 + n * 7 + 100),
      });
    }
  }
  // A tap on the first number by the last session, just before a call.
  await k('tel_clicks').insert({
    id: newId(),
    account_id: accountId,
    site_id: siteId,
    session_id: world.sessions.at(-1),
    e164: NUMBERS[0],
    clicked_at: at(245),
  });
  await k('blocked_callers').insert({ id: newId(), account_id: accountId, site_id: siteId, e164: BLOCKED });
  return world;
}

const tw = { provider: 'twilio' as const };
const ringing = (sid: string, s: number, number: string, caller: string): CallEvent => ({
  ...tw,
  type: 'call.ringing',
  providerCallId: sid,
  eventKey: `${sid}:voice`,
  occurredAt: at(s),
  trackingNumber: number,
  caller,
});
const answered = (sid: string, s: number): CallEvent => ({
  ...tw,
  type: 'call.answered',
  providerCallId: sid,
  eventKey: `${sid}:status:in-progress`,
  occurredAt: at(s),
  answeredBy: 'human',
});
const ended = (sid: string, s: number, outcome: 'completed' | 'no-answer' | 'busy', talkSeconds?: number): CallEvent => ({
  ...tw,
  type: 'call.ended',
  providerCallId: sid,
  eventKey: `${sid}:${talkSeconds === undefined ? 'status' : 'dial'}:${outcome}`,
  occurredAt: at(s),
  outcome,
  ...(talkSeconds === undefined ? {} : { talkSeconds }),
});
const recording = (sid: string, s: number): CallEvent => ({
  ...tw,
  type: 'recording.available',
  providerCallId: sid,
  eventKey: `${sid}:recording:RE${sid}`,
  occurredAt: at(s),
  source: {
    kind: 'twilio',
    recordingSid: `RE${sid}`,
    url: `https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE${sid}`,
    accountSid: 'AC1',
    durationSeconds: 30,
    channels: 1,
    status: 'completed',
  },
});

/** Twelve calls' events in the order they arrive: out of order, repeated, a blocked caller, a repeat caller, an unknown number. */
function story(): CallEvent[] {
  const c = (i: number) => `CA${String(i).padStart(32, '0')}`;
  const e: CallEvent[] = [];
  for (let i = 0; i < 10; i++) {
    const t = 20 + i * 30;
    const caller = i === 4 ? BLOCKED : `+1555123000${i % 7}`; // callers 0..2 call again as 7..9: they join their lead
    if (i === 3) e.push(answered(c(i), t + 4)); // before its ringing: parked, then applied when the call appears
    e.push(ringing(c(i), t, NUMBERS[i % NUMBERS.length]!, caller));
    if (i !== 3 && i % 3 !== 2) e.push(answered(c(i), t + 4));
    if (i === 1) e.push(answered(c(i), t + 4)); // a retried callback: the same key again, in the same batch
  }
  for (let i = 0; i < 10; i++) {
    const t = 20 + i * 30;
    e.push(ended(c(i), t + 25, i % 3 === 2 ? 'no-answer' : 'completed'));
    if (i % 3 === 0) e.push(ended(c(i), t + 26, 'completed', 19)); // the Dial's outcome reports the talk time
    if (i % 3 !== 2) e.push(recording(c(i), t + 30));
  }
  e.push(ringing(c(10), 400, '+15550000404', '+15551230009')); // a number nobody owns: not recorded
  e.push(answered(c(11), 410)); // a call that never rang here: parked
  e.push(...e.slice(0, 9)); // Twilio retrying a stretch of them later
  return e;
}

async function stored(k: Knex, w: World) {
  const sessionIx = (id: string | null) => (id === null ? null : w.sessions.indexOf(id));
  const calls = (await k('calls as c')
    .leftJoin('leads as l', 'l.id', 'c.lead_id')
    .leftJoin('calls as f', 'f.id', 'l.first_inquiry_id')
    .leftJoin('channels as ch', 'ch.id', 'c.channel_id')
    .select('c.*', 'f.provider_call_id as lead_first', 'l.inquiries as lead_inquiries', 'ch.name as channel')
    .orderBy('c.provider_call_id')) as Record<string, unknown>[];
  const events = (await k('call_events as e')
    .leftJoin('calls as c', 'c.id', 'e.call_id')
    .select('e.event_key', 'e.type', 'c.provider_call_id as sid')
    .orderBy('e.event_key')) as Record<string, unknown>[];
  const recordings = (await k('recordings as r')
    .join('calls as c', 'c.id', 'r.call_id')
    // Not the status: each gateway's recording worker moves it on in the background, at its own pace.
    .select('r.provider_ref', 'c.provider_call_id as sid')
    .orderBy('r.provider_ref')) as Record<string, unknown>[];
  const leads = (await k('leads').count({ n: '*' }).first()) as { n: string | number };
  return {
    calls: calls.map((c) => {
      const a = c.attribution as { method?: string; score?: number; candidates?: { method: string; sessionId: string | null; score: number }[] };
      return {
        sid: c.provider_call_id,
        status: c.status,
        outcome: c.outcome,
        answeredBy: c.answered_by,
        times: [c.started_at, c.answered_at, c.ended_at].map((d) => (d ? (d as Date).toISOString() : null)),
        seconds: [c.ring_seconds, c.talk_seconds, c.talk_reported],
        session: sessionIx(c.session_id as string | null),
        visitor: c.visitor_id === null ? null : w.visitors.indexOf(c.visitor_id as string),
        channel: c.channel,
        method: a.method ?? null,
        score: a.score ?? null,
        candidates: (a.candidates ?? []).map((x) => [x.method, sessionIx(x.sessionId), x.score]),
        firstTime: c.first_time_caller,
        blocked: c.blocked,
        lead: c.lead_first ?? null,
        leadInquiries: c.lead_inquiries ?? null,
      };
    }),
    events,
    recordings,
    leads: Number(leads.n),
  };
}

describe('call events applied in batches', function () {
  this.timeout(90_000);
  const one = useTestDatabase();
  const many = useTestDatabase();
  let gwOne: TestGateway;
  let gwMany: TestGateway;
  let worldOne: World;
  let worldMany: World;

  before(async () => {
    gwOne = await startTestGateway(one.db);
    gwMany = await startTestGateway(many.db);
    worldOne = await seedWorld(one.db.knex, gwOne.accountId);
    worldMany = await seedWorld(many.db.knex, gwMany.accountId);
  });

  const check = async (a: TestDatabase, wa: World, b: TestDatabase, wb: World) => {
    const [x, y] = [await stored(a.knex, wa), await stored(b.knex, wb)];
    expect(x.calls.length).to.equal(10);
    expect(y).to.deep.equal(x);
    return x;
  };

  it('stores exactly what applying them one by one stores, repeats included', async () => {
    const events = story();
    for (const e of events) await gwOne.container.services.calls.apply(e);
    // Batches that cut across calls, then the whole story once more (every event a replay).
    for (let i = 0; i < events.length; i += 7) {
      const results = await gwMany.container.services.calls.applyMany(events.slice(i, i + 7));
      expect(results.every((r) => r === null)).to.equal(true);
    }
    expect((await gwMany.container.services.calls.applyMany(events)).every((r) => r === null)).to.equal(true);
    const x = await check(one.db, worldOne, many.db, worldMany);
    // The story is what it claims to be: a parked answer applied, a blocked call without a lead, a joined lead.
    const bySid = new Map(x.calls.map((c) => [c.sid, c]));
    expect(bySid.get(`CA${'3'.padStart(32, '0')}`)?.answeredBy).to.equal('human');
    expect(bySid.get(`CA${'4'.padStart(32, '0')}`)).to.include({ blocked: true, lead: null });
    expect(bySid.get(`CA${'7'.padStart(32, '0')}`)?.lead).to.equal(`CA${'0'.padStart(32, '0')}`);
    expect(x.calls.filter((c) => c.session !== null).length).to.be.greaterThan(3);
    expect(x.recordings.length).to.equal(7);
    expect(x.events.filter((e) => e.sid === null).map((e) => e.event_key)).to.deep.equal([`CA${'11'.padStart(32, '0')}:status:in-progress`]);
  });

  it('a bad event fails alone: the rest of its batch is applied, as one by one', async () => {
    const sid = (i: number) => `CA${String(i).padStart(30, '0')}ff`;
    const events = [
      ringing(sid(1), 600, NUMBERS[0]!, '+15551231111'),
      // PostgreSQL refuses a NUL byte in jsonb: a data error of this event only.
      ringing(sid(2), 601, NUMBERS[1]!, '+1555\u00001231112'),
      answered(sid(1), 605),
      // The same caller again, in the same batch: it must see the call before it (not a first-time caller, same lead).
      ringing(sid(3), 602, NUMBERS[2]!, '+15551231111'),
    ];
    const singly: (unknown | null)[] = [];
    for (const e of events)
      singly.push(
        await gwOne.container.services.calls.apply(e).then(
          () => null,
          (err: unknown) => err,
        ),
      );
    const batched = await gwMany.container.services.calls.applyMany(events);
    expect(singly.map((r) => r !== null && isDataError(r))).to.deep.equal([false, true, false, false]);
    expect(batched.map((r) => r !== null && isDataError(r))).to.deep.equal([false, true, false, false]);
    const x = await stored(one.db.knex, worldOne);
    expect(await stored(many.db.knex, worldMany)).to.deep.equal(x);
    const again = x.calls.find((c) => c.sid === sid(3));
    expect(again).to.include({ firstTime: false, lead: sid(1) });
  });
});
