import type { DbOrTrx } from '../../adapters/db/knex.js';

export interface CallNotes {
  readonly callId: string;
  readonly tags: readonly string[];
  readonly note: string;
  readonly spam: boolean;
  readonly updatedAt: Date | null;
  readonly updatedBy: string | null;
}

const TABLE = 'call_notes';

interface Row {
  call_id: string;
  tags: string[];
  note: string;
  spam: boolean;
  updated_at: Date;
  updated_by: string | null;
}

const toDomain = (r: Row): CallNotes => ({
  callId: r.call_id,
  tags: r.tags,
  note: r.note,
  spam: r.spam,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

export const emptyNotes = (callId: string): CallNotes => ({ callId, tags: [], note: '', spam: false, updatedAt: null, updatedBy: null });

/** Tags, a note and the spam mark people put on a call (one row per call, written only by hand). */
export class PgCallNotesStore {
  async get(db: DbOrTrx, accountId: string, callId: string): Promise<CallNotes | null> {
    const row = (await db(TABLE).where({ account_id: accountId, call_id: callId }).first()) as Row | undefined;
    return row ? toDomain(row) : null;
  }

  async put(db: DbOrTrx, accountId: string, n: CallNotes): Promise<CallNotes> {
    const values = { tags: JSON.stringify(n.tags), note: n.note, spam: n.spam, updated_by: n.updatedBy, updated_at: new Date() };
    const [row] = await db(TABLE)
      .insert({ call_id: n.callId, account_id: accountId, ...values })
      .onConflict('call_id')
      .merge(values)
      .returning('*');
    return toDomain(row as Row);
  }

  /** The tags in use on the account with how many calls carry each, most used first (the filter's choices). */
  async tags(db: DbOrTrx, accountId: string): Promise<{ tag: string; calls: number }[]> {
    const res = await db.raw(
      `SELECT t.tag, count(*)::int AS calls FROM call_notes n, jsonb_array_elements_text(n.tags) AS t(tag)
        WHERE n.account_id = ? GROUP BY t.tag ORDER BY calls DESC, t.tag LIMIT 200`,
      [accountId],
    );
    return (res.rows as { tag: string; calls: number }[]).map((r) => ({ tag: r.tag, calls: Number(r.calls) }));
  }

  /** Call ids carrying a tag (the calls list's tag filter). */
  async callIdsWithTag(db: DbOrTrx, accountId: string, tag: string, limit: number): Promise<string[]> {
    const rows = (await db(TABLE)
      .select('call_id')
      .where({ account_id: accountId })
      .whereRaw('tags @> ?::jsonb', [JSON.stringify([tag])])
      .limit(limit)) as { call_id: string }[];
    return rows.map((r) => r.call_id);
  }
}
