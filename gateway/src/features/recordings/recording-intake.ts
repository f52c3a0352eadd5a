import { Transform, pipeline } from 'node:stream';
import type { Db } from '../../adapters/db/knex.js';
import type { RecordingStorage } from '../../adapters/storage/recording-storage.js';
import { recordingKey } from '../../adapters/storage/recording-storage.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { EventBus } from '../../shared/event-bus.js';
import type { CallChangeHook } from '../calls/call-change-hook.js';
import { inspectAudio } from './audio-info.js';
import { PermanentFetchError } from './recording-fetcher.js';
import type { RecordingFetcher } from './recording-fetcher.js';
import type { PgRecordingStore, Recording } from './recording-store.js';

/** Delays between attempts: Twilio finalises within seconds to minutes; give up after about an hour. */
export const DEFAULT_RETRY_DELAYS_MS = [2_000, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000];
const HEAD_BYTES = 64 * 1024;
/** Allowed gap between the provider's stated duration and the file's (container rounding, trailing silence). */
const DURATION_TOLERANCE_S = 2;

export interface RecordingIntakeDeps {
  readonly db: Db;
  readonly recordings: PgRecordingStore;
  readonly storage: RecordingStorage;
  readonly fetchers: Readonly<Partial<Record<Recording['provider'], RecordingFetcher>>>;
  readonly events: EventBus;
  readonly hooks: readonly CallChangeHook[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Whether the site asked us to delete the provider's copy once ours is verified. */
  readonly deleteAtProvider: (recording: Recording) => Promise<boolean>;
  readonly retryDelaysMs?: readonly number[];
  readonly leaseMs?: number;
}

/**
 * Moves recordings from the provider into our storage. The recording row is the durable job: claimed with a lease,
 * stored, verified (size, container, duration, channels), linked to the call, and only then, if the site says so,
 * deleted at the provider. A worker that dies mid-way leaves the row to be claimed again when its lease expires.
 */
export class RecordingIntake {
  constructor(private readonly deps: RecordingIntakeDeps) {}

  /**
   * Processes what is due now; returns how many recordings it claimed. `stopping` (the gateway stopping) ends a
   * download in flight and hands it and the rest of the batch back untried, so a stop never waits on a slow provider.
   */
  async runOnce(limit = 5, stopping?: AbortSignal): Promise<number> {
    const due = await this.deps.recordings.claimDue(this.deps.db, this.deps.clock.now(), this.deps.leaseMs ?? 10 * 60_000, limit);
    for (const rec of due) {
      if (stopping?.aborted) await this.deps.recordings.releaseClaim(this.deps.db, rec.id);
      else await this.process(rec, stopping);
    }
    return due.length;
  }

  /** Processes one pending recording now (an upload); does nothing when another worker has it. */
  async runFor(recordingId: string): Promise<void> {
    const rec = await this.deps.recordings.claimPending(this.deps.db, recordingId, this.deps.clock.now(), this.deps.leaseMs ?? 10 * 60_000);
    if (rec) await this.process(rec);
  }

