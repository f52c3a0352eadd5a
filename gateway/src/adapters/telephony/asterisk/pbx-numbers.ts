import { toE164 } from '../../../shared/phone.js';
import type { CountryCode } from '../../../shared/phone.js';

/**
 * PBX numbers arrive as the trunk sends them: "+74951234561", "74951234561", "84951234561", "4951234561",
 * "02079460000". Which country's national format applies depends on the number dialled, so a DID is tried in the
 * formats of every country the gateway has tracking numbers or sites in, and the candidate that is one of our
 * tracking numbers wins; its site's country then reads the caller's number.
 */

/** What the gateway knows about its numbers, rebuilt when they change (never per call). */
export interface PbxNumberDirectory {
  /** Countries to try national DIDs in, most likely first. */
  readonly countries: readonly CountryCode[];
  /** The country whose national format callers to this tracking number use; undefined = not a tracking number. */
  countryOf(e164: string): CountryCode | null | undefined;
}

export interface ResolvedPbxNumbers {
  /** E.164 when the DID is a possible number, else the raw DID ('' when none). */
  readonly trackingNumber: string;
  /** E.164 when possible, else the raw value ('anonymous' when none). */
  readonly caller: string;
  /** true: the DID is one of our tracking numbers; false: it is not; null: no directory to ask. */
  readonly matched: boolean | null;
}

export type PbxNumberResolver = (did: string | null, caller: string | null) => ResolvedPbxNumbers;

/** `defaultCountry` (AMI_DEFAULT_COUNTRY) reads numbers that match no tracking number, and is tried first. */
export function pbxNumberResolver(defaultCountry: CountryCode | null, directory?: () => PbxNumberDirectory): PbxNumberResolver {
  return (did, caller) => {
    const dir = directory?.();
    let trackingNumber: string | null = null;
    let country: CountryCode | null = defaultCountry;
    let matched: boolean | null = dir ? false : null;
    if (did && dir) {
      const tried = new Set<string>();
      for (const c of [defaultCountry, ...dir.countries]) {
        const candidate = toE164(did, c);
        if (!candidate || tried.has(candidate)) continue;
        tried.add(candidate);
        const siteCountry = dir.countryOf(candidate);
        if (siteCountry !== undefined) {
          trackingNumber = candidate;
          country = siteCountry ?? c;
          matched = true;
          break;
        }
      }
    }
    trackingNumber ??= did ? (toE164(did, defaultCountry) ?? did) : '';
    return {
      trackingNumber,
      caller: caller ? (toE164(caller, country) ?? caller) : 'anonymous',
      matched,
    };
  };
}
