import { expect } from 'chai';
import { Flow, chan } from '../../../test/helpers/ami-events.js';
import { LoopbackAmiServer } from '../../../test/helpers/ami-server.js';
import { createTestConfig } from '../../../test/helpers/config.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { waitUntil } from '../../../test/stand-ins/http-stand-in.js';
import type { AmiMessage } from '../../adapters/telephony/asterisk/ami-message.js';

const BUSINESS = '+74950000001';
const CALLER_ID = '+74951112233';
const CTX = 'from-internal';

/**
 * A callback placed with AMI Originate, followed through the PBX's events (telephony.md A2/A3, the grammar of the
 * test AMI server's event builder): the Local channel's first half rings the business (OriginateResponse), then dials
 * the visitor (DialEnd, BridgeEnter) and hangs up. The callback's calls row gets the outcome an inbound call would.
 */
describe('Asterisk callbacks: the call’s progress after Originate is tracked like an inbound call’s', function () {
  this.timeout(60_000);
  const t = useTestDatabase();
  let ami: LoopbackAmiServer;
  let gw: TestGateway;
  let siteKey: string;

  before(async () => {
    ami = await LoopbackAmiServer.start({ username: 'gateway', secret: 'right' });
    gw = await startTestGateway(t.db, {
      config: createTestConfig({
        asterisk: {
          host: '127.0.0.1',
          port: ami.port,
          username: 'gateway',
          secret: 'right',
          auth: 'plain',
          inboundContexts: ['from-pstn'],
          didSource: 'exten',
          recordingsDir: null,
          recordingsUrl: null,
          defaultCountry: null,
        },
      }),
    });
    const res = await gw.api('/v1/sites', {
      method: 'POST',
      json: { name: 'Shop', domains: ['shop.example'], timezone: 'Europe/Moscow', settings: { country: 'RU', locale: 'ru' } },
    });
    const site = (await res.json()) as { id: string; publicKey: string };
    siteKey = site.publicKey;
    const s = await gw.api(`/v1/sites/${site.id}/inquiry-settings`, {
      method: 'PATCH',
      json: { callback: { enabled: true, provider: 'asterisk', businessNumber: BUSINESS, callerId: CALLER_ID, hours: [], asteriskContext: CTX } },
    });
    expect(s.status).to.equal(200);
  });
  after(async () => {
    await gw?.stop();
    await ami?.close();
  });

  /** Requests a callback; returns the inquiry, its Originate (as the PBX got it) and a flow timed from now. */
  async function place(phone: string) {
    const before = ami.actions.length;
    const r = await fetch(`${gw.baseUrl}/v1/sites/${siteKey}/inquiries`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://shop.example' },
      body: JSON.stringify({ kind: 'callback', phone, secondsOnPage: 30 }),
    });
    const body = (await r.json()) as { status: string; id: string };
    expect(body.status).to.equal('placed');
    const originate = ami.actions.slice(before).find((a) => (a['action'] ?? '').toLowerCase() === 'originate') as AmiMessage;
    expect(originate).to.include({
      channelid: `callback-${body.id}-1`,
      otherchannelid: `callback-${body.id}-2`,
      variable: `DNI_CALLBACK=${body.id}`,
    });
    const flow = new Flow(Math.floor(Date.now() / 1000) + 1);
    return { id: body.id, originate, flow };
  }
  const originateResponse = (f: Flow, t: number, o: AmiMessage, ok: boolean, reason: string, uniqueid: string, exten: string) =>
    f.raw(t, 'OriginateResponse', [
      `ActionID: ${o['actionid']}`,
      `Response: ${ok ? 'Success' : 'Failure'}`,
      `Channel: ${o['channel']}`,
      `Context: ${CTX}`,
      `Exten: ${exten}`,
      `Reason: ${reason}`,
      `Uniqueid: ${uniqueid}`,
      `CallerIDNum: ${CALLER_ID}`,
      'CallerIDName: <unknown>',
    ]);
  const rowOf = async (inquiryId: string) =>
    (await t.db
      .knex('inquiries as i')
      .join('calls as c', 'c.id', 'i.call_id')
      .where('i.id', inquiryId)
      .first('c.id', 'c.status', 'c.outcome', 'c.direction', 'c.ring_seconds', 'c.talk_seconds', 'c.answered_at', 'i.callback_outcome')) as Record<
      string,
      unknown
    >;
  const ended = (inquiryId: string) =>
    waitUntil(async () => (await rowOf(inquiryId)).status === 'ended', 10_000, 'the callback call ended').then(() => rowOf(inquiryId));

  it('business answers, then the visitor: answered from the visitor’s answer, completed at hangup', async () => {
    const { id, originate, flow: f } = await place('+79161110001');
    const one = chan(`Local/74950000001@${CTX}-00000001;1`, `callback-${id}-1`, { exten: '74950000001' });
    const two = chan(`Local/74950000001@${CTX}-00000001;2`, `callback-${id}-2`, { linked: one.id, exten: '74950000001', state: 4 });
    const biz = chan('PJSIP/trunk-00000010', '1770900300.11', { linked: one.id, num: '74950000001' });
    const visitor = chan('PJSIP/trunk-00000011', '1770900300.12', { linked: one.id, num: '79161110001' });
    f.newchannel(0, one).newchannel(0, two).newexten(0.1, two, 'Dial', 'PJSIP/74950000001@trunk,30').newchannel(0.2, biz).dialBegin(0.2, two, biz);
    f.newstate(1, biz, 5).newstate(5, biz, 6).dialEnd(5, two, biz, 'ANSWER').newstate(5, two, 6).newstate(5, one, 6);
    originateResponse(f, 5, originate, true, '4', one.id, '79161110001');
    one.exten = '79161110001';
    f.newexten(5.1, one, 'Dial', 'PJSIP/79161110001@trunk,30').newchannel(5.2, visitor).dialBegin(5.2, one, visitor).newstate(6, visitor, 5);
    f.newstate(12, visitor, 6).dialEnd(12, one, visitor, 'ANSWER').bridgeEnter(12.1, visitor, 'br-7', 1).bridgeEnter(12.1, one, 'br-7', 2);
    f.bridgeLeave(72, one, 'br-7', 1).bridgeLeave(72, visitor, 'br-7', 0).hangup(72, visitor, 16, 'Normal Clearing');
    f.hangup(72, one, 16, 'Normal Clearing').hangup(72, two, 16, 'Normal Clearing').hangup(72, biz, 16, 'Normal Clearing');
    ami.broadcast(f.blocks);
    const row = await ended(id);
    expect(row).to.include({ direction: 'callback', outcome: 'completed', callback_outcome: 'visitor_answered', talk_seconds: 60 });
    // Ringing runs from placing the call (just before the flow's clock starts) to the visitor's answer.
    expect(row.ring_seconds).to.be.within(12, 13);
    const calls = (await t.db.knex('calls').select('direction')) as { direction: string }[];
    expect(
      calls.every((c) => c.direction === 'callback'),
      'no inbound call was made of the callback’s channels',
    ).to.equal(true);
    const detail = (await gw.api(`/v1/inquiries/${id}`).then((r) => r.json())) as { callbackOutcome: string };
    expect(detail.callbackOutcome).to.equal('visitor_answered');
  });

  it('business answers, the visitor is busy: the call ends busy, the request says only the business answered', async () => {
    const { id, originate, flow: f } = await place('+79161110002');
    // A PBX that ignores the preset ids: its own Uniqueids, claimed through DNI_CALLBACK and the OriginateResponse.
    const one = chan(`Local/74950000001@${CTX}-00000002;1`, '1770900400.20', { exten: '74950000001' });
    const visitor = chan('PJSIP/trunk-00000021', '1770900400.22', { linked: one.id, num: '79161110002' });
    f.newchannel(0, one).varset(0, one, 'DNI_CALLBACK', id).newstate(4, one, 6);
    originateResponse(f, 4, originate, true, '4', one.id, '79161110002');
    f.newchannel(4.2, visitor).dialBegin(4.2, one, visitor).dialEnd(6, one, visitor, 'BUSY').hangup(6, visitor, 17, 'User busy');
    f.hangup(8, one, 17, 'User busy');
    ami.broadcast(f.blocks);
    const row = await ended(id);
    expect(row).to.include({ outcome: 'busy', callback_outcome: 'business_answered', talk_seconds: 0 });
    expect(row.answered_at).to.equal(null);
  });

  it('the business never answers: the hangup waits for the OriginateResponse, whose reason ends the call', async () => {
    const { id, originate, flow: f } = await place('+79161110003');
    const one = chan(`Local/74950000001@${CTX}-00000003;1`, `callback-${id}-1`, { exten: '74950000001' });
    const two = chan(`Local/74950000001@${CTX}-00000003;2`, `callback-${id}-2`, { linked: one.id, exten: '74950000001', state: 4 });
    f.newchannel(0, one).newchannel(0, two).hangup(30, two, 16, 'Normal Clearing').hangup(30, one, 16, 'Normal Clearing');
    originateResponse(f, 30, originate, false, '3', one.id, '79161110003');
    ami.broadcast(f.blocks);
    const row = await ended(id);
    expect(row).to.include({ outcome: 'no-answer', callback_outcome: 'failed', talk_seconds: 0 });
    expect(row.ring_seconds).to.be.within(30, 31);
  });
});
