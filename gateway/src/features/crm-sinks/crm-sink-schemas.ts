import { WEBHOOK_SECRET_PATTERN } from '../../adapters/crm/standard-webhooks.js';

const triggers = { type: 'string', enum: ['call.started', 'call.answered', 'call.ended', 'recording.ready', 'attribution.changed'] } as const;
const kinds = { type: 'string', enum: ['webhook', 'retailcrm', 'bitrix24', 'amocrm', 'ga4'] } as const;
const codes = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, maxItems: 100, uniqueItems: true } as const;
const httpUrl = { type: 'string', maxLength: 2000, pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' } as const;

export const crmSinkParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId'],
  properties: { siteId: { type: 'string', minLength: 1 } },
} as const;

export const crmSinkIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'sinkId'],
  properties: { siteId: { type: 'string', minLength: 1 }, sinkId: { type: 'string', minLength: 1 } },
} as const;

/** What each kind needs, checked when a sink is saved (the adapters then trust it). */
export const SINK_KIND_SCHEMAS = {
  webhook: {
    config: {
      $id: 'WebhookSinkConfig',
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: { url: httpUrl },
    },
    secrets: {
      $id: 'WebhookSinkSecrets',
      type: 'object',
      additionalProperties: false,
      required: ['secret'],
      properties: { secret: { type: 'string', pattern: WEBHOOK_SECRET_PATTERN, description: 'whsec_<base64>' } },
    },
  },
  retailcrm: {
    config: {
      $id: 'RetailCrmSinkConfig',
      type: 'object',
      additionalProperties: false,
      required: ['baseUrl', 'site'],
      properties: {
        baseUrl: httpUrl,
        site: { type: 'string', minLength: 1 },
        orderMethod: { type: 'string', minLength: 1 },
        orderType: { type: 'string', minLength: 1 },
        status: { type: 'string', minLength: 1 },
        userCode: { type: 'string', minLength: 1 },
        timezone: { type: 'string', minLength: 1 },
        orderMethodForm: { type: 'string', minLength: 1, description: 'orderMethod of web-form orders (landing-page)' },
        orderMethodCallback: { type: 'string', minLength: 1, description: 'orderMethod of callback requests (call-request)' },
        orderMethodEmail: { type: 'string', minLength: 1, description: 'orderMethod of emails (e-mail)' },
        wonStatuses: { ...codes, description: 'Order status codes that make the lead a deal (default: complete)' },
        lostStatuses: { ...codes, description: 'Order status codes that lose the lead (default: the stock cancel group)' },
        statusSync: {
          type: 'string',
          enum: ['trigger', 'history'],
          description: 'How deal status comes back: trigger = RetailCRM calls the feedback URL (default); history = the gateway polls orders/history',
        },
      },
    },
    secrets: {
      $id: 'RetailCrmSinkSecrets',
      type: 'object',
      additionalProperties: false,
      required: ['apiKey'],
      properties: { apiKey: { type: 'string', minLength: 8 } },
    },
  },
  bitrix24: {
    config: {
      $id: 'Bitrix24SinkConfig',
      type: 'object',
      additionalProperties: false,
      properties: {
        portalUrl: httpUrl,
        userId: { type: 'integer', minimum: 1 },
        assignedById: { type: 'integer', minimum: 1 },
        wonLeadStatuses: { ...codes, description: 'Lead STATUS_IDs that win (default: by STATUS_SEMANTIC_ID, else CONVERTED)' },
        lostLeadStatuses: { ...codes, description: 'Lead STATUS_IDs that lose (default: by semantics, else JUNK)' },
        wonDealStages: { ...codes, description: 'Deal STAGE_IDs that win (default: by STAGE_SEMANTIC_ID, else WON / Cn:WON)' },
        lostDealStages: { ...codes, description: 'Deal STAGE_IDs that lose (default: by semantics, else LOSE / Cn:LOSE)' },
      },
    },
    secrets: {
      $id: 'Bitrix24SinkSecrets',
      type: 'object',
      additionalProperties: false,
      required: ['webhookUrl'],
      properties: {
        webhookUrl: { ...httpUrl, pattern: '^https?://[^\\s/]+/rest/[0-9]+/[^\\s/]+/?$', description: 'https://{portal}/rest/{user}/{code}/' },
        accessToken: { type: 'string', minLength: 8 },
        applicationToken: {
          type: 'string',
          minLength: 8,
          maxLength: 200,
          description: "The outbound webhook's application_token: authenticates its ONCRMLEADUPDATE / ONCRMDEALUPDATE events",
        },
      },
    },
  },
  amocrm: {
    config: {
      $id: 'AmoCrmSinkConfig',
      type: 'object',
      additionalProperties: false,
      required: ['baseUrl'],
      properties: { baseUrl: httpUrl, pipelineId: { type: 'integer', minimum: 1 }, sourceName: { type: 'string', minLength: 1 } },
    },
    secrets: {
      $id: 'AmoCrmSinkSecrets',
      type: 'object',
      additionalProperties: false,
      required: ['accessToken'],
      properties: { accessToken: { type: 'string', minLength: 8 } },
    },
  },
  ga4: {
    config: {
      $id: 'Ga4SinkConfig',
      type: 'object',
      additionalProperties: false,
      required: ['measurementId'],
      properties: {
        measurementId: { type: 'string', pattern: '^G-[A-Z0-9]{4,20}$', description: 'The web stream measurement id' },
        leadValue: { type: 'number', minimum: 0, maximum: 1e9, description: 'generate_lead value until the CRM reports an amount' },
        endpoint: { ...httpUrl, description: 'https://www.google-analytics.com (default) or https://region1.google-analytics.com' },
      },
    },
    secrets: {
      $id: 'Ga4SinkSecrets',
      type: 'object',
      additionalProperties: false,
      required: ['apiSecret'],
      properties: { apiSecret: { type: 'string', minLength: 8, maxLength: 200, description: 'Measurement Protocol API secret of the stream' } },
    },
  },
} as const;

