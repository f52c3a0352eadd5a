import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { expect } from 'chai';
import S3rver from 's3rver';
import { newId } from '../../shared/ids.js';
import { LocalRecordingStorage } from './local-recording-storage.js';
import type { RecordingStorage } from './recording-storage.js';
import { recordingKey } from './recording-storage.js';
import { S3RecordingStorage } from './s3-recording-storage.js';

const bytesOf = async (s: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

/** One contract, two implementations: the local filesystem and a real S3-protocol server on loopback. */
const cases: { name: string; make: () => Promise<{ storage: RecordingStorage; stop: () => Promise<void> }> }[] = [
  {
    name: 'local filesystem',
    make: async () => ({ storage: new LocalRecordingStorage(mkdtempSync(path.join(tmpdir(), 'rec-'))), stop: async () => undefined }),
  },
  {
    name: 'S3 (s3rver on loopback)',
    make: async () => {
      const server = new S3rver({
        address: '127.0.0.1',
        port: 0,
        silent: true,
        directory: mkdtempSync(path.join(tmpdir(), 's3-')),
        configureBuckets: [{ name: 'recordings', configs: [] }],
      });
      const { port } = (await server.run()) as { port: number };
      const storage = new S3RecordingStorage({
        bucket: 'recordings',
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        prefix: 'calls/',
      });
      return {
        storage,
        stop: async () => {
          storage.destroy();
          await server.close();
        },
      };
    },
  },
];

for (const c of cases) {
  describe(`recording storage: ${c.name}`, () => {
    let storage: RecordingStorage;
    let stop: () => Promise<void>;
    before(async () => {
      ({ storage, stop } = await c.make());
    });
    after(() => stop());

    const audio = randomBytes(200_003);
    const key = recordingKey({ accountId: newId(), callId: newId(), recordingId: newId(), at: new Date('2026-03-04T05:06:07Z'), ext: 'mp3' });

    it('stores a stream with its size and sha256, and reads it back whole', async () => {
      const stored = await storage.put(key, Readable.from([audio.subarray(0, 70_000), audio.subarray(70_000)]), 'audio/mpeg');
      expect(stored).to.deep.equal({ key, bytes: audio.length, sha256: createHash('sha256').update(audio).digest('hex'), contentType: 'audio/mpeg' });
      expect(await storage.head(key)).to.deep.equal(stored);
      expect((await bytesOf(await storage.read(key))).equals(audio)).to.equal(true);
    });

    it('reads byte ranges exactly', async () => {
      // Not bytes=0-0: s3rver 3.7 reads an end of 0 as "no end" (a falsy check), unlike S3.
      for (const [start, end] of [
        [0, 1],
        [0, 1023],
        [1000, 1999],
        [audio.length - 10, audio.length - 1],
      ] as const) {
        const got = await bytesOf(await storage.read(key, { start, end }));
        expect(got.equals(audio.subarray(start, end + 1)), `range ${start}-${end}`).to.equal(true);
      }
    });

    it('reports missing objects as null and deletes idempotently', async () => {
      const other = key.replace('.mp3', '.wav');
      await storage.put(other, Buffer.from('RIFF'), 'audio/wav');
      expect(await text(await storage.read(other))).to.equal('RIFF');
      await storage.delete(other);
      await storage.delete(other);
      expect(await storage.head(other)).to.equal(null);
    });
  });
}

describe('recording keys', () => {
  it('refuse phone numbers and path tricks', () => {
    expect(() => recordingKey({ accountId: 'acc', callId: '+14155550100', recordingId: 'r', at: new Date(), ext: 'mp3' })).to.throw();
    expect(() => recordingKey({ accountId: '..', callId: 'c', recordingId: 'r', at: new Date(), ext: 'mp3' })).to.throw();
  });

  it('leave no partial file behind when a write fails', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'rec-'));
    const storage = new LocalRecordingStorage(root);
    const failing = new Readable({
      read() {
        this.destroy(new Error('network dropped'));
      },
    });
    await storage.put('a/b/c.mp3', failing, 'audio/mpeg').then(
      () => expect.fail('should fail'),
      (err: Error) => expect(err.message).to.equal('network dropped'),
    );
    expect(readdirSync(path.join(root, 'a', 'b'))).to.deep.equal([]);
    expect(await storage.head('a/b/c.mp3')).to.equal(null);
  });
});
