import { expect } from 'chai';
import { BadDataError } from '../../errors/app-error.js';
import { buildOpenApi } from '../../http/openapi.js';
import { compile, validateOrThrow } from '../../http/validation.js';
import type { Schema } from '../../http/validation.js';
import { createCrmSinkRequestSchema, SINK_KIND_SCHEMAS, updateCrmSinkRequestSchema } from './crm-sink-schemas.js';

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

  const problems = (schema: Schema, data: unknown): string[] => {
    try {
      validateOrThrow(schema, data, 'body');
      return [];
    } catch (err) {
      if (!(err instanceof BadDataError)) throw err;
      return err.details.map((d) => d.message);
    }
  };

  it("types a create request's config and secrets by its kind, naming the wrong field", () => {
    const amo = { kind: 'amocrm', name: 'Amo', config: { baseUrl: 'https://sub.amocrm.ru' }, secrets: { accessToken: 'amo-token-1234' } };
    expect(problems(createCrmSinkRequestSchema, amo)).to.deep.equal([]);
    // Only the amoCRM branch speaks: a RetailCRM field in an amoCRM config is named, nothing about other kinds.
    expect(problems(createCrmSinkRequestSchema, { ...amo, config: { ...amo.config, site: 'main' } })).to.deep.equal([
      'body/config must not have property "site"',
    ]);
    expect(problems(createCrmSinkRequestSchema, { ...amo, secrets: {} })).to.deep.equal(['body/secrets must have property "accessToken"']);
    expect(problems(createCrmSinkRequestSchema, { ...amo, config: { baseUrl: 'ftp://x' } })).to.have.length(1);
    expect(problems(createCrmSinkRequestSchema, { ...amo, kind: 'hubspot' })).to.deep.equal(['body/kind is not one of the known kinds']);
    expect(problems(createCrmSinkRequestSchema, { ...amo, kind: 'ga4' })).to.include('body/config must have property "measurementId"');
  });

  it("checks a change against the config and secrets of some kind (the sink's own kind is checked by the service)", () => {
    expect(problems(updateCrmSinkRequestSchema, { config: { url: 'https://x.example/h' } })).to.deep.equal([]);
    expect(problems(updateCrmSinkRequestSchema, { secrets: { apiSecret: 'ga4-secret-123' } })).to.deep.equal([]);
    expect(problems(updateCrmSinkRequestSchema, { config: { url: 'https://x.example/h', extra: 1 } })).to.include(
      'body/config must not have property "extra"',
    );
  });

  it('publishes each kind as a component of the OpenAPI document, the create request as a discriminated oneOf', () => {
    const doc = buildOpenApi(
      [
        {
          method: 'post',
          path: '/s',
          operationId: 'c',
          summary: 's',
          tags: [],
          auth: ['admin'],
          body: createCrmSinkRequestSchema,
          responses: { 201: { description: 'ok' } },
        },
      ],
      { title: 't', version: '1', serverUrl: 'http://x' },
    ) as { components: { schemas: Record<string, Record<string, unknown>> } };
    const c = doc.components.schemas;
    expect(c.CreateCrmSinkRequest).to.deep.include({ discriminator: { propertyName: 'kind' } });
    expect((c.CreateCrmSinkRequest!.oneOf as unknown[]).length).to.equal(5);
    expect(c.CreateAmoCrmSink!.properties).to.deep.include({
      kind: { const: 'amocrm' },
      config: { $ref: '#/components/schemas/AmoCrmSinkConfig' },
      secrets: { $ref: '#/components/schemas/AmoCrmSinkSecrets' },
    });
    expect(c.AmoCrmSinkSecrets).to.deep.include({ additionalProperties: false, required: ['accessToken'] });
  });
});