const sinkName = { type: 'string', minLength: 1, maxLength: 200 } as const;
const deliverOn = { type: 'array', items: triggers, minItems: 1, uniqueItems: true } as const;
const K = SINK_KIND_SCHEMAS;

/** One create request per kind: its own config and secrets, so a wrong or missing field is a 400 naming it. */
const createBranch = <const Kind extends keyof typeof SINK_KIND_SCHEMAS, const Id extends string>(kind: Kind, $id: Id) =>
  ({
    $id,
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'name', 'config', 'secrets'],
    properties: {
      kind: { const: kind },
      name: sinkName,
      config: K[kind].config,
      secrets: K[kind].secrets,
      deliverOn,
    },
  }) as const;

export const createCrmSinkRequestSchema = {
  $id: 'CreateCrmSinkRequest',
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [
    createBranch('webhook', 'CreateWebhookSink'),
    createBranch('retailcrm', 'CreateRetailCrmSink'),
    createBranch('bitrix24', 'CreateBitrix24Sink'),
    createBranch('amocrm', 'CreateAmoCrmSink'),
    createBranch('ga4', 'CreateGa4Sink'),
  ],
} as const;

/** Any kind's config; which one applies is the stored sink's kind, checked again with exactly its schema. */
const anyConfig = { anyOf: [K.webhook.config, K.retailcrm.config, K.bitrix24.config, K.amocrm.config, K.ga4.config] } as const;
const anySecrets = { anyOf: [K.webhook.secrets, K.retailcrm.secrets, K.bitrix24.secrets, K.amocrm.secrets, K.ga4.secrets] } as const;

export const updateCrmSinkRequestSchema = {
  $id: 'UpdateCrmSinkRequest',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: sinkName,
    config: { ...anyConfig, description: "The sink kind's config (replaces the whole config)" },
    secrets: { ...anySecrets, description: "The sink kind's secrets (replace all of them); stored encrypted, never returned" },
    deliverOn,
    status: { type: 'string', enum: ['active', 'disabled'] },
  },
} as const;

export const crmSinkSchema = {
  $id: 'CrmSink',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'siteId', 'kind', 'name', 'config', 'deliverOn', 'status', 'disabledReason', 'managedBy', 'hasSecrets', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    siteId: { type: ['string', 'null'], description: 'null: every site of the account' },
    kind: kinds,
    name: { type: 'string' },
    config: { ...anyConfig, description: 'Non-secret settings of its kind; secrets are write-only (only hasSecrets tells they are set)' },
    deliverOn: { type: 'array', items: triggers },
    status: { type: 'string', enum: ['active', 'disabled'] },
    disabledReason: { type: ['string', 'null'] },
    managedBy: { type: ['string', 'null'], description: '"env" for the sink LEADS_WEBHOOK_URL manages' },
    hasSecrets: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const createdCrmSinkSchema = {
  $id: 'CreatedCrmSink',
  type: 'object',
  additionalProperties: false,
  required: ['sink', 'feedbackToken'],
  properties: {
    sink: crmSinkSchema,
    feedbackToken: { type: 'string', description: 'Bearer token for POST /v1/crm-feedback/{sinkId}; shown once, stored hashed' },
  },
} as const;

export const crmSinkListSchema = {
  $id: 'CrmSinkList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: crmSinkSchema } },
} as const;
