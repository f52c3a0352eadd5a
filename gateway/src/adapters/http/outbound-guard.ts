import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Requests to URLs that tenants type in (CRM sinks, webhooks) or that arrive in provider callbacks (recording media
 * and its redirects) must not reach the gateway's own network: loopback, private, link-local (cloud metadata at
 * 169.254.169.254 / fd00:ec2::254), CGNAT, multicast and reserved ranges are refused unless the operator allows a
 * network by configuration (OUTBOUND_ALLOWED_NETWORKS). The check runs on the address the connection actually uses
 * (undici's connect-time lookup, so a DNS answer cannot change between check and connect), on IP literals before
 * connecting, and again on every redirect hop.
 */

export type OutboundFetch = typeof fetch;

export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
}

/** The guard's refusal behind a failed fetch (undici wraps connect errors in a TypeError's cause). */
export function refusalOf(err: unknown): OutboundRefusedError | null {
  for (let e = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) if (e instanceof OutboundRefusedError) return e;
  return null;
}

const DENIED_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const DENIED_V6 = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const;

function deniedList(): BlockList {
  const l = new BlockList();
  for (const [a, p] of DENIED_V4) l.addSubnet(a, p, 'ipv4');
  for (const [a, p] of DENIED_V6) l.addSubnet(a, p, 'ipv6');
  return l;
}

/** Parses "10.0.0.0/8, ::1/128, 192.168.1.10" into a BlockList; throws naming the bad entry. */
export function parseNetworks(list: readonly string[]): BlockList {
  const l = new BlockList();
  for (const raw of list) {
    const entry = raw.trim();
    if (!entry) continue;
    const [addr, bits] = entry.split('/');
    const family = isIP(addr ?? '');
    if (!family) throw new Error(`"${entry}" is not an IP address or CIDR network`);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`"${entry}" has a bad prefix length`);
    l.addSubnet(addr!, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return l;
}

export interface OutboundGuard {
  /** Throws OutboundRefusedError when the address may not be reached. */
  checkAddress(address: string): void;
  /** Throws when the URL is not http(s) or names a refused IP literal (host names are checked when resolved). */
  checkUrl(url: URL): void;
  /** checkUrl, then the host name's current addresses (a name that does not resolve passes: it is checked again on use). */
  checkResolved(url: URL): Promise<void>;
  /** fetch through the guard; redirects (when followed) are followed here, each hop checked again. */
  readonly fetch: OutboundFetch;
}

const MAX_REDIRECTS = 5;

export function createOutboundGuard(opts: { allowedNetworks: readonly string[] }): OutboundGuard {
  const denied = deniedList();
  const allowed = parseNetworks(opts.allowedNetworks);
  const checkAddress = (address: string): void => {
    const bare = address.replace(/^\[|\]$/g, '');
    let family = isIP(bare);
    let ip = bare;
    // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is the IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
    if (mapped) {
      ip = mapped[1]!;
      family = 4;
    }
    if (!family) throw new OutboundRefusedError(`"${address}" is not an IP address`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (denied.check(ip, type) && !allowed.check(ip, type)) {
      throw new OutboundRefusedError(`Refusing to connect to ${ip}: a private, loopback or reserved address (OUTBOUND_ALLOWED_NETWORKS allows one)`);
    }
  };
  const checkUrl = (url: URL): void => {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundRefusedError(`Refusing a ${url.protocol} URL`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) checkAddress(host);
  };
  const checkResolved = async (url: URL): Promise<void> => {
    checkUrl(url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return;
    const addresses = await new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (err, a) => resolve(err ? [] : a)));
    for (const a of addresses) checkAddress(a.address);
  };
  const lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      try {
        // Every address of the answer, not just the first: the connection may try any of them.
        for (const a of addresses) checkAddress(a.address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
  const agent = new Agent({ connect: { lookup: lookup as never } });

  const guardedFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const follow = (init.redirect ?? 'follow') === 'follow';
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers = new Headers(init.headers);
    for (let hop = 0; ; hop++) {
      checkUrl(url);
      const res = (await undiciFetch(url, {
        ...(init as object),
        method,
        headers: Object.fromEntries(headers),
        ...(body === undefined || body === null ? { body: undefined } : { body }),
        redirect: 'manual',
        dispatcher: agent,
      } as never)) as unknown as Response;
      const location = res.headers.get('location');
      if (!follow || res.status < 300 || res.status > 399 || !location) return res;
      if (hop >= MAX_REDIRECTS) throw new OutboundRefusedError(`More than ${MAX_REDIRECTS} redirects`);
      await res.body?.cancel().catch(() => undefined);
      const next = new URL(location, url);
      // Credentials stay with the origin they were meant for (a media URL redirects to a storage bucket).
      if (next.origin !== url.origin) {
        headers.delete('authorization');
        headers.delete('cookie');
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers.delete('content-type');
      }
      url = next;
    }
  };
  return { checkAddress, checkUrl, checkResolved, fetch: guardedFetch as OutboundFetch };
}
