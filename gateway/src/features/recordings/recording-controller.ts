import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { ADMINS, CALL_HANDLERS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { Playback, PlaybackRequest, RecordingService } from './recording-service.js';

const callParams = {
  type: 'object',
  additionalProperties: false,
  required: ['callId'],
  properties: { callId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const audioResponses = {
  200: { description: 'The whole recording', contentType: 'audio/*' },
  206: { description: 'The requested byte range', contentType: 'audio/*' },
  304: { description: 'Not modified (If-None-Match)' },
  416: { description: 'Range not satisfiable' },
} as const;

const linkResponseSchema = {
  $id: 'RecordingLink',
  type: 'object',
  additionalProperties: false,
  required: ['url', 'expiresAt'],
  properties: { url: { type: 'string', format: 'uri' }, expiresAt: { type: 'string', format: 'date-time' } },
} as const;

function playbackRequest(req: Request, download: boolean): PlaybackRequest {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return { range: header('range'), ifNoneMatch: header('if-none-match'), ifRange: header('if-range'), download, ip: req.ip ?? null };
}

async function send(res: Response, p: Playback): Promise<undefined> {
  res.status(p.status).set(p.headers);
  if (!p.body) {
    res.end();
    return undefined;
  }
  // A listener that leaves mid-file closes the socket: that ends the pipeline early, which is not an error.
  await pipeline(p.body, res).catch(() => p.body?.destroy());
  return undefined;
}

export class RecordingController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(recordings: RecordingService) {
    const tags = ['recordings'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/calls/{callId}/recording',
          operationId: 'playCallRecording',
          summary: "Stream a call's recording (HTTP Range for seeking); every listen is audited",
          tags,
          auth: CALL_HANDLERS,
          params: callParams,
          query: {
            type: 'object',
            additionalProperties: false,
            properties: { download: { type: 'boolean', description: 'Serve as an attachment' } },
          },
          responses: audioResponses,
        },
        async ({ principal, params, query, req, res }) =>
          send(res, await recordings.playForCall(principal, params.callId, playbackRequest(req, query.download === true))),
      ),
      route(
        {
          method: 'post',
          path: '/v1/calls/{callId}/recording/links',
          operationId: 'createRecordingLink',
          summary: 'A signed, expiring URL that plays the recording without a login (for the CRM)',
          tags,
          auth: CALL_HANDLERS,
          params: callParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { ttlSeconds: { type: 'integer', minimum: 60, maximum: 31_536_000 } },
          },
          responses: { 201: { description: 'The link', schema: linkResponseSchema } },
        },
        async ({ principal, params, body }) => {
          const link = await recordings.createLink(principal, params.callId, body.ttlSeconds);
          return { status: 201, body: { url: link.url, expiresAt: link.expiresAt.toISOString() } };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/recordings/{recordingId}/audio',
          operationId: 'playSignedRecording',
          summary: 'Play a recording through a signed link',
          tags,
          auth: 'public',
          params: {
            type: 'object',
            additionalProperties: false,
            required: ['recordingId'],
            properties: { recordingId: { type: 'string', minLength: 1, maxLength: 64 } },
          },
          query: {
            type: 'object',
            additionalProperties: false,
            required: ['exp', 'sig'],
            properties: { exp: { type: 'integer' }, sig: { type: 'string', maxLength: 100 }, download: { type: 'boolean' } },
          },
          responses: { ...audioResponses, 403: { description: 'Invalid or expired link' } },
        },
        async ({ params, query, req, res }) =>
          send(res, await recordings.playSigned(params.recordingId, query.exp, query.sig, playbackRequest(req, query.download === true))),
      ),
      route(
        {
          method: 'post',
          path: '/v1/recordings/link-key/rotate',
          operationId: 'rotateRecordingLinkKey',
          summary: 'Revoke every signed recording link of the account',
          tags,
          auth: ADMINS,
          responses: {
            200: {
              description: 'Rotated',
              schema: { type: 'object', additionalProperties: false, required: ['version'], properties: { version: { type: 'integer' } } },
            },
          },
        },
        async ({ principal }) => ({ status: 200, body: { version: await recordings.rotateLinkKey(principal) } }),
      ),
    ];
  }
}
