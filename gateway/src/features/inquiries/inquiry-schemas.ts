const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' } as const;
const e164OrNull = { type: ['string', 'null'], pattern: '^\\+[1-9][0-9]{6,14}$' } as const;
const emailOrNull = { type: ['string', 'null'], maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' } as const;
const domainOrNull = { type: ['string', 'null'], maxLength: 253, pattern: '^[a-z0-9.-]+\\.[a-z]{2,}$' } as const;

export const inquirySubmitSchema = {
  $id: 'InquirySubmit',
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['form', 'callback'], description: 'form (default) or callback: call me back' },
    site: { type: 'string', maxLength: 64, description: "The site's public key (widget requests)" },
    sessionId: { type: 'string', minLength: 1, maxLength: 64, description: "The widget's visit id, for attribution" },
    externalId: { type: 'string', minLength: 1, maxLength: 200, description: 'Your id of the submission: a resubmission is the same inquiry' },
    phone: { type: 'string', maxLength: 64 },
    email: { type: 'string', maxLength: 320 },
    name: { type: 'string', maxLength: 200 },
    subject: { type: 'string', maxLength: 500, description: 'Form name' },
    message: { type: 'string', maxLength: 20000 },
    fields: { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', maxLength: 2000 } },
    pageUrl: { type: 'string', maxLength: 2048 },
    honeypot: { type: 'string', maxLength: 2000, description: "The honeypot input's value: non-empty marks spam" },
    secondsOnPage: { type: 'number', minimum: 0, maximum: 1e7 },
  },
} as const;

export const inquirySubmitResponseSchema = {
  $id: 'InquirySubmitResponse',
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['received', 'duplicate', 'queued', 'placing', 'placed', 'failed'] },
    id: { type: 'string' },
    leadId: { type: ['string', 'null'] },
    /** Callbacks outside business hours: when the call will be placed. */
    dueAt: { type: ['string', 'null'], format: 'date-time' },
    message: { type: 'string', description: "What to tell the visitor, in the site's language" },
  },
} as const;

export const inquirySettingsSchema = {
  $id: 'InquirySettings',
  type: 'object',
  additionalProperties: false,
  properties: {
    forms: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        selectors: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 200 } },
        honeypotField: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.\\-\\[\\]]+$' },
        minSecondsOnPage: { type: ['integer', 'null'], minimum: 1, maximum: 3600 },
        perSitePerMinute: { type: 'integer', minimum: 1, maximum: 10000 },
        perAddressPerHour: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    callback: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        provider: { type: 'string', enum: ['twilio', 'asterisk'] },
        businessNumber: e164OrNull,
        callerId: e164OrNull,
        hours: {
          type: 'array',
          maxItems: 14,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['days', 'from', 'to'],
            properties: { days: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: 7 } }, from: hhmm, to: hhmm },
          },
        },
        asteriskContext: { type: 'string', minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9_-]+$' },
      },
    },
    email: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        canonical: emailOrNull,
        forwardTo: emailOrNull,
        domain: domainOrNull,
        mode: { type: 'string', enum: ['channel', 'session'] },
        poolSize: { type: 'integer', minimum: 1, maximum: 1000 },
        rawMailRetentionDays: { type: ['integer', 'null'], minimum: 0, maximum: 3650 },
      },
    },
  },
} as const;

export const inquirySettingsResponseSchema = {
  $id: 'InquirySettingsResponse',
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'settings', 'signingSecret'],
  properties: {
    siteId: { type: 'string' },
    settings: inquirySettingsSchema,
    signingSecret: { type: 'string', description: 'HMAC key of POST /v1/sites/{siteId}/inquiries for your backend' },
  },
} as const;

export const updateInquirySettingsSchema = {
  $id: 'UpdateInquirySettings',
  type: 'object',
  additionalProperties: false,
  properties: { ...inquirySettingsSchema.properties, rotateSecret: { type: 'boolean' } },
} as const;

