import { expect } from 'chai';
import type { DeliveryError } from '../../features/outbox/outbox-handler.js';
import { REC, aLead, ctx } from '../../../test/factories/leads.js';
import { startAmoCrmStandIn } from '../../../test/stand-ins/amocrm-stand-in.js';
import { AmoCrmSink } from './amocrm-sink.js';

const CALL = '7f3c2a9e-1b2d-4c1e-9d3a-0c5f1e2b7a11';

describe('AmoCrmSink against an amoCRM API v4 stand-in', () => {
  let amo: Awaited<ReturnType<typeof startAmoCrmStandIn>>;
  beforeEach(async () => {
    amo = await startAmoCrmStandIn('amo-long-lived-token');
  });
  afterEach(() => amo.close());

  it('posts the call as an incoming lead with UTM fields and the recording link, then logs a later recording', async () => {
    const sink = new AmoCrmSink({ baseUrl: amo.url, accessToken: 'amo-long-lived-token', pipelineId: 42, timeoutMs: 2_000 });
    const first = await sink.deliver(aLead(), null, ctx());
    expect(first).to.deep.equal({ externalRecordId: 'uid-1', details: { leadId: 9001 } });
    const item = amo.unsorted[0] as {
      metadata: Record<string, unknown>;
      pipeline_id: number;
      _embedded: { leads: { custom_fields_values: unknown[] }[] };
    };
    expect(item.pipeline_id).to.equal(42);
    expect(item.metadata).to.include({ from: '+79161234567', phone: '+74951112233', duration: 151, uniq: CALL, service_code: 'calltracking_gw' });
    expect(item._embedded.leads[0]!.custom_fields_values).to.deep.include({ field_code: 'UTM_SOURCE', values: [{ value: 'yandex' }] });
    expect(item._embedded.leads[0]!.custom_fields_values).to.deep.include({ field_code: 'YCLID', values: [{ value: '1234567890123456789' }] });

    const later = await sink.deliver(
      aLead({ trigger: 'recording.ready', recordingUrl: REC }),
      { sinkId: 's', callId: CALL, externalRecordId: 'uid-1', details: { leadId: 9001 } },
      ctx(),
    );
    expect(later.externalRecordId).to.equal('uid-1');
    expect(amo.unsorted).to.have.length(1);
    expect(amo.calls[0]).to.include({ direction: 'inbound', uniq: CALL, link: REC, call_status: 4, phone: '+79161234567' });
  });

  it('logs a callback as an outbound call (the business dialled the customer)', async () => {
    const sink = new AmoCrmSink({ baseUrl: amo.url, accessToken: 'amo-long-lived-token', timeoutMs: 2_000 });
    await sink.deliver(
      aLead({ trigger: 'recording.ready', recordingUrl: REC, direction: 'callback' }),
      { sinkId: 's', callId: CALL, externalRecordId: 'uid-1', details: {} },
      ctx(),
    );
    expect(amo.calls[0]).to.include({ direction: 'outbound', uniq: CALL, phone: '+79161234567' });
  });

  it('retries 429 and expired tokens, gives up on a 4xx it cannot fix', async () => {
    const sink = new AmoCrmSink({ baseUrl: amo.url, accessToken: 'amo-long-lived-token', timeoutMs: 2_000 });
    amo.queueFaults('429');
    expect(((await sink.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as DeliveryError).retryable).to.equal(true);
    const expired = new AmoCrmSink({ baseUrl: amo.url, accessToken: 'expired-token', timeoutMs: 2_000 });
    expect(((await expired.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as DeliveryError).retryable).to.equal(true);
    const wrong = new AmoCrmSink({ baseUrl: `${amo.url}/nowhere`, accessToken: 'amo-long-lived-token', timeoutMs: 2_000 });
    expect(((await wrong.deliver(aLead(), null, ctx()).catch((e: unknown) => e)) as DeliveryError).retryable).to.equal(false);
  });
});
