import { callSchema } from '../calls/call-schemas.js';

export const LIVE_MESSAGE_TYPES = ['call.ringing', 'call.answered', 'call.ended', 'call.attributed'] as const;

/** One message on `GET /v1/live`: what happened and the call as the calls API shows it. */
export const liveCallMessageSchema = {
  $id: 'LiveCallMessage',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'at', 'call'],
  properties: {
    type: { type: 'string', enum: [...LIVE_MESSAGE_TYPES] },
    at: { type: 'string', format: 'date-time' },
    call: callSchema,
  },
} as const;

/** The first message after connecting. */
export const liveHelloSchema = {
  $id: 'LiveHello',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'accountId'],
  properties: { type: { const: 'hello' }, accountId: { type: 'string' } },
} as const;
