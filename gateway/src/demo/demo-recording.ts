import type { Db } from '../adapters/db/knex.js';
import { recordingKey } from '../adapters/storage/recording-storage.js';
import type { RecordingStorage } from '../adapters/storage/recording-storage.js';
import { newId } from '../shared/ids.js';
import { demoConversationWav } from './demo-wav.js';

/** Seconds of the demo's generated conversation: each recorded demo call talks exactly this long. */
export const DEMO_RECORDING_SECONDS = 24;

/**
 * A call's recording as the recordings feature leaves a fetched one: its own file in the storage (so it streams with
 * Range and is audited when played, and retention of one call never removes another's) and a `stored` row.
 */
export async function storeDemoRecording(
  deps: { db: Db; storage: RecordingStorage },
  p: { accountId: string; callId: string; at: Date; now: Date },
): Promise<void> {
  const recordingId = newId();
  const key = recordingKey({ accountId: p.accountId, callId: p.callId, recordingId, at: p.at, ext: 'wav' });
  const stored = await deps.storage.put(key, demoConversationWav(DEMO_RECORDING_SECONDS), 'audio/wav');
  await deps.db('recordings').insert({
    id: recordingId,
    account_id: p.accountId,
    call_id: p.callId,
    provider: 'asterisk',
    provider_ref: `demo-${recordingId}`,
    storage_key: stored.key,
    content_type: 'audio/wav',
    bytes: stored.bytes,
    sha256: stored.sha256,
    duration_s: DEMO_RECORDING_SECONDS,
    channels: 1,
    status: 'stored',
    stored_at: p.now,
  });
}
