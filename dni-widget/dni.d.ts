// Public API of the DNI widget, `window.dni`. Calls made before the script loads are queued by the stub
// `window.dni = window.dni || function () { (dni.q = dni.q || []).push(arguments); };` and replayed on load.

/** A canonical number of the site and the tracking number shown instead, both E.164. */
export interface DniSwap {
  /** The site's own number, as configured on the gateway (E.164). */
  from: string;
  /** The number shown instead (E.164). */
  to: string;
  /** The gateway's display format of `to`, e.g. "+1 415-555-0101". */
  display?: string;
}

export interface DniCommand {
  /** Scans `root` (default: the whole document) again and swaps any canonical number found. Idempotent. */
  (command: 'rescan', root?: Node): void;
  /**
   * Calls `listener` with the current swaps whenever numbers are applied (from storage on page two onwards, or after
   * the gateway answers), and at once when swaps are already known.
   */
  (command: 'onNumber', listener: (swaps: DniSwap[]) => void): void;
  /**
   * Grants (true) or withdraws (false) consent when the script tag has `data-consent="required"`. Before consent the
   * widget stores nothing and shows channel-level numbers only.
   */
  (command: 'consent', granted: boolean): void;
  /** Calls queued by the stub before the script loaded. */
  q?: IArguments[];
}

declare global {
  interface Window {
    dni?: DniCommand;
  }
}
