import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring recording URLs for CRM users without a console login. The key is derived per account from the
 * gateway's encryption key and the account's link-key version: rotating the version revokes every link at once.
 */
export class RecordingLinkSigner {
  constructor(private readonly masterKey: Buffer) {}

  private key(accountId: string, version: number): Buffer {
    return createHmac('sha256', this.masterKey).update(`recording-links:${accountId}:${version}`).digest();
  }

  sign(p: { accountId: string; version: number; recordingId: string; expiresAtS: number }): string {
    return createHmac('sha256', this.key(p.accountId, p.version)).update(`${p.recordingId}.${p.expiresAtS}`).digest('base64url');
  }

  verify(p: { accountId: string; version: number; recordingId: string; expiresAtS: number; signature: string; nowS: number }): boolean {
    if (!Number.isInteger(p.expiresAtS) || p.expiresAtS < p.nowS) return false;
    const expected = Buffer.from(this.sign(p));
    const given = Buffer.from(p.signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
