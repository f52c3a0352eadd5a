import type { Readable } from 'node:stream';

/** What is stored about one object. `etag` is the content's sha256 (hex), quoted per RFC 9110 by the HTTP layer. */
export interface StoredObject {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly contentType: string;
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where recordings live: the local filesystem under DATA_DIR (embedded default) or an S3-compatible bucket.
 * Keys are opaque paths built from ids only (`<accountId>/<yyyy>/<mm>/<callId>/<recordingId>.<ext>`): never a phone
 * number, since keys end up in logs, URLs and bucket listings.
 */
export interface RecordingStorage {
  readonly kind: 'local' | 's3';
  /** Stores the whole stream; returns its size and sha256. Nothing is visible under `key` until it is complete. */
  put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject>;
  /** Metadata, or null when there is no such object. */
  head(key: string): Promise<StoredObject | null>;
  /** The bytes of the object, or of `range` within it. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9/_.-]{0,255}$/;

export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.includes('..') || key.includes('//')) throw new Error(`Unsafe storage key "${key}"`);
  if (/\d{7,}/.test(key.replace(/[0-9A-HJKMNP-TV-Z]{26}/g, ''))) throw new Error('Storage keys must not contain phone numbers');
}

export function recordingKey(p: { accountId: string; callId: string; recordingId: string; at: Date; ext: string }): string {
  const yyyy = String(p.at.getUTCFullYear());
  const mm = String(p.at.getUTCMonth() + 1).padStart(2, '0');
  const key = `${p.accountId}/${yyyy}/${mm}/${p.callId}/${p.recordingId}.${p.ext}`;
  assertSafeKey(key);
  return key;
}
