import { expect } from 'chai';
import { compile } from '../../http/validation.js';
import type { Schema } from '../../http/validation.js';
import { createCrmSinkRequestSchema, SINK_KIND_SCHEMAS } from './crm-sink-schemas.js';

const valid = (schema: Schema, data: unknown): boolean => compile(schema)(data);

describe('CRM sink schemas', () => {
  it('accepts a create request and refuses unknown kinds, triggers and fields', () => {
    const ok = {
      kind: 'webhook',
      name: 'Hook',
      config: { url: 'https://x.example/h' },
      secrets: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    };
    expect(valid(createCrmSinkRequestSchema, ok)).to.equal(true);
    expect(valid(createCrmSinkRequestSchema, { ...ok, kind: 'hubspot' })).to.equal(false);
    expect(valid(createCrmSinkRequestSchema, { ...ok, deliverOn: ['call.exploded'] })).to.equal(false);
    expect(valid(createCrmSinkRequestSchema, { ...ok, apiKey: 'x' })).to.equal(false);
  });

  it('checks what each kind needs', () => {
    const k = SINK_KIND_SCHEMAS;
    expect(valid(k.webhook.secrets, { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).to.equal(true);
    expect(valid(k.webhook.secrets, { secret: 'plain-secret-value' })).to.equal(false);
    expect(valid(k.retailcrm.config, { baseUrl: 'https://demo.retailcrm.ru', site: 'main-site' })).to.equal(true);
    expect(valid(k.retailcrm.config, { baseUrl: 'https://demo.retailcrm.ru' })).to.equal(false);
    expect(valid(k.bitrix24.secrets, { webhookUrl: 'https://example.bitrix24.com/rest/1/xxxxxxxx/' })).to.equal(true);
    expect(valid(k.bitrix24.secrets, { webhookUrl: 'https://example.bitrix24.com/crm.lead.add' })).to.equal(false);
    expect(valid(k.amocrm.config, { baseUrl: 'https://sub.amocrm.ru', pipelineId: 42 })).to.equal(true);
    expect(valid(k.amocrm.secrets, {})).to.equal(false);
  });
});
