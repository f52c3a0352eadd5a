// npm run bench:playback: time to first byte of recording playback (GET /v1/calls/{id}/recording) for a local file on
// loopback, through the whole gateway (auth, audit, storage read), the way a browser player asks (Range: bytes=0-).
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createContainer } from '../gateway/src/composition-root.js';
import { loadConfig } from '../gateway/src/config.js';
import { recordingKey } from '../gateway/src/adapters/storage/recording-storage.js';
import { makeWav } from '../gateway/src/features/recordings/audio-info.js';
import { newId } from '../gateway/src/shared/ids.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-playback-'));
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DEMO_SEED: 'false' });
const container = await createContainer(config, { defaultMetrics: false });
try {
  const boot = await container.bootstrap();
  if (!boot?.generatedApiKey) throw new Error('needs a fresh data directory');
  const { port } = await container.start();
  const db = container.db.knex;
  const callId = newId();
  const recordingId = newId();
  const audio = makeWav({ seconds: 120, channels: 2 });
  const key = recordingKey({ accountId: boot.accountId, callId, recordingId, at: new Date(), ext: 'wav' });
  await db('calls').insert({
    id: callId,
    account_id: boot.accountId,
    provider: 'twilio',
    provider_call_id: `CA${callId}`,
    tracking_e164: '+14155550101',
    caller: '+14155550123',
    started_at: new Date(),
  });
  const dir = (config.recordings.storage as { dir: string }).dir;
  const { LocalRecordingStorage } = await import('../gateway/src/adapters/storage/local-recording-storage.js');
  const stored = await new LocalRecordingStorage(dir).put(key, audio, 'audio/wav');
  await db('recordings').insert({
    id: recordingId,
    account_id: boot.accountId,
    call_id: callId,
    provider: 'twilio',
    provider_ref: `RE${recordingId}`,
    status: 'stored',
    storage_key: key,
    content_type: 'audio/wav',
    bytes: stored.bytes,
    sha256: stored.sha256,
    stored_at: new Date(),
  });

  const ttfb = (range: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = request(
        { host: '127.0.0.1', port, path: `/v1/calls/${callId}/recording`, headers: { authorization: `Bearer ${boot.generatedApiKey}`, range } },
        (res) => {
          res.once('data', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
          res.resume();
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 20; i++) await ttfb('bytes=0-'); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push(await ttfb(i % 2 ? 'bytes=0-' : `bytes=${(i * 7919) % stored.bytes}-`));
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
  process.stdout.write(`recording ${(stored.bytes / 1e6).toFixed(1)} MB, ${REQUESTS} sequential range requests on loopback\n`);
  process.stdout.write(
    `playback TTFB: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${times[times.length - 1]!.toFixed(1)} ms (target < 50 ms)\n`,
  );
} finally {
  await container.stop();
}
