import path from 'node:path';
import type { Db } from '../../adapters/db/knex.js';
import { RECORDING_UPLOADERS } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { RecordingIntake } from './recording-intake.js';
import type { PgRecordingStore } from './recording-store.js';
import { MAX_UPLOAD_BYTES, RecordingUploadService, UploadStaging } from './recording-upload.js';

const uploadedSchema = {
  $id: 'UploadedRecording',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'status', 'contentType', 'bytes', 'durationSeconds', 'channels', 'sha256'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['stored', 'pending'], description: 'pending: storage was unavailable, the intake retries' },
    contentType: { type: ['string', 'null'] },
    bytes: { type: ['integer', 'null'] },
    durationSeconds: { type: ['number', 'null'] },
    channels: { type: ['integer', 'null'] },
    sha256: { type: ['string', 'null'] },
  },
} as const;

export class RecordingUploadController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(uploads: RecordingUploadService) {
    this.routes = [
      route(
        {
          method: 'post',
          path: '/v1/calls/{callId}/recording',
          operationId: 'uploadCallRecording',
          summary: "Upload a call's recording (WAV or MP3 as the raw body), for PBXs and cloud PBXs that push files",
          description: `The body is the audio file (Content-Type audio/* or application/octet-stream; the type is read from the bytes), at most ${MAX_UPLOAD_BYTES} bytes. Admins, owners and PBX keys.`,
          tags: ['recordings'],
          auth: RECORDING_UPLOADERS,
          params: {
            type: 'object',
            additionalProperties: false,
            required: ['callId'],
            properties: {
              callId: {
                type: 'string',
                minLength: 1,
                maxLength: 120,
                description: "Our call id, or the provider's: asterisk:<Uniqueid>, twilio:<CallSid>",
              },
            },
          },
          responses: {
            201: { description: 'Stored and verified', schema: uploadedSchema },
            202: { description: 'Accepted; storage is retried', schema: uploadedSchema },
            400: { description: 'Empty, interrupted or not matching what the file says of itself' },
            413: { description: 'Too large' },
            415: { description: 'Not WAV or MP3' },
          },
        },
        async ({ principal, params, req }) => {
          const header = (name: string) => {
            const v = req.headers[name];
            return Array.isArray(v) ? v[0] : v;
          };
          const contentType = header('content-type');
          const contentLength = header('content-length');
          const r = await uploads.upload(principal, params.callId, req, {
            ...(contentType ? { contentType } : {}),
            ...(contentLength ? { contentLength } : {}),
          });
          return { status: r.status === 'stored' ? 201 : 202, body: r };
        },
      ),
    ];
  }
}

/** The upload capability: a staging folder the intake reads from, and the route that fills it. */
export function createRecordingUploads(deps: { db: Db; recordings: PgRecordingStore; audit: AuditLog; dataDir: string }) {
  const staging = new UploadStaging(path.join(deps.dataDir, 'uploads'));
  return {
    staging,
    controller: (intake: RecordingIntake) => new RecordingUploadController(new RecordingUploadService({ ...deps, staging, intake })),
  };
}
