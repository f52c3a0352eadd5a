import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Gets a MixMonitor recording from the PBX once it is complete. Asterisk writes the file on the PBX host (the path in
 * MIXMONITOR_FILENAME / the `recording.available` event); the gateway reaches it either through the monitor spool
 * mounted locally (AMI_RECORDINGS_DIR, e.g. NFS or a shared Docker volume) or over HTTP from a web server on the PBX
 * exposing that spool (AMI_RECORDINGS_URL). The file is complete after MixMonitorStop / hangup; we wait until its
 * size stops changing. Storing it is the recordings store's job.
 */

export interface RecordingFetcherOptions {
  readonly dir: string | null;
  readonly baseUrl: URL | null;
  /** The size must stay the same this long (default 2 s). */
  readonly stableMs?: number;
  readonly pollMs?: number;
  /** Give up after this long (default 2 min). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface FetchedRecording {
  readonly stream: Readable;
  readonly bytes: number;
  /** Path relative to the monitor spool, e.g. "2026/11/22/15551230000-1770888509.40.wav". */
  readonly relativePath: string;
}

export class RecordingUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingUnavailableError';
  }
}

const SPOOL_MARKER = '/monitor/';

/** The part of a PBX path under the monitor spool; refuses anything that could leave it. */
export function spoolRelativePath(pbxPath: string): string {
  const idx = pbxPath.lastIndexOf(SPOOL_MARKER);
  const rel = idx >= 0 ? pbxPath.slice(idx + SPOOL_MARKER.length) : pbxPath.replace(/^\/+/, '');
  const parts = rel.split('/');
  if (!rel || parts.some((p) => p === '..' || p === '.' || p === '') || /[\0\r\n]/.test(rel)) {
    throw new RecordingUnavailableError(`refusing recording path ${JSON.stringify(pbxPath)}`);
  }
  return parts.join('/');
}

export class AsteriskRecordingFetcher {
  private readonly stableMs: number;
  private readonly pollMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly o: RecordingFetcherOptions) {
    if (!o.dir && !o.baseUrl) throw new Error('AsteriskRecordingFetcher needs AMI_RECORDINGS_DIR or AMI_RECORDINGS_URL');
    this.stableMs = o.stableMs ?? 2_000;
    this.pollMs = o.pollMs ?? 250;
    this.timeoutMs = o.timeoutMs ?? 120_000;
  }

  /** Waits for the recording to be complete, then opens it; `signal` (a gateway stop) ends the wait and the download. */
  async open(pbxPath: string, signal?: AbortSignal): Promise<FetchedRecording> {
    const rel = spoolRelativePath(pbxPath);
    const size = (probe: () => Promise<number | null>, s?: AbortSignal): Promise<number> => this.waitStable(probe, rel, s);
    if (this.o.dir) {
      const file = path.join(this.o.dir, ...rel.split('/'));
      const bytes = await size(async () => (await stat(file).catch(() => null))?.size ?? null, signal);
      return { stream: createReadStream(file, { start: 0, end: Math.max(0, bytes - 1) }), bytes, relativePath: rel };
    }
    const url = new URL(
      rel.split('/').map(encodeURIComponent).join('/'),
      this.o.baseUrl!.href.endsWith('/') ? this.o.baseUrl! : `${this.o.baseUrl!.href}/`,
    );
    const f = this.o.fetch ?? fetch;
    const bytes = await size(async () => {
      const res = await f(url, { method: 'HEAD', ...(signal ? { signal } : {}) }).catch(() => null);
      if (!res?.ok) return null;
      const len = Number(res.headers.get('content-length'));
      return Number.isFinite(len) ? len : null;
    }, signal);
    const res = await f(url, signal ? { signal } : {});
    if (!res.ok || !res.body) throw new RecordingUnavailableError(`GET ${url.pathname} answered ${res.status}`);
    return { stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), bytes, relativePath: rel };
  }

  private async waitStable(probe: () => Promise<number | null>, rel: string, signal?: AbortSignal): Promise<number> {
    const deadline = Date.now() + this.timeoutMs;
    let last: number | null = null;
    let since = 0;
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      const size = await probe();
      if (size !== null && size > 0 && size === last) {
        if (now - since >= this.stableMs) return size;
      } else {
        last = size;
        since = now;
      }
      if (now > deadline) throw new RecordingUnavailableError(`recording ${rel} not complete after ${this.timeoutMs} ms`);
      await sleep(this.pollMs, undefined, signal ? { signal } : {});
    }
  }
}
