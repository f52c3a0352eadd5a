import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';

/**
 * Fetching a page a user named, from inside our network, without becoming a proxy into it (SSRF): the host is
 * resolved once, every address is checked against the private, loopback, link-local, CGNAT, multicast and reserved
 * ranges (RFC 6890), and the connection goes to the checked address (no second lookup, so DNS rebinding cannot swap
 * it). Redirects are followed by hand and re-checked; size and time are bounded.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
// IPv4-mapped addresses (::ffff:a.b.c.d) are unwrapped and checked as IPv4 below; a ::ffff:0:0/96 entry here would
// make BlockList match every IPv4 address.
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

export class UnsafeUrlError extends Error {}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && address.toLowerCase().startsWith('::ffff:')) {
    const v4 = address.slice(7);
    if (isIP(v4) === 4) return blocked.check(v4, 'ipv4');
  }
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface SafeFetchResult {
  readonly status: number;
  readonly url: string;
  readonly contentType: string | null;
  readonly body: string;
}

export interface SafeFetchOptions {
  readonly allowPrivate: boolean;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly maxRedirects?: number;
}

async function resolveChecked(host: string, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const literal = host.replace(/^\[|\]$/g, '');
  const all = isIP(literal) ? [{ address: literal, family: isIP(literal) }] : await lookup(literal, { all: true, verbatim: true });
  if (!all.length) throw new UnsafeUrlError(`${host} does not resolve`);
  if (!allowPrivate)
    for (const a of all) if (isPrivateAddress(a.address)) throw new UnsafeUrlError(`${host} resolves to a private address (${a.address})`);
  return all[0]!;
}

function requestOnce(
  url: URL,
  pinned: { address: string; family: number },
  o: Required<SafeFetchOptions>,
): Promise<SafeFetchResult & { location: string | null }> {
  const pin: LookupFunction = (_host, options, cb) => {
    if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else cb(null, pinned.address, pinned.family);
  };
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      { method: 'GET', lookup: pin, timeout: o.timeoutMs, headers: { 'user-agent': 'CallTrack-InstallCheck/1.0', accept: 'text/html,*/*;q=0.5' } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > o.maxBytes) res.destroy();
          else chunks.push(c);
        });
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            url: url.href,
            contentType: (res.headers['content-type'] as string | undefined) ?? null,
            body: Buffer.concat(chunks).toString('utf8'),
            location: (res.headers.location as string | undefined) ?? null,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function safeFetch(raw: string, opts: SafeFetchOptions): Promise<SafeFetchResult> {
  const o = { timeoutMs: 5_000, maxBytes: 1_000_000, maxRedirects: 3, ...opts };
  let url = new URL(raw);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeUrlError('Only http and https pages can be checked');
    if (url.username || url.password) throw new UnsafeUrlError('Addresses with credentials are not fetched');
    const pinned = await resolveChecked(url.hostname, o.allowPrivate);
    const res = await requestOnce(url, pinned, o);
    if (res.status >= 300 && res.status < 400 && res.location) {
      if (hop >= o.maxRedirects) throw new UnsafeUrlError('Too many redirects');
      url = new URL(res.location, url);
      continue;
    }
    return { status: res.status, url: res.url, contentType: res.contentType, body: res.body };
  }
}
