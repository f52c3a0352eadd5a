import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ByteRange, RecordingStorage, StoredObject } from './recording-storage.js';
import { assertSafeKey } from './recording-storage.js';

export interface S3StorageConfig {
  readonly bucket: string;
  readonly region: string;
  /** For S3-compatible services (MinIO, Ceph, R2...); unset for AWS. */
  readonly endpoint: string | null;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style addressing (bucket in the path), which most S3-compatible servers need. */
  readonly forcePathStyle: boolean;
  /** Optional prefix inside the bucket, e.g. "recordings/". */
  readonly prefix: string;
}

/**
 * Recordings in an S3-compatible bucket. The body is spooled to a temporary file first so the upload has a known
 * length and a sha256 computed before anything becomes visible; the sha256 is kept as object metadata.
 */
export class S3RecordingStorage implements RecordingStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly cfg: S3StorageConfig) {
    this.client = new S3Client({
      region: cfg.region,
      ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      forcePathStyle: cfg.forcePathStyle,
      // Since 3.729 the SDK sends streaming bodies as aws-chunked with a CRC trailer by default; many S3-compatible
      // servers store that framing as part of the object. Checksums only where the API requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    });
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.cfg.prefix}${key}`;
  }

  async put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject> {
    const Key = this.objectKey(key);
    const hash = createHash('sha256');
    let bytes = 0;
    let upload: Buffer | string;
    if (Buffer.isBuffer(body)) {
      hash.update(body);
      bytes = body.length;
      upload = body;
    } else {
      upload = path.join(tmpdir(), `rec-${randomBytes(8).toString('hex')}.part`);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(body, counter, createWriteStream(upload, { flags: 'wx' }));
    }
    const sha256 = hash.digest('hex');
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.cfg.bucket,
          Key,
          Body: typeof upload === 'string' ? createReadStream(upload) : upload,
          ContentLength: bytes,
          ContentType: contentType,
          Metadata: { sha256 },
        }),
      );
    } finally {
      if (typeof upload === 'string') await rm(upload, { force: true });
    }
    return { key, bytes, sha256, contentType };
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: this.objectKey(key) }));
      return { key, bytes: res.ContentLength ?? 0, sha256: res.Metadata?.sha256 ?? '', contentType: res.ContentType ?? 'application/octet-stream' };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.cfg.bucket, Key: this.objectKey(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    if (!res.Body) throw new Error(`Empty body for ${key}`);
    return res.Body as Readable;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: this.objectKey(key) }));
  }

  destroy(): void {
    this.client.destroy();
  }
}
