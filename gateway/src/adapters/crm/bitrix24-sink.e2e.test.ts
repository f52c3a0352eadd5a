import { expect } from 'chai';
import type { CrmLeadRecord } from '../../features/leads/lead-types.js';
import type { DeliveryError } from '../../features/outbox/outbox-handler.js';
import { REC, aLead, ctx } from '../../../test/factories/leads.js';
import { startBitrix24StandIn } from '../../../test/stand-ins/bitrix24-stand-in.js';
import { Bitrix24Sink } from './bitrix24-sink.js';

const CALL = '7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11';

describe('Bitrix24Sink against a Bitrix24 REST stand-in', () => {
  let b24: Awaited<ReturnType<typeof startBitrix24StandIn>>;
  let webhookUrl: string;

  beforeEach(async () => {
    b24 = await startBitrix24StandIn({ user: '1', code: 'x7k2secret', appToken: 'app-access-token-1' });
    webhookUrl = `${b24.url}/rest/1/x7k2secret/`;
  });
  afterEach(() => b24.close());

  const record = (externalRecordId: string, details: Record<string, unknown> = {}): CrmLeadRecord => ({
    sinkId: 's',
    callId: CALL,
    externalRecordId,
    details,
  });

  it('adds a lead with SOURCE_ID, UTM fields, phone and origin, then updates it with the recording link', async () => {
    const sink = new Bitrix24Sink({ webhookUrl, timeoutMs: 2_000 });
    const first = await sink.deliver(aLead(), null, ctx());
    expect(first.externalRecordId).to.equal('3465');
    const lead = b24.leads.get(3465)!;
    expect(lead).to.deep.include({
      SOURCE_ID: 'CALL',
      PHONE: [{ VALUE: '+79161234567', VALUE_TYPE: 'WORK' }],
      UTM_SOURCE: 'yandex',
      UTM_MEDIUM: 'cpc',
      UTM_CAMPAIGN: 'brand_msk_search',
      UTM_CONTENT: 'ad_12345678',
      UTM_TERM: 'купить диван',
      ORIGINATOR_ID: 'calltracking-gw',
      ORIGIN_ID: CALL,
      TITLE: 'Call from +79161234567 (yandex / cpc)',
    });
    await sink.deliver(aLead({ trigger: 'recording.ready', recordingUrl: REC }), record('3465'), ctx());
    expect(b24.leads.size).to.equal(1);
    expect(String(lead.COMMENTS)).to.contain(`Recording: ${REC}`);
    expect(b24.telephony).to.have.length(0);
  });

  it("writes the title and comments in the site's language (ru)", async () => {
    const sink = new Bitrix24Sink({ webhookUrl, timeoutMs: 2_000 });
    await sink.deliver(aLead({ locale: 'ru', outcome: 'no-answer', talkSeconds: 22, recordingUrl: REC }), null, ctx());
    const lead = b24.leads.get(3465)!;
    expect(lead['TITLE']).to.equal('Звонок от +79161234567 (yandex / cpc)');
    const comments = String(lead['COMMENTS']);
    expect(comments).to.contain('Входящий звонок на +74951112233');
    expect(comments).to.contain('итог: нет ответа');
    expect(comments).to.contain('разговор 22 секунды');
    expect(comments).to.contain(`Запись: ${REC}`);
    expect(String(lead['SOURCE_DESCRIPTION'])).to.match(/^Коллтрекинг: номер \+74951112233/);
  });

  it('keeps one lead when the add answer is lost: the retry finds it by ORIGIN_ID', async () => {
    const sink = new Bitrix24Sink({ webhookUrl, timeoutMs: 2_000 });
    b24.queueFaults('none', 'timeout');
    const err = (await sink.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as DeliveryError;
    expect(err.retryable).to.equal(true);
    expect(b24.leads.size).to.equal(1);
    const retried = await sink.deliver(aLead(), null, ctx());
    expect(retried.externalRecordId).to.equal('3465');
    expect(b24.leads.size).to.equal(1);
  });

  it('backs off on QUERY_LIMIT_EXCEEDED and keeps webhook codes out of error messages', async () => {
    const sink = new Bitrix24Sink({ webhookUrl, timeoutMs: 2_000 });
    b24.queueFaults('503');
    const limited = (await sink.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as DeliveryError;
    expect(limited.retryable).to.equal(true);
    expect(limited.retryAfterMs).to.be.greaterThan(0);
    expect(limited.message).to.contain('QUERY_LIMIT_EXCEEDED');
    const wrong = (await new Bitrix24Sink({ webhookUrl: `${b24.url}/rest/1/wrongcode/`, timeoutMs: 2_000 })
      .deliver(aLead(), null, ctx())
      .catch((e: unknown) => e)) as DeliveryError;
    expect(wrong.retryable).to.equal(false);
    expect(wrong.message).to.not.contain('wrongcode');
  });

  it('as an application, registers the call at start, finishes it at the end and attaches the recording after that', async () => {
    const app = { portalUrl: b24.url, accessToken: 'app-access-token-1', userId: 7 };
    const sink = new Bitrix24Sink({ webhookUrl, app, timeoutMs: 2_000 });
    const started = await sink.deliver(aLead({ trigger: 'call.started', status: 'ringing', outcome: null, talkSeconds: null }), null, ctx());
    expect(started.details).to.deep.equal({ b24CallId: `externalCall.${CALL}` });
    const ended = await sink.deliver(aLead(), record(started.externalRecordId, { ...started.details }), ctx());
    expect(ended.details).to.deep.equal({ b24Finished: true });
    await sink.deliver(
      aLead({ trigger: 'recording.ready', recordingUrl: REC }),
      record(started.externalRecordId, { ...started.details, ...ended.details }),
      ctx(),
    );
    expect(b24.telephony.map((t) => t.method)).to.deep.equal([
      'telephony.externalcall.register',
      'telephony.externalcall.finish',
      'telephony.externalcall.attachrecord',
    ]);
    expect(b24.telephony[0]!.params).to.include({
      USER_ID: 7,
      PHONE_NUMBER: '+79161234567',
      TYPE: 2,
      CRM_ENTITY_TYPE: 'LEAD',
      CRM_ENTITY_ID: 3465,
      EXTERNAL_CALL_ID: CALL,
    });
    expect(b24.telephony[1]!.params).to.include({ DURATION: 151, STATUS_CODE: '200' });
    expect(b24.telephony[2]!.params).to.include({ RECORD_URL: REC });
    expect(b24.leads.size).to.equal(1);
  });
});
