import { expect } from 'chai';
import { openDatabase } from '../../src/adapters/db/knex.js';
import type { Database } from '../../src/adapters/db/knex.js';
import { createContainer } from '../../src/composition-root.js';
import type { Container } from '../../src/composition-root.js';
import { seedNumber, seedSite } from '../helpers/call-fixtures.js';
import { createTestConfig } from '../helpers/config.js';
import { findPostgresBin, requireBinary, startPrivatePostgres } from '../helpers/private-services.js';
import type { PrivatePostgres } from '../helpers/private-services.js';
import { answeredCallCallbacks, eventually, inboundParams, randomSid, twilioPoster } from '../helpers/twilio-webhooks.js';

const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'pg-fault-token-0123456789abcdef';
const PUBLIC = 'https://calls.example.com';
const TRACKING = '+15551110001';
const FORWARD_TO = '+15550000002';
/** Calls per wave: answered before the crash, while PostgreSQL is down, and after it is back. */
const WAVE = 8;

/**
 * A PostgreSQL of the test's own (initdb + pg_ctl on a free port) is crashed (`pg_ctl stop -m immediate`: no
 * checkpoint, recovery at the next start) while Twilio calls come in. Every caller is connected (TwiML with the
 * Dial) whatever the database does, and after recovery every call is stored exactly once, ended, with its recording.
 */
describe('faults: PostgreSQL crashed during Twilio calls', function () {
  this.timeout(60_000);
  let pg: PrivatePostgres | null = null;
  let gw: Container | null = null;
  let check: Database | null = null;
  let baseUrl = '';

  before(async function () {
    this.timeout(60_000);
    const bin = findPostgresBin();
    requireBinary(this, bin, 'PostgreSQL (initdb, pg_ctl)');
    pg = await startPrivatePostgres(bin);
    const config = createTestConfig({
      db: { kind: 'postgres', url: pg.url, poolMax: 4 },
      http: { publicBaseUrl: new URL(PUBLIC) },
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
    });
    // The gateway migrates the new cluster itself, as on a first start.
    gw = await createContainer(config, { defaultMetrics: false });
    const boot = await gw.bootstrap();
    baseUrl = `http://127.0.0.1:${(await gw.start()).port}`;
    check = await openDatabase({ kind: 'postgres', url: pg.url, poolMax: 2 });
    const siteId = await seedSite(check.knex, boot!.accountId, { defaultForwardTo: '+15550000001' });
    await seedNumber(check.knex, boot!.accountId, { e164: TRACKING, siteId, forwardTo: FORWARD_TO });
    await gw.services.routing.refresh();
  });
  after(async () => {
    await pg?.start().catch(() => undefined);
    await gw?.stop();
    await check?.close();
    await pg?.dispose();
  });

  it('connects every caller while the database is down and stores each call once after recovery', async () => {
    const tw = twilioPoster(baseUrl, PUBLIC, AUTH_TOKEN);
    const calls: { sid: string; from: string; talk: number }[] = [];
    const dial = new RegExp(`<Dial [^>]*><Number[^>]*>\\${FORWARD_TO}</Number></Dial>`);
    const answer = async () => {
      const c = { sid: randomSid('CA'), from: `+1555777${String(1000 + calls.length).slice(-4)}`, talk: 5 + calls.length };
      calls.push(c);
      const res = await tw.post('voice', inboundParams({ accountSid: ACCOUNT_SID, callSid: c.sid, from: c.from, to: TRACKING }));
      expect(res.status, 'the voice webhook').to.equal(200);
      expect(await res.text(), 'the caller is connected').to.match(dial);
      return c;
    };
    const finish = async (c: { sid: string; from: string; talk: number }) => {
      for (const cb of answeredCallCallbacks({
        accountSid: ACCOUNT_SID,
        callSid: c.sid,
        from: c.from,
        to: TRACKING,
        forwardTo: FORWARD_TO,
        talkSeconds: c.talk,
      })) {
        expect((await tw.post(cb.path, cb.params)).status, `${cb.path} callback`).to.equal(200);
      }
    };

    // Before: answered and finished; plus calls still talking when the database dies.
    for (let i = 0; i < WAVE; i++) await finish(await answer());
    const talking = [];
    for (let i = 0; i < WAVE; i++) talking.push(await answer());

    await pg!.crash();
    // The gateway really lost its database.
    expect(await gw!.services.routing.refresh()).to.equal(false);
    for (const c of talking) await finish(c);
    for (let i = 0; i < WAVE; i++) await finish(await answer());
    expect(gw!.services.callEvents.pending, 'writes waiting for the database').to.be.greaterThan(0);

    await pg!.start();
    for (let i = 0; i < WAVE; i++) await finish(await answer());

    const sids = calls.map((c) => c.sid);
    const rows = await eventually(
      async () => {
        const r = (await check!
          .knex('calls')
          .whereIn('provider_call_id', sids)
          .select('id', 'provider_call_id', 'status', 'talk_seconds')
          .catch(() => [])) as { id: string; provider_call_id: string; status: string; talk_seconds: number | null }[];
        return r.length === sids.length && r.every((x) => x.status === 'ended') ? r : null;
      },
      40_000,
      'every call ended in the database',
    );
    const talk = new Map(calls.map((c) => [c.sid, c.talk]));
    expect(
      rows.filter((r) => r.talk_seconds !== talk.get(r.provider_call_id)),
      'talk time as Twilio reported it',
    ).to.deep.equal([]);
    expect(new Set(rows.map((r) => r.provider_call_id)).size, 'one row per call').to.equal(sids.length);
    const recordings = await eventually(
      async () => {
        const r = (await check!.knex('recordings').whereIn(
          'call_id',
          rows.map((x) => x.id),
        )) as { call_id: string }[];
        return r.length >= sids.length ? r : null;
      },
      20_000,
      'a recording per call',
    );
    expect(recordings.length, 'no recording doubled').to.equal(sids.length);
    // biome-ignore lint/suspicious/noConsole: the run's figures are reported, not asserted
    console.log(
      `postgres fault: 1 crash, ${calls.length} calls (${2 * WAVE} touching the outage), ${rows.length} stored once, ${recordings.length} recordings`,
    );
  });
});
