import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (CRM API keys, webhook secrets, Twilio auth tokens): AES-256-GCM under the gateway's ENCRYPTION_KEY.
 * Sealed form, base64: [version 1 byte][iv 12][tag 16][ciphertext]. The version byte names the key and scheme, so a
 * rotated key can be told apart from the old one later.
 */

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  /**
   * `associated` binds the ciphertext to its row (e.g. "twilio:AC..."): a sealed value copied to another row does
   * not open. Empty associated data is the same as none, so values sealed without it stay readable.
   */
  seal(plaintext: string, associated = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associated, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Throws when the text was not sealed with this key (tampered, or another key). */
  open(sealed: string, associated = ''): string {
    const raw = Buffer.from(sealed, 'base64');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) throw new Error('Unknown sealed secret format');
    const iv = raw.subarray(1, 1 + IV_BYTES);
    const tag = raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
