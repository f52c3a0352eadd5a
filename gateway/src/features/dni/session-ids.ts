import { createHmac, timingSafeEqual } from 'node:crypto';
import { newId } from '../../shared/ids.js';

/**
 * Widget session ids the gateway minted itself: a ULID (sortable, but predictable: ids of one millisecond count up)
 * followed by 16 characters of an HMAC over it. Releasing a session's numbers (`/leave`) needs such an id, so nobody
 * can guess or count their way to other visitors' sessions; a page's own id comes back from its start answer.
 */
const ULID_CHARS = 26;
const MAC_CHARS = 16;

const macOf = (key: Buffer, ulid: string): string => createHmac('sha256', key).update(ulid).digest('base64url').slice(0, MAC_CHARS);

export class SessionIds {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    this.key = createHmac('sha256', secret).update('dni session id').digest();
  }

  mint(): string {
    const ulid = newId();
    return `${ulid}${macOf(this.key, ulid)}`;
  }

  /** True for an id `mint` made (with or without the unstored-visit prefix `prefix`). */
  isMinted(id: string, prefix = ''): boolean {
    const body = prefix && id.startsWith(prefix) ? id.slice(prefix.length) : id;
    if (body.length !== ULID_CHARS + MAC_CHARS) return false;
    const want = Buffer.from(macOf(this.key, body.slice(0, ULID_CHARS)));
    const got = Buffer.from(body.slice(ULID_CHARS));
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
