import { expect } from 'chai';
import type { Scenario } from '../../../test/helpers/analytics-scenario.js';
import { startStory } from '../../../test/helpers/analytics-story.js';
import type { Story } from '../../../test/helpers/analytics-story.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import type { Principal } from '../../http/principal.js';
import { ManualClock } from '../../shared/clock.js';
import { reportFactsCatchUpJob } from './report-facts-catch-up.js';
import { ReportReadModel } from './report-read-model.js';
import { ReportService } from './report-service.js';
import { GROUP_BYS, MODELS } from './report-types.js';
import type { Report, ReportFilter } from './report-types.js';

/**
 * The fact tables the database maintains give the same report as attributing the source rows at read time, for every
 * groupBy, model and filter, and stay so after every kind of change the facts depend on: CRM outcomes, a manager's
 * re-assignment, a time zone change, a session flagged as a bot, a visit written late, a deleted session and call.
 */
describe('reports: the fact tables agree with the live attribution', function () {
  this.timeout(180_000);
  const t = useTestDatabase();
  let story: Story;
  let s: Scenario;
  let principal: Principal;
  let live: ReportService;
  let facts: ReportService;
  const filters: ReportFilter[] = [{}, { outcome: 'no-answer' }, { firstTime: true }, { firstTime: false }];
  before(async () => {
    story = await startStory(t.db);
    ({ s } = story);
    const site = (await t.db.knex('sites').where({ id: s.siteId }).first('account_id')) as { account_id: string };
    principal = { accountId: site.account_id, role: 'analyst', userId: null, apiKeyId: null, via: 'api_key' };
    live = new ReportService({ db: t.db.knex, readModel: new ReportReadModel('live') });
    facts = new ReportService({ db: t.db.knex, readModel: new ReportReadModel('facts') });
  });
  after(() => s?.gw.stop());

  /** Dimensions a change of attribution, lead or clock moves: the lighter check after most steps. */
  const SOME: readonly (typeof GROUP_BYS)[number][] = ['channel', 'campaign', 'device', 'date', 'hour'];

  /** The groupBys (every one unless `only`) under every model, and the filters under the default model. */
  async function expectSame(step: string, only: readonly (typeof GROUP_BYS)[number][] = GROUP_BYS): Promise<Report[]> {
    const seen: Report[] = [];
    const cases: { groupBy: (typeof GROUP_BYS)[number]; model: (typeof MODELS)[number]; filter: ReportFilter }[] = [];
    for (const model of MODELS) for (const groupBy of only) cases.push({ groupBy, model, filter: {} });
    for (const filter of [...filters, { channelId: s.channels.google }, { channelId: s.channels.direct }, { kinds: ['call'] }])
      cases.push({ groupBy: 'channel', model: 'last_non_direct', filter });
    for (const c of cases) {
      const q = { siteId: s.siteId, from: '2026-11-19', to: '2026-11-22', lang: 'en' as const, ...c };
      const [a, b] = await Promise.all([live.summary(principal, q), facts.summary(principal, q)]);
      expect(b, `${step}: ${c.groupBy} / ${c.model} / ${JSON.stringify(c.filter)}`).to.deep.equal(a);
      seen.push(b);
    }
    return seen;
  }

  const channelRow = (r: Report, key: string | null) => r.rows.find((x) => x.key === key);

  it('on the story as recorded, and after CRM outcomes (won, lost, reopened)', async () => {
    const before = await expectSame('recorded');
    // The premise: the story's calls are in the facts (six calls over the two days).
    expect(before[0]!.totals.calls).to.equal(6);
    await s.settled();
    for (const [callId, status, amount] of [
      [story.calls.c5, 'won', 25000],
      [story.calls.c6, 'won', 8000.5],
      [story.calls.c2, 'won', 10000],
      [story.calls.c2, 'lost', undefined],
      [story.calls.c3, 'won', 5000],
      [story.calls.c3, 'open', undefined],
    ] as const) {
      const res = await s.feedback({ callId, stage: status.toUpperCase(), status, ...(amount !== undefined ? { amount } : {}) });
      expect(res.status, await res.clone().text()).to.be.oneOf([200, 201]);
    }
    const after = await expectSame('after feedback');
    expect(after[0]!.totals).to.include({ deals: 2, revenue: 33000.5 });
  });

  it('after a manager re-assigns a call to another visit, and to no visit', async () => {
    const { visitor } = (await t.db.knex('calls').where({ id: story.calls.c6 }).first('visitor_id as visitor')) as { visitor: string };
    const first = (await t.db.knex('web_sessions').where({ visitor_id: visitor }).orderBy('first_seen_at').first('id')) as { id: string };
    const put = (sessionId: string | null) =>
      s.gw.api(`/v1/calls/${story.calls.c6}/attribution`, { method: 'PUT', json: { sessionId, reason: 'checked with the customer' } });
    expect((await put(first.id)).status).to.equal(200);
    const r = (await expectSame('re-assigned to the first visit', SOME))[0]!;
    expect(channelRow(r, s.channels.vk)?.calls, 'VK now has B’s and E’s calls').to.equal(2);
    expect((await put(null)).status).to.equal(200);
    await expectSame('re-assigned to no visit', SOME);
  });

  it('after the site moves to another time zone (figures follow the new local days at once)', async () => {
    const before = await facts.summary(principal, {
      siteId: s.siteId,
      from: '2026-11-20',
      to: '2026-11-20',
      groupBy: 'date',
      model: 'last_click',
      filter: {},
      lang: 'en',
    });
    const res = await s.gw.api(`/v1/sites/${s.siteId}`, { method: 'PATCH', json: { timezone: 'Asia/Tokyo' } });
    expect(res.status, await res.clone().text()).to.equal(200);
    const after = await facts.summary(principal, {
      siteId: s.siteId,
      from: '2026-11-20',
      to: '2026-11-20',
      groupBy: 'date',
      model: 'last_click',
      filter: {},
      lang: 'en',
    });
    expect(after.timezone).to.equal('Asia/Tokyo');
    // 23:59:30 Moscow (B's call) is 05:59:30 on the 21st in Tokyo; A's 10:00:30 call stays on the 20th (16:00:30).
    expect(before.totals.calls).to.equal(2);
    expect(after.totals.calls).to.equal(1);
    await expectSame('in Tokyo');
  });

  it('after a visit is flagged as a bot, an earlier visit is written late, and a session and a call are deleted', async () => {
    const { visitor } = (await t.db.knex('calls').where({ id: story.calls.c5 }).first('visitor_id as visitor')) as { visitor: string };
    const sessions = (await t.db.knex('web_sessions').where({ visitor_id: visitor }).orderBy('first_seen_at').select('*')) as Record<
      string,
      unknown
    >[];
    await t.db.knex('web_sessions').where({ id: sessions[0]!.id }).update({ is_bot: true });
    await expectSame('first visit of A flagged as a bot', SOME);
    await t.db.knex('web_sessions').where({ id: sessions[0]!.id }).update({ is_bot: false });
    // A visit of A's from before anything else arrives late (a write-behind batch): it becomes A's first click.
    const first = sessions[0]!;
    await t.db.knex('web_sessions').insert({
      ...first,
      id: 'late-visit',
      source: 'newsletter',
      medium: 'email',
      utm_source: 'newsletter',
      utm_medium: 'email',
      utm_campaign: 'late',
      channel_id: s.channels.vk,
      first_seen_at: new Date(Date.parse('2026-11-19T09:00:00+03:00')),
      last_seen_at: new Date(Date.parse('2026-11-19T09:05:00+03:00')),
      click_ids: JSON.stringify({}),
      device: JSON.stringify(first.device ?? {}),
      pages: JSON.stringify(first.pages ?? []),
      client_ids: JSON.stringify(first.client_ids ?? {}),
    });
    const late = await expectSame('late first visit', [...SOME, 'source', 'landing_page']);
    const fc = late.find((r) => r.groupBy === 'campaign' && r.model === 'first_click')!;
    expect(fc.rows.find((x) => x.key === 'late')?.calls, 'A’s two calls count for the late first visit').to.equal(2);
    await t.db.knex('web_sessions').where({ id: 'late-visit' }).del();
    await expectSame('late visit deleted', SOME);
    await t.db.knex('calls').where({ id: story.calls.c2 }).update({ lead_id: null });
    await t.db.knex('calls').where({ id: story.calls.c2 }).del();
    const gone = await expectSame('call deleted', SOME);
    expect(gone[0]!.totals.calls).to.equal(5);
  });

  it('stores one visit fact row per session, from which the three models read what the reference view derives', async () => {
    const n = async (sql: string) => Number(((await t.db.knex.raw(sql)) as { rows: { n: number }[] }).rows[0]!.n);
    const sessions = await n('SELECT count(*)::int AS n FROM web_sessions WHERE NOT is_bot');
    expect(sessions).to.be.greaterThan(3);
    expect(await n('SELECT count(*)::int AS n FROM report_session_facts')).to.equal(sessions);
    // Some session of the story takes another session's values under a model (a direct return, a visitor's second
    // visit), so the stored overrides are exercised, not only the own values.
    expect(await n('SELECT count(*)::int AS n FROM report_session_facts WHERE o0 OR o2')).to.be.greaterThan(0);
    const cols = 'event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device';
    const rows = async (from: string) => (await t.db.knex.raw(`SELECT ${cols} FROM ${from} ORDER BY event_id, model`)).rows as unknown[];
    const [stored, reference] = await Promise.all([rows('report_visit_facts'), rows('report_visit_facts_source')]);
    expect(stored).to.have.length(sessions * 3);
    expect(stored).to.deep.equal(reference);
  });

  it('the catch-up job puts right the facts a concurrent write left behind', async () => {
    // As if the call's refresh had run before another transaction's change committed: a change with the triggers off.
    await t.db.knex.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('calltrack.report_facts', 'off', true)`);
      await trx('calls').where({ id: story.calls.c1 }).update({ channel_id: s.channels.direct });
    });
    const q = {
      siteId: s.siteId,
      from: '2026-11-19',
      to: '2026-11-22',
      groupBy: 'channel' as const,
      model: 'last_click' as const,
      filter: {},
      lang: 'en' as const,
    };
    const [a, b] = await Promise.all([live.summary(principal, q), facts.summary(principal, q)]);
    expect(b, 'stale before the catch-up').to.not.deep.equal(a);
    const n = (await t.db.knex.raw('SELECT report_facts_catch_up(?) AS n', [new Date('2026-11-19T00:00:00Z')])) as { rows: { n: number }[] };
    expect(n.rows[0]!.n).to.be.greaterThan(0);
    await expectSame('after the catch-up', SOME);
    // The scheduler has the job (over the last ten minutes of the gateway's clock) where transactions run concurrently;
    // the embedded database runs them one after another and has nothing for it to put right.
    if (t.db.kind === 'postgres') await s.gw.container.scheduler.runNow('reports.facts-catch-up');
    else {
      const err = await s.gw.container.scheduler.runNow('reports.facts-catch-up').then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(err)).to.match(/No job named reports\.facts-catch-up/);
    }
  });

  it('the catch-up after a first run recomputes only what was written since, and puts that right', async () => {
    const since = new Date('2026-11-19T00:00:00Z');
    const catchUp = async (from: string) =>
      ((await t.db.knex.raw('SELECT report_facts_catch_up(?, ?::xid8) AS n', [since, from])) as { rows: { n: number }[] }).rows[0]!.n;
    // The job passes its previous snapshot's xmin, which other databases' open transactions of the cluster can hold
    // back; here a fresh transaction id marks "from now on" exactly.
    const watermark = async () => ((await t.db.knex.raw('SELECT pg_current_xact_id()::text AS w')) as { rows: { w: string }[] }).rows[0]!.w;
    const all = (await t.db.knex.raw('SELECT report_facts_catch_up(?) AS n', [since])) as { rows: { n: number }[] };
    expect(await catchUp(await watermark()), 'nothing written since').to.equal(0);
    const w = await watermark();
    await t.db.knex.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('calltrack.report_facts', 'off', true)`);
      await trx('calls').where({ id: story.calls.c1 }).update({ channel_id: s.channels.google });
    });
    const q = {
      siteId: s.siteId,
      from: '2026-11-19',
      to: '2026-11-22',
      groupBy: 'channel' as const,
      model: 'last_click' as const,
      filter: {},
      lang: 'en' as const,
    };
    const [a, b] = await Promise.all([live.summary(principal, q), facts.summary(principal, q)]);
    expect(b, 'stale before the catch-up').to.not.deep.equal(a);
    const n = await catchUp(w);
    expect(n, 'the one call written since').to.equal(1);
    expect(n).to.be.lessThan(all.rows[0]!.n);
    await expectSame('after the incremental catch-up', SOME);
    // A CRM outcome written with the triggers off (as if it raced the call's refresh): the call of the lead is redone.
    const { lead } = (await t.db.knex('calls').where({ id: story.calls.c5 }).first('lead_id as lead')) as { lead: string };
    expect(lead).to.be.a('string');
    const w2 = await watermark();
    await t.db.knex.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('calltrack.report_facts', 'off', true)`);
      await trx('leads').where({ id: lead }).update({ status: 'lost' });
    });
    const stale = (await t.db.knex('report_call_facts').where({ event_id: story.calls.c5 }).pluck('lead_status')) as string[];
    expect(stale).to.not.include('lost');
    expect(await catchUp(w2)).to.be.greaterThan(0);
    const fixed = (await t.db.knex('report_call_facts').where({ event_id: story.calls.c5 }).pluck('lead_status')) as string[];
    expect(fixed).to.deep.equal(['lost', 'lost', 'lost']);
    await expectSame('after the lead caught up', SOME);
    // The job itself: its second run starts from the first one's watermark and still puts a later stale write right.
    const job = reportFactsCatchUpJob({ db: t.db.knex, clock: new ManualClock(Date.parse('2026-11-19T00:05:00Z')) });
    await job.run(new AbortController().signal);
    await t.db.knex.transaction(async (trx) => {
      await trx.raw(`SELECT set_config('calltrack.report_facts', 'off', true)`);
      await trx('calls').where({ id: story.calls.c1 }).update({ channel_id: s.channels.direct });
    });
    const [a2, b2] = await Promise.all([live.summary(principal, q), facts.summary(principal, q)]);
    expect(b2, 'stale before the second run').to.not.deep.equal(a2);
    await job.run(new AbortController().signal);
    await expectSame('after the job ran twice', SOME);
  });

  it('an update of a call recomputes its facts only when what the attribution reads changed', async () => {
    const c = story.calls.c3;
    const rows = async () =>
      (await t.db
        .knex('report_call_facts')
        .where({ event_id: c, kind: 'call' })
        .orderBy('model')
        .select(t.db.knex.raw('xmin::text AS v'), 'outcome', 'talk_seconds', 'ch')) as {
        v: string;
        outcome: string | null;
        talk_seconds: number | null;
        ch: string | null;
      }[];
    const start = await rows();
    expect(start).to.have.length(3);
    // What no report reads (a timestamp of the row): the facts rows are not written at all.
    await t.db.knex('calls').where({ id: c }).update({ updated_at: t.db.knex.fn.now() });
    expect(
      (await rows()).map((r) => r.v),
      'an update no report reads',
    ).to.deep.equal(start.map((r) => r.v));
    // The call's own figures: copied into each model's row, the attribution as it was.
    await t.db.knex('calls').where({ id: c }).update({ outcome: 'busy', talk_seconds: 7 });
    const copied = await rows();
    expect(copied.map((r) => [r.outcome, r.talk_seconds])).to.deep.equal([
      ['busy', 7],
      ['busy', 7],
      ['busy', 7],
    ]);
    expect(copied.map((r) => r.ch)).to.deep.equal(start.map((r) => r.ch));
    await expectSame('after a call changed only its own figures', SOME);
    // What the attribution reads: recomputed.
    await t.db.knex('calls').where({ id: c }).update({ channel_id: s.channels.google });
    await expectSame('after a call changed its channel', SOME);
  });
});
