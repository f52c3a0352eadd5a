import type { DbOrTrx } from '../../adapters/db/knex.js';

const TABLE = 'recordings';

export interface RecordingRef {
  readonly id: string;
  readonly callId: string;
  readonly provider: string;
  readonly providerRef: string | null;
  readonly sourceUrl: string | null;
  readonly status: string;
  readonly durationSeconds: number | null;
  readonly channels: number | null;
}

/**
 * The provider's reference to a call's recording, kept as a `recordings` row (status pending: not yet copied to our
 * storage). Copying, playback and retention belong to the recordings store, which picks these rows up.
 */
/** A recording reference to add: a provider's recording of a call. */
export interface NewRecordingRef {
  readonly id: string;
  readonly accountId: string;
  readonly callId: string;
  readonly provider: string;
  readonly providerRef: string;
  readonly sourceUrl: string | null;
  readonly status: 'pending' | 'absent' | 'failed';
  readonly durationSeconds: number | null;
  readonly channels: number | null;
}

export class PgRecordingRefStore {
  async addIfAbsent(db: DbOrTrx, r: NewRecordingRef): Promise<boolean> {
    return (await this.addManyIfAbsent(db, [r])).size > 0;
  }

  /** Adds the references in one statement, each unless the provider's reference is stored; returns the ids added. */
  async addManyIfAbsent(db: DbOrTrx, rs: readonly NewRecordingRef[]): Promise<Set<string>> {
    if (!rs.length) return new Set();
    const rows = (await db(TABLE)
      .insert(
        rs.map((r) => ({
          id: r.id,
          account_id: r.accountId,
          call_id: r.callId,
          provider: r.provider,
          provider_ref: r.providerRef,
          source_url: r.sourceUrl,
          status: r.status,
          // What the provider says; the recordings intake checks the downloaded file against it.
          expected_duration_s: r.durationSeconds,
          channels: r.channels,
        })),
      )
      .onConflict(['provider', 'provider_ref'])
      .ignore()
      .returning('id')) as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }

  async listForCall(db: DbOrTrx, accountId: string, callId: string): Promise<RecordingRef[]> {
    const rows = (await db(TABLE)
      .select(
        'id',
        'call_id',
        'provider',
        'provider_ref',
        'source_url',
        'status',
        db.raw('coalesce(duration_s, expected_duration_s) as duration_s'),
        'channels',
      )
      .where({ account_id: accountId, call_id: callId })
      .orderBy('created_at')) as {
      id: string;
      call_id: string;
      provider: string;
      provider_ref: string | null;
      source_url: string | null;
      status: string;
      duration_s: number | null;
      channels: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      callId: r.call_id,
      provider: r.provider,
      providerRef: r.provider_ref,
      sourceUrl: r.source_url,
      status: r.status,
      durationSeconds: r.duration_s,
      channels: r.channels,
    }));
  }
}
