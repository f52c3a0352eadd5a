import type { DbOrTrx } from '../../adapters/db/knex.js';

export type RecordingStatus = 'pending' | 'fetching' | 'stored' | 'failed' | 'absent' | 'deleted';

export interface Recording {
  readonly id: string;
  readonly accountId: string;
  readonly callId: string;
  readonly provider: 'twilio' | 'asterisk' | 'upload';
  /** Twilio RecordingSid, the MixMonitor file path on the PBX, or the staged file of an upload. */
  readonly providerRef: string;
  readonly sourceUrl: string | null;
  readonly storageKey: string | null;
  readonly contentType: string | null;
  readonly bytes: number | null;
  readonly sha256: string | null;
  readonly durationSeconds: number | null;
  readonly expectedDurationSeconds: number | null;
  readonly channels: number | null;
  readonly status: RecordingStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly storedAt: Date | null;
}

const TABLE = 'recordings';
const COLUMNS = [
  'id',
  'account_id',
  'call_id',
  'provider',
  'provider_ref',
  'source_url',
  'storage_key',
  'content_type',
  'bytes',
  'sha256',
  'duration_s',
  'expected_duration_s',
  'channels',
  'status',
  'attempts',
  'last_error',
  'created_at',
  'stored_at',
] as const;

interface RecordingRow {
  id: string;
  account_id: string;
  call_id: string;
  provider: 'twilio' | 'asterisk' | 'upload';
  provider_ref: string;
  source_url: string | null;
  storage_key: string | null;
  content_type: string | null;
  bytes: number | null;
  sha256: string | null;
  duration_s: number | null;
  expected_duration_s: number | null;
  channels: number | null;
  status: RecordingStatus;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  stored_at: Date | null;
}

const toDomain = (r: RecordingRow): Recording => ({
  id: r.id,
  accountId: r.account_id,
  callId: r.call_id,
  provider: r.provider,
  providerRef: r.provider_ref,
  sourceUrl: r.source_url,
  storageKey: r.storage_key,
  contentType: r.content_type,
  bytes: r.bytes,
  sha256: r.sha256,
  durationSeconds: r.duration_s,
  expectedDurationSeconds: r.expected_duration_s,
  channels: r.channels,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at,
  storedAt: r.stored_at,
});

export class PgRecordingStore {
  async get(db: DbOrTrx, accountId: string, id: string): Promise<Recording | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, id })
      .first()) as RecordingRow | undefined;
    return row ? toDomain(row) : null;
  }

  /** The call's playable recording (the newest stored one). */
  async findStoredForCall(db: DbOrTrx, accountId: string, callId: string): Promise<Recording | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, call_id: callId, status: 'stored' })
      .orderBy('stored_at', 'desc')
      .first()) as RecordingRow | undefined;
    return row ? toDomain(row) : null;
  }

  async listForCall(db: DbOrTrx, accountId: string, callId: string): Promise<Recording[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, call_id: callId })
      .orderBy('created_at')) as RecordingRow[];
    return rows.map(toDomain);
  }

  /**
   * Claims up to `limit` due recordings for this worker: pending ones, and fetching ones whose lease ran out (the
   * worker that held them died). SKIP LOCKED lets several workers claim side by side without waiting on each other.
   */
  async claimDue(db: DbOrTrx, now: Date, leaseMs: number, limit: number): Promise<Recording[]> {
    const until = new Date(now.getTime() + leaseMs);
    const rows = (await db.raw(
      `UPDATE recordings SET status = 'fetching', locked_until = ?, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM recordings
         WHERE next_attempt_at <= ? AND (status = 'pending' OR (status = 'fetching' AND locked_until < ?))
         ORDER BY next_attempt_at
         LIMIT ?
         FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS.join(', ')}`,
      [until, now, now, limit],
    )) as { rows: RecordingRow[] };
    return rows.rows.map(toDomain);
  }

  /** Claims one pending recording (an upload processed while its request waits); null when it is not pending. */
  async claimPending(db: DbOrTrx, id: string, now: Date, leaseMs: number): Promise<Recording | null> {
    const rows = (await db.raw(
      `UPDATE recordings SET status = 'fetching', locked_until = ?, attempts = attempts + 1
       WHERE id = ? AND status = 'pending'
       RETURNING ${COLUMNS.join(', ')}`,
      [new Date(now.getTime() + leaseMs), id],
    )) as { rows: RecordingRow[] };
    const row = rows.rows[0];
    return row ? toDomain(row) : null;
  }

  async markStored(
    db: DbOrTrx,
    id: string,
    s: { storageKey: string; contentType: string; bytes: number; sha256: string; durationSeconds: number | null; channels: number | null; at: Date },
  ): Promise<void> {
    await db(TABLE).where({ id }).update({
      status: 'stored',
      storage_key: s.storageKey,
      content_type: s.contentType,
      bytes: s.bytes,
      sha256: s.sha256,
      duration_s: s.durationSeconds,
      channels: s.channels,
      stored_at: s.at,
      locked_until: null,
      last_error: null,
    });
  }

  /** Back to pending for another attempt at `retryAt`, or failed for good when `retryAt` is null. */
  async markAttemptFailed(db: DbOrTrx, id: string, error: string, retryAt: Date | null): Promise<void> {
    await db(TABLE)
      .where({ id })
      .update(
        retryAt
          ? { status: 'pending', next_attempt_at: retryAt, locked_until: null, last_error: error }
          : { status: 'failed', locked_until: null, last_error: error },
      );
  }

  /**
   * Gives a claimed recording back untried (the gateway is stopping mid-download): due again at once, and the claim's
   * attempt is not counted, so a restart neither waits out a retry delay nor moves the row closer to giving up.
   */
  async releaseClaim(db: DbOrTrx, id: string): Promise<void> {
    await db.raw(
      `UPDATE recordings SET status = 'pending', locked_until = NULL, attempts = GREATEST(attempts - 1, 0)
       WHERE id = ? AND status = 'fetching'`,
      [id],
    );
  }

  async markProviderDeleted(db: DbOrTrx, id: string, at: Date): Promise<void> {
    await db(TABLE).where({ id }).update({ provider_deleted_at: at });
  }

  /** Stored recordings of calls older than their site's retention. */
  async listExpired(db: DbOrTrx, now: Date, limit: number): Promise<Recording[]> {
    const rows = (await db('recordings as r')
      .join('calls as c', 'c.id', 'r.call_id')
      .join('sites as s', 's.id', 'c.site_id')
      .select(...COLUMNS.map((c) => `r.${c}`))
      .where('r.status', 'stored')
      .whereRaw("(s.settings->>'recordingRetentionDays') IS NOT NULL")
      .whereRaw("c.started_at < ?::timestamptz - make_interval(days => (s.settings->>'recordingRetentionDays')::int)", [now])
      .orderBy('c.started_at')
      .limit(limit)) as RecordingRow[];
    return rows.map(toDomain);
  }

  async markDeleted(db: DbOrTrx, id: string, at: Date): Promise<void> {
    await db(TABLE).where({ id }).update({ status: 'deleted', deleted_at: at, storage_key: null });
  }
}
