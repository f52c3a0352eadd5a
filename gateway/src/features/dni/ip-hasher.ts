import { createHash, createHmac } from 'node:crypto';

const MAX_REMEMBERED = 10_000;

/**
 * The visitor's address as stored: a salted SHA-256 (the salt derived from the gateway's secret), never the address.
 * Visits from one address come in runs (a page's reloads, an office, a carrier NAT), so recent hashes are kept: one
 * digest per visit was measurable on the session path (bench:dni profile). Bounded; cleared when full.
 */
export class IpHasher {
  private readonly salt: Buffer;
  private readonly recent = new Map<string, string>();

  constructor(secret: Buffer) {
    this.salt = createHmac('sha256', secret).update('dni ip hash').digest();
  }

  /** Addresses remembered (what the bound keeps small). */
  get size(): number {
    return this.recent.size;
  }

  hash(ip: string): string {
    let h = this.recent.get(ip);
    if (h === undefined) {
      h = createHash('sha256').update(this.salt).update(ip).digest('hex');
      if (this.recent.size >= MAX_REMEMBERED) this.recent.clear();
      this.recent.set(ip, h);
    }
    return h;
  }
}
