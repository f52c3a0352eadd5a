import { expect } from 'chai';
import { DeliveryError } from '../../features/outbox/outbox-handler.js';
import { REC, aLead, ctx } from '../../../test/factories/leads.js';
import { startRetailCrmStandIn } from '../../../test/stand-ins/retailcrm-stand-in.js';
import { RetailCrmSink } from './retailcrm-sink.js';
import type { RetailCrmConfig } from './retailcrm-sink.js';

const API_KEY = 'retail-test-key-0001';

describe('RetailCrmSink against a RetailCRM API v5 stand-in', () => {
  let crm: Awaited<ReturnType<typeof startRetailCrmStandIn>>;
  let cfg: RetailCrmConfig;

  beforeEach(async () => {
    crm = await startRetailCrmStandIn(API_KEY);
    cfg = {
      baseUrl: crm.url,
      site: 'main-site',
      apiKey: API_KEY,
      userCode: '101',
      timezone: 'Europe/Moscow',
      uploadCallAtEnd: false,
      timeoutMs: 300,
    };
  });
  afterEach(() => crm.close());

  it('creates the order with externalId = call id and the source fields, then adds the recording to it and the call history', async () => {
    const sink = new RetailCrmSink(cfg);
    const first = await sink.deliver(aLead(), null, ctx());
    expect(first.externalRecordId).to.equal('7146');
    const order = crm.orders.get('7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11')!;
    expect(order.site).to.equal('main-site');
    expect(order.fields).to.include({ externalId: '7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11', orderMethod: 'phone', phone: '+79161234567', call: true });
    expect(order.fields.source).to.deep.equal({
      source: 'yandex',
      medium: 'cpc',
      campaign: 'brand_msk_search',
      keyword: 'купить диван',
      content: 'ad_12345678',
    });
    expect(crm.calls).to.have.length(0);

    const previous = { sinkId: 's', callId: '7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11', externalRecordId: first.externalRecordId, details: {} };
    const second = await sink.deliver(aLead({ trigger: 'recording.ready', recordingUrl: REC }), previous, ctx('msg_2'));
    expect(second.externalRecordId).to.equal('7146');
    expect(crm.orders.size).to.equal(1);
    expect(order.edits[0]).to.deep.include({ customFields: { calltracking_record_url: REC } });
    expect(crm.calls).to.have.length(1);
    expect(crm.calls[0]).to.include({
      date: '2026-11-20 14:05:11',
      type: 'in',
      phone: '+79161234567',
      code: '101',
      result: 'answered',
      duration: 151,
      durationWaiting: 9,
      externalId: '7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11',
      recordUrl: REC,
      externalPhone: '+74951112233',
      site: 'main-site',
    });
  });

  it('keeps one order when the create answer is lost: the retry finds it by externalId and edits it', async () => {
    const sink = new RetailCrmSink(cfg);
    crm.queueFaults('timeout');
    const err = await sink.deliver(aLead(), null, ctx()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DeliveryError);
    expect((err as DeliveryError).retryable).to.equal(true);
    expect(crm.orders.size).to.equal(1);

    const retried = await sink.deliver(aLead(), null, ctx());
    expect(retried.externalRecordId).to.equal('7146');
    expect(crm.orders.size).to.equal(1);
    expect(crm.orders.get('7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11')!.edits).to.have.length(1);
  });

  it('retries on rate limiting and server errors, gives up on a wrong key or a wrong URL', async () => {
    const sink = new RetailCrmSink(cfg);
    for (const fault of ['503', '429', '500'] as const) {
      crm.queueFaults(fault);
      const err = (await sink.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as DeliveryError;
      expect(err.retryable, fault).to.equal(true);
    }
    const wrongKey = (await new RetailCrmSink({ ...cfg, apiKey: 'wrong-key-123' })
      .deliver(aLead(), null, ctx())
      .catch((e: unknown) => e)) as DeliveryError;
    expect(wrongKey.retryable).to.equal(false);
    expect(wrongKey.message).to.contain('Wrong "apiKey" value.');
    const wrongUrl = (await new RetailCrmSink({ ...cfg, baseUrl: `${crm.url}/nowhere` })
      .deliver(aLead(), null, ctx())
      .catch((e: unknown) => e)) as DeliveryError;
    expect(wrongUrl.retryable).to.equal(false);
  });

  it('uploads the call at the end when no recording event will follow', async () => {
    const sink = new RetailCrmSink({ ...cfg, uploadCallAtEnd: true });
    await sink.deliver(aLead(), null, ctx());
    expect(crm.calls).to.have.length(1);
    expect(crm.calls[0]).to.not.have.property('recordUrl');
  });
});