  private async process(rec: Recording, stopping?: AbortSignal): Promise<void> {
    const log = this.deps.logger.child({ recordingId: rec.id, callId: rec.callId, attempt: rec.attempts });
    const fetcher = this.deps.fetchers[rec.provider];
    let storedKey: string | null = null;
    try {
      if (!fetcher) throw new PermanentFetchError(`No fetcher for ${rec.provider} recordings`);
      const audio = await fetcher.fetch(rec, stopping);
      const key = recordingKey({ accountId: rec.accountId, callId: rec.callId, recordingId: rec.id, at: rec.createdAt, ext: audio.ext });
      const head: Buffer[] = [];
      let headBytes = 0;
      const peek = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          if (headBytes < HEAD_BYTES) {
            head.push(chunk);
            headBytes += chunk.length;
          }
          cb(null, chunk);
        },
      });
      // pipeline, not pipe: a body that errors (a stop, a dropped connection) must fail the put, not go unhandled.
      const stored = await this.deps.storage.put(
        key,
        pipeline(audio.body, peek, () => undefined),
        audio.contentType,
      );
      storedKey = key;
      const info = this.verify(rec, Buffer.concat(head), stored.bytes, audio.declaredBytes);
      await this.deps.db.transaction(async (trx) => {
        await this.deps.recordings.markStored(trx, rec.id, {
          storageKey: key,
          contentType: stored.contentType,
          bytes: stored.bytes,
          sha256: stored.sha256,
          durationSeconds: Math.round(info.durationSeconds * 1000) / 1000,
          channels: info.channels,
          at: this.deps.clock.now(),
        });
        const callRow = (await trx('calls').select('site_id').where({ id: rec.callId }).first()) as { site_id: string | null } | undefined;
        for (const hook of this.deps.hooks) {
          await hook.onCallChange(trx, {
            accountId: rec.accountId,
            callId: rec.callId,
            siteId: callRow?.site_id ?? null,
            trigger: 'recording.ready',
          });
        }
      });
      log.info({ bytes: stored.bytes, seconds: info.durationSeconds }, 'recording stored');
      await this.deps.events.emit('recording.ready', { accountId: rec.accountId, callId: rec.callId, recordingId: rec.id });
      await this.deleteProviderCopy(rec, fetcher, log);
    } catch (err) {
      if (storedKey) await this.deps.storage.delete(storedKey).catch(() => undefined);
      if (stopping?.aborted) {
        await this.deps.recordings.releaseClaim(this.deps.db, rec.id);
        log.info('recording fetch interrupted by the stop; handed back for the next start');
        return;
      }
      const delays = this.deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
      const permanent = err instanceof PermanentFetchError || rec.attempts > delays.length;
      const delay = delays[Math.min(rec.attempts - 1, delays.length - 1)] ?? 0;
      const retryAt = permanent ? null : new Date(this.deps.clock.nowMs() + delay + Math.floor(Math.random() * delay * 0.2));
      await this.deps.recordings.markAttemptFailed(this.deps.db, rec.id, (err as Error).message.slice(0, 500), retryAt);
      if (permanent) log.error({ err }, 'recording could not be fetched; giving up');
      else log.warn({ err: (err as Error).message, retryAt }, 'recording fetch failed; will retry');
    }
  }

  private verify(rec: Recording, head: Buffer, bytes: number, declared: number | null): { durationSeconds: number; channels: number } {
    if (bytes === 0) throw new Error('The download was empty');
    if (declared !== null && declared !== bytes) throw new Error(`Size mismatch: the provider declared ${declared} bytes, ${bytes} arrived`);
    const info = inspectAudio(head, bytes);
    if (!info) throw new Error('The download is not WAV or MP3 audio');
    if (rec.channels !== null && info.channels !== rec.channels) throw new Error(`Expected ${rec.channels} channels, the file has ${info.channels}`);
    if (rec.expectedDurationSeconds !== null && Math.abs(info.durationSeconds - rec.expectedDurationSeconds) > DURATION_TOLERANCE_S) {
      throw new Error(`Duration mismatch: the provider said ${rec.expectedDurationSeconds} s, the file has ${info.durationSeconds.toFixed(1)} s`);
    }
    return info;
  }

  private async deleteProviderCopy(rec: Recording, fetcher: RecordingFetcher, log: Logger): Promise<void> {
    if (!fetcher.deleteAtProvider || !(await this.deps.deleteAtProvider(rec))) return;
    try {
      await fetcher.deleteAtProvider(rec);
      await this.deps.recordings.markProviderDeleted(this.deps.db, rec.id, this.deps.clock.now());
    } catch (err) {
      // Our copy is safe; the provider's stays until the next retention pass.
      log.warn({ err }, 'could not delete the provider copy');
    }
  }
}
