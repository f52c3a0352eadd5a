import type { PbxNumberDirectory } from '../../adapters/telephony/asterisk/pbx-numbers.js';
import { countryOfE164, isPhoneCountry } from '../../shared/phone.js';
import type { CountryCode } from '../../shared/phone.js';
import type { RoutingSnapshot } from './routing-table.js';

const cache = new WeakMap<RoutingSnapshot, PbxNumberDirectory>();

/**
 * The tracking numbers of a routing snapshot as the PBX adapter asks about them: which country's national format a
 * number's callers use (the site's `country`, else the number's own), and the countries to try DIDs in, the most
 * common first. Built once per snapshot (the snapshot is rebuilt on every number or site change), never per call.
 */
export function pbxNumberDirectory(snapshot: RoutingSnapshot): PbxNumberDirectory {
  let dir = cache.get(snapshot);
  if (dir) return dir;
  const byNumber = new Map<string, CountryCode | null>();
  const counts = new Map<CountryCode, number>();
  for (const [e164, route] of snapshot.numbers) {
    const site = route.siteId ? snapshot.sites.get(route.siteId) : undefined;
    const configured = site?.settings.country;
    const country = configured && isPhoneCountry(configured) ? configured : countryOfE164(e164);
    byNumber.set(e164, country);
    if (country) counts.set(country, (counts.get(country) ?? 0) + 1);
  }
  const countries = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  dir = { countries, countryOf: (e164) => byNumber.get(e164) };
  cache.set(snapshot, dir);
  return dir;
}