export const inquiryListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', pattern: '^(call|form|callback|email)(,(call|form|callback|email))*$', description: 'One kind or several: form,email' },
    siteId: { type: 'string', maxLength: 64 },
    leadId: { type: 'string', maxLength: 64 },
    from: { type: 'string', format: 'date-time' },
    before: {
      type: 'string',
      maxLength: 120,
      description: "Next page: the `nextBefore` of the last page (its last item's time and id); or a date-time, to list what is older",
    },
    limit: { type: 'integer', minimum: 1, maximum: 200 },
  },
} as const;

const nullableString = { type: ['string', 'null'] } as const;

export const inquiryListSchema = {
  $id: 'InquiryList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'kind', 'siteId', 'at', 'status', 'phone', 'email', 'name', 'subject', 'message', 'leadId', 'sessionId', 'callId'],
        properties: {
          id: { type: 'string' },
          kind: { type: 'string', enum: ['call', 'form', 'callback', 'email'] },
          siteId: nullableString,
          at: { type: 'string', format: 'date-time' },
          status: { type: 'string' },
          phone: nullableString,
          email: nullableString,
          name: nullableString,
          subject: nullableString,
          message: nullableString,
          leadId: nullableString,
          sessionId: nullableString,
          callId: nullableString,
          outcome: nullableString,
          durationSeconds: { type: ['integer', 'null'] },
          channel: {
            type: ['object', 'null'],
            additionalProperties: false,
            required: ['id', 'name', 'kind'],
            properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' } },
          },
          source: nullableString,
          medium: nullableString,
          campaign: nullableString,
          keyword: nullableString,
          landingPage: nullableString,
        },
      },
    },
    nextBefore: nullableString,
  },
} as const;

export const inquiryIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['inquiryId'],
  properties: { inquiryId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** One form, callback request or email, as the console's detail view shows it. */
export const inquiryDetailSchema = {
  $id: 'InquiryDetail',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'origin', 'siteId', 'receivedAt', 'status', 'phone', 'email', 'name', 'subject', 'message', 'fields', 'pageUrl'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['form', 'callback', 'email'] },
    origin: { type: 'string', enum: ['widget', 'server', 'mailgun', 'postmark', 'sendgrid', 'smtp'] },
    siteId: nullableString,
    siteName: nullableString,
    receivedAt: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: ['received', 'queued', 'placing', 'placed', 'failed'] },
    phone: nullableString,
    email: nullableString,
    name: nullableString,
    subject: nullableString,
    message: nullableString,
    fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'As submitted; secret-named fields and card numbers masked' },
    pageUrl: nullableString,
    sessionId: nullableString,
    callId: nullableString,
    dueAt: nullableString,
    alias: { type: ['string', 'null'], description: 'Email: the tracked address it was sent to' },
    forwardedAt: nullableString,
    callbackOutcome: {
      type: ['string', 'null'],
      enum: ['failed', 'business_answered', 'visitor_answered', null],
      description: 'Callbacks through Asterisk: the business never answered, only the business answered, or both talked',
    },
    lead: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['id', 'firstInquiryId', 'repeat', 'inquiries'],
      properties: { id: { type: 'string' }, firstInquiryId: { type: 'string' }, repeat: { type: 'boolean' }, inquiries: { type: 'integer' } },
    },
    attribution: {
      type: 'object',
      additionalProperties: false,
      properties: {
        channel: nullableString,
        channelName: nullableString,
        source: nullableString,
        medium: nullableString,
        campaign: nullableString,
        keyword: nullableString,
        content: nullableString,
        landingPage: nullableString,
        referrer: nullableString,
      },
    },
  },
} as const;

export const siteParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId'],
  properties: { siteId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const widgetConfigQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { session: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const widgetConfigSchema = {
  $id: 'InquiryWidgetConfig',
  type: 'object',
  additionalProperties: false,
  required: ['forms', 'callback', 'email'],
  properties: {
    forms: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['enabled', 'selectors', 'honeypotField'],
      properties: { enabled: { type: 'boolean' }, selectors: { type: 'array', items: { type: 'string' } }, honeypotField: { type: 'string' } },
    },
    callback: { type: ['object', 'null'], additionalProperties: false, required: ['enabled'], properties: { enabled: { type: 'boolean' } } },
    email: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['canonical', 'alias'],
      properties: { canonical: { type: 'string' }, alias: { type: 'string' } },
    },
  },
} as const;
