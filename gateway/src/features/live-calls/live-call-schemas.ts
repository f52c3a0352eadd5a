import { ANY_ROLE } from '../../http/principal.js';
import type { RouteSpec } from '../../http/route.js';
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

/**
 * `GET /v1/live` as the OpenAPI document shows it: a WebSocket upgrade (served on the server's `upgrade` event, not
 * by the router), any role of the account, messages as components. The access matrix connects to it per role.
 */
export const liveUpgradeSpec: RouteSpec = {
  method: 'get',
  path: '/v1/live',
  operationId: 'liveCalls',
  summary: "The account's calls as they ring, connect, end and get attributed (WebSocket)",
  description:
    "Upgrade to a WebSocket with an API key (`Authorization: Bearer`) or the console session cookie. The server sends `LiveHello` first, then a `LiveCallMessage` for every change of one of the account's calls, only that account's; it pings every 30 s and ignores what the client sends. A session cookie is accepted only from the gateway's own origin. At most 100 sockets per account.",
  tags: ['calls'],
  auth: ANY_ROLE,
  headers: {
    type: 'object',
    required: ['Upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version'],
    properties: {
      Upgrade: { const: 'websocket' },
      Connection: { type: 'string', description: 'Upgrade' },
      'Sec-WebSocket-Key': { type: 'string', description: 'RFC 6455 handshake nonce (base64 of 16 bytes)' },
      'Sec-WebSocket-Version': { const: '13' },
    },
  },
  responses: {
    101: { description: 'Switching Protocols: the socket is open and LiveHello follows' },
    401: { description: 'No valid API key or session (a bare status line; the connection closes)' },
    403: { description: 'A PBX key, or a session cookie sent from another origin (a bare status line)' },
    429: { description: 'The account has the most sockets it may open' },
  },
  extensions: {
    'x-websocket': {
      description: 'Messages the server sends, as JSON text frames; the first is LiveHello',
      messages: { oneOf: [liveHelloSchema, liveCallMessageSchema] },
    },
  },
};
