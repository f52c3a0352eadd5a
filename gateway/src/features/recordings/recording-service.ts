import type { Readable } from 'node:stream';
import type { Db } from '../../adapters/db/knex.js';
import type { RecordingStorage } from '../../adapters/storage/recording-storage.js';
import { ForbiddenError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Clock } from '../../shared/clock.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { parseRange } from './http-range.js';
import type { RecordingLinkSigner } from './recording-links.js';
import type { PgRecordingStore, Recording } from './recording-store.js';

export interface Playback {
  readonly status: 200 | 206 | 304 | 416;
  readonly headers: Record<string, string>;
  readonly body: Readable | null;
}

export interface PlaybackRequest {
  readonly range?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifRange?: string | undefined;
  readonly download: boolean;
  readonly ip: string | null;
}

const linkVersionOf = (settings: Record<string, unknown> | null | undefined): number => {
  const v = settings?.recordingLinkKeyVersion;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 1;
};

export class RecordingService {
  constructor(
    private readonly deps: {
      db: Db;
      recordings: PgRecordingStore;
      storage: RecordingStorage;
      audit: AuditLog;
      signer: RecordingLinkSigner;
      clock: Clock;
      publicBaseUrl: URL;
      defaultLinkTtlS: number;
    },
  ) {}

  async playForCall(actor: Principal, callId: string, req: PlaybackRequest): Promise<Playback> {
    const rec = await this.deps.recordings.findStoredForCall(this.deps.db, actor.accountId, callId);
    if (!rec) throw new NotFoundError(`No stored recording for call ${callId}`);
    return this.play(rec, req, actor);
  }

  async playSigned(recordingId: string, expiresAtS: number, signature: string, req: PlaybackRequest): Promise<Playback> {
    const row = (await this.deps
      .db('recordings as r')
      .join('accounts as a', 'a.id', 'r.account_id')
      .select('r.account_id', 'a.settings')
      .where('r.id', recordingId)
      .first()) as { account_id: string; settings: Record<string, unknown> } | undefined;
    const nowS = Math.floor(this.deps.clock.nowMs() / 1000);
    const valid =
      row && this.deps.signer.verify({ accountId: row.account_id, version: linkVersionOf(row.settings), recordingId, expiresAtS, signature, nowS });
    if (!row || !valid) throw new ForbiddenError('This recording link is invalid or has expired');
    const rec = await this.deps.recordings.get(this.deps.db, row.account_id, recordingId);
    if (rec?.status !== 'stored') throw new NotFoundError('The recording is no longer available');
    return this.play(rec, req, null);
  }

  async createLink(actor: Principal, callId: string, ttlS: number | undefined): Promise<{ url: string; expiresAt: Date }> {
    const rec = await this.deps.recordings.findStoredForCall(this.deps.db, actor.accountId, callId);
    if (!rec) throw new NotFoundError(`No stored recording for call ${callId}`);
    const { url, expiresAtS } = await this.sign(actor.accountId, rec.id, ttlS);
    await this.deps.audit.record(this.deps.db, actor, {
      action: 'recording.link',
      targetType: 'call',
      targetId: callId,
      details: { recordingId: rec.id, expiresAtS },
    });
    return { url, expiresAt: new Date(expiresAtS * 1000) };
  }

  /** A signed playback URL for systems that cannot log in (CRM leads); not audited until someone plays it. */
  async signedUrl(accountId: string, recordingId: string, ttlS?: number): Promise<string> {
    return (await this.sign(accountId, recordingId, ttlS)).url;
  }

  private async sign(accountId: string, recordingId: string, ttlS: number | undefined): Promise<{ url: string; expiresAtS: number }> {
    const account = (await this.deps.db('accounts').select('settings').where({ id: accountId }).first()) as
      | { settings: Record<string, unknown> }
      | undefined;
    const expiresAtS = Math.floor(this.deps.clock.nowMs() / 1000) + (ttlS ?? this.deps.defaultLinkTtlS);
    const sig = this.deps.signer.sign({ accountId, version: linkVersionOf(account?.settings), recordingId, expiresAtS });
    const url = new URL(
      `v1/recordings/${recordingId}/audio`,
      this.deps.publicBaseUrl.href.endsWith('/') ? this.deps.publicBaseUrl : `${this.deps.publicBaseUrl.href}/`,
    );
    url.searchParams.set('exp', String(expiresAtS));
    url.searchParams.set('sig', sig);
    return { url: url.href, expiresAtS };
  }

  /** Invalidates every signed link of the account. */
  async rotateLinkKey(actor: Principal): Promise<number> {
    const [row] = (await this.deps
      .db('accounts')
      .where({ id: actor.accountId })
      .update({
        settings: this.deps.db.raw(
          "jsonb_set(settings, '{recordingLinkKeyVersion}', to_jsonb(COALESCE((settings->>'recordingLinkKeyVersion')::int, 1) + 1))",
        ),
      })
      .returning('settings')) as { settings: Record<string, unknown> }[];
    await this.deps.audit.record(this.deps.db, actor, { action: 'recording.link_key.rotate', targetType: 'account', targetId: actor.accountId });
    return linkVersionOf(row?.settings);
  }

  private async play(rec: Recording, req: PlaybackRequest, actor: Principal | null): Promise<Playback> {
    if (!rec.storageKey || rec.bytes === null || !rec.sha256 || !rec.contentType) throw new NotFoundError('The recording is not stored');
    const etag = `"${rec.sha256}"`;
    const base: Record<string, string> = {
      'Content-Type': rec.contentType,
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Cache-Control': 'private, max-age=3600',
      'Content-Disposition': `${req.download ? 'attachment' : 'inline'}; filename="call-${rec.callId}.${rec.contentType === 'audio/wav' ? 'wav' : 'mp3'}"`,
    };
    if (req.ifNoneMatch?.split(',').some((t) => t.trim() === etag)) return { status: 304, headers: base, body: null };
    // If-Range with a stale validator means: send the whole (new) representation.
    const rangeHeader = req.ifRange && req.ifRange !== etag ? undefined : req.range;
    const range = parseRange(rangeHeader, rec.bytes);
    if (range === 'unsatisfiable') return { status: 416, headers: { ...base, 'Content-Range': `bytes */${rec.bytes}` }, body: null };
    // One audit entry per listen: the first request of a playback (no range, or from byte 0), not every seek.
    if (!range || range.start === 0) {
      const entry = {
        action: req.download ? 'recording.download' : 'recording.listen',
        targetType: 'call',
        targetId: rec.callId,
        ip: req.ip,
        details: { recordingId: rec.id, via: actor ? actor.via : 'signed_link' },
      };
      await this.deps.audit.record(this.deps.db, actor ?? { accountId: rec.accountId, userId: null, apiKeyId: null }, entry);
    }
    if (!range) {
      return { status: 200, headers: { ...base, 'Content-Length': String(rec.bytes) }, body: await this.deps.storage.read(rec.storageKey) };
    }
    return {
      status: 206,
      headers: { ...base, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${rec.bytes}` },
      body: await this.deps.storage.read(rec.storageKey, range),
    };
  }
}
