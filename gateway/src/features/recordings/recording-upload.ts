import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { inspectAudio } from './audio-info.js';
import { PermanentFetchError } from './recording-fetcher.js';
import type { FetchedAudio, RecordingFetcher } from './recording-fetcher.js';
import type { RecordingIntake } from './recording-intake.js';
import type { PgRecordingStore, Recording } from './recording-store.js';

/**
 * Recordings pushed by a PBX, a cloud PBX or an operator (`POST /v1/calls/{callId}/recording`). The body is staged
 * on disk, its type sniffed from its bytes (WAV or MP3, whatever Content-Type says), then it goes through the same
 * intake as a provider's recording: stored, verified (size, container, duration, channels), linked to the call,
 * announced as recording.ready.
 */

/** About 4.5 hours of 8 kHz 16-bit stereo WAV (what MixMonitor writes), or days of MP3. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const SNIFF_BYTES = 64 * 1024;
const ACCEPTED_TYPES = /^(audio\/[a-z0-9.+-]+|application\/octet-stream)$/;

/** The staging folder as a fetcher: the intake reads an upload from here like a provider's media URL. */
export class UploadStaging implements RecordingFetcher {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, path.basename(name));
  }

  async fetch(rec: Recording): Promise<FetchedAudio> {
    const file = this.file(rec.providerRef);
    const size = await stat(file).then(
      (s) => s.size,
      () => {
        throw new PermanentFetchError('The uploaded file is gone (uploads are processed on the replica that received them)');
      },
    );
    const ext = rec.providerRef.endsWith('.mp3') ? 'mp3' : 'wav';
    return { body: createReadStream(file), contentType: ext === 'wav' ? 'audio/wav' : 'audio/mpeg', ext, declaredBytes: size };
  }
}

export interface UploadedRecording {
  readonly id: string;
  readonly status: Recording['status'];
  readonly contentType: string | null;
  readonly bytes: number | null;
  readonly durationSeconds: number | null;
  readonly channels: number | null;
  readonly sha256: string | null;
}

export class RecordingUploadService {
  constructor(
    private readonly deps: {
      db: Db;
      recordings: PgRecordingStore;
      staging: UploadStaging;
      intake: RecordingIntake;
      audit: AuditLog;
      maxBytes?: number;
    },
  ) {}

  async upload(
    actor: Principal,
    callId: string,
    body: Readable,
    headers: { contentType?: string; contentLength?: string },
  ): Promise<UploadedRecording> {
    const max = this.deps.maxBytes ?? MAX_UPLOAD_BYTES;
    const media = (headers.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const refuse = (err: Error): never => {
      body.resume();
      throw err;
    };
    if (media && !ACCEPTED_TYPES.test(media)) refuse(new UnsupportedMediaTypeError(`Content-Type must be audio/* (WAV or MP3), got "${media}"`));
    if (headers.contentLength !== undefined && Number(headers.contentLength) > max)
      refuse(new PayloadTooLargeError(`A recording may have at most ${max} bytes`));
    // A PBX knows its own call id, not ours: `asterisk:<Uniqueid>` and `twilio:<CallSid>` name a call by it.
    const byProvider = /^(twilio|asterisk):(.+)$/.exec(callId);
    const call = (await this.deps
      .db('calls')
      .select('id')
      .where(
        byProvider
          ? { provider: byProvider[1], provider_call_id: byProvider[2], account_id: actor.accountId }
          : { id: callId, account_id: actor.accountId },
      )
      .first()) as { id: string } | undefined;
    if (!call) return refuse(new NotFoundError(`Call ${callId} not found (a call that just ended may take a moment to appear)`));
    callId = call.id;

    const id = newId();
    await mkdir(this.deps.staging.dir, { recursive: true });
    const part = this.deps.staging.file(`${id}.part`);
    let name: string | null = null;
    try {
      await this.stage(body, part, max);
      const info = await sniff(part);
      if (!info) throw new UnsupportedMediaTypeError('The body is not WAV or MP3 audio');
      name = `${id}.${info.format}`;
      await rename(part, this.deps.staging.file(name));
      await this.deps.db('recordings').insert({
        id,
        account_id: actor.accountId,
        call_id: callId,
        provider: 'upload',
        provider_ref: name,
        status: 'pending',
        // What the file says of itself: the intake checks the stored copy against it.
        expected_duration_s: Math.round(info.durationSeconds * 1000) / 1000,
        channels: info.channels,
      });
      await this.deps.audit.record(this.deps.db, actor, {
        action: 'recording.upload',
        targetType: 'call',
        targetId: callId,
        details: { recordingId: id },
      });
      await this.deps.intake.runFor(id);
      const rec = await this.deps.recordings.get(this.deps.db, actor.accountId, id);
      if (rec?.status === 'failed') throw new BadDataError(`The recording was refused: ${rec.lastError ?? 'it could not be verified'}`);
      return {
        id,
        status: rec?.status ?? 'pending',
        contentType: rec?.contentType ?? null,
        bytes: rec?.bytes ?? null,
        durationSeconds: rec?.durationSeconds ?? null,
        channels: rec?.channels ?? null,
        sha256: rec?.sha256 ?? null,
      };
    } finally {
      await rm(part, { force: true });
      // A pending upload (storage was down) keeps its staged file for the intake's next attempt.
      if (name) {
        const rec = await this.deps.recordings.get(this.deps.db, actor.accountId, id).catch(() => null);
        if (rec?.status !== 'pending') await rm(this.deps.staging.file(name), { force: true });
      }
    }
  }

  private async stage(body: Readable, file: string, max: number): Promise<void> {
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (bytes > max) cb(new PayloadTooLargeError(`A recording may have at most ${max} bytes`));
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(body, limit, createWriteStream(file));
    } catch (err) {
      if (err instanceof PayloadTooLargeError) throw err;
      throw new BadDataError(`The upload was interrupted: ${(err as Error).message}`);
    }
    if (bytes === 0) throw new BadDataError('The body is empty: send the audio file as the request body');
  }
}

async function sniff(file: string): Promise<ReturnType<typeof inspectAudio>> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    return inspectAudio(head, size);
  } finally {
    await fh.close();
  }
}
