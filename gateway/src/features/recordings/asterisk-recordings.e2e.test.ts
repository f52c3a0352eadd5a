import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { LocalRecordingStorage } from '../../adapters/storage/local-recording-storage.js';
import { AsteriskRecordingFetcher } from '../../adapters/telephony/asterisk/recording-fetcher.js';
import { createLogger } from '../../logging/logger.js';
import { systemClock } from '../../shared/clock.js';
import { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import { AsteriskRecordingSource } from './asterisk-recording-source.js';
import { makeWav } from './audio-info.js';
import { RecordingIntake } from './recording-intake.js';
import { PgRecordingStore } from './recording-store.js';

describe('recordings from an Asterisk spool', () => {
  const t = useTestDatabase();

  it('stores a MixMonitor file from the mounted spool once it is complete, and refuses paths outside it', async () => {
    const spool = mkdtempSync(path.join(tmpdir(), 'monitor-'));
    mkdirSync(path.join(spool, '2026', '11', '22'), { recursive: true });
    const audio = makeWav({ seconds: 2, channels: 1 });
    writeFileSync(path.join(spool, '2026', '11', '22', 'in-1770888509.40.wav'), audio);

    const accountId = newId();
    const callId = newId();
    await t.db.knex('accounts').insert({ id: accountId, name: 'A' });
    await t.db.knex('calls').insert({
      id: callId,
      account_id: accountId,
      provider: 'asterisk',
      provider_call_id: '1770888509.40',
      tracking_e164: '+74951234561',
      caller: '+79161234567',
      started_at: new Date(),
    });
    const good = newId();
    const bad = newId();
    for (const [id, ref] of [
      [good, '/var/spool/asterisk/monitor/2026/11/22/in-1770888509.40.wav'],
      [bad, '/var/spool/asterisk/monitor/../../../etc/passwd'],
    ] as const) {
      await t.db
        .knex('recordings')
        .insert({ id, account_id: accountId, call_id: callId, provider: 'asterisk', provider_ref: ref, status: 'pending' });
    }
    const storage = new LocalRecordingStorage(mkdtempSync(path.join(tmpdir(), 'rec-')));
    const intake = new RecordingIntake({
      db: t.db.knex,
      recordings: new PgRecordingStore(),
      storage,
      fetchers: { asterisk: new AsteriskRecordingSource(new AsteriskRecordingFetcher({ dir: spool, baseUrl: null, stableMs: 50, pollMs: 20 })) },
      events: new EventBus(createLogger({ level: 'silent' })),
      hooks: [],
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      deleteAtProvider: async () => false,
    });
    expect(await intake.runOnce()).to.equal(2);
    const rows = await t.db.knex('recordings').whereIn('id', [good, bad]);
    const stored = rows.find((r) => r.id === good);
    expect(stored).to.include({ status: 'stored', bytes: audio.length, channels: 1, content_type: 'audio/wav' });
    expect(Number(stored.duration_s)).to.equal(2);
    expect(rows.find((r) => r.id === bad)?.status).to.equal('failed');
  });
});
