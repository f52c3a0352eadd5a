import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, RecordingStorage, StoredObject } from './recording-storage.js';
import { assertSafeKey } from './recording-storage.js';

interface Meta {
  sha256: string;
  contentType: string;
}

/**
 * Recordings as files under a root directory. Writes go to a temporary file that is renamed into place, so a crash
 * mid-write never leaves a truncated recording under its real name. Metadata sits beside it in `<file>.meta.json`.
 */
export class LocalRecordingStorage implements RecordingStorage {
  readonly kind = 'local' as const;

  constructor(private readonly root: string) {}

  private file(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.part`;
    const hash = createHash('sha256');
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, counter, createWriteStream(tmp, { flags: 'wx' }));
      const sha256 = hash.digest('hex');
      await writeFile(`${file}.meta.json`, JSON.stringify({ sha256, contentType } satisfies Meta));
      await rename(tmp, file);
      return { key, bytes, sha256, contentType };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    const file = this.file(key);
    try {
      const [s, metaText] = await Promise.all([stat(file), readFile(`${file}.meta.json`, 'utf8')]);
      const meta = JSON.parse(metaText) as Meta;
      return { key, bytes: s.size, sha256: meta.sha256, contentType: meta.contentType };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.file(key);
    await stat(file);
    return createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    await unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rm(`${file}.meta.json`, { force: true });
  }
}
