/** Matching a call to the visitor who saw the number (ARCHITECTURE "Attribution", dni.md §5 "Call matching"). */

/** 'callback': the gateway placed the call for a callback request, so the request's visit is certain. */
export type AttributionMethod = 'lease' | 'tel_click' | 'caller_history' | 'last_holder' | 'channel' | 'manual' | 'callback';

export interface AttributionCandidate {
  readonly sessionId: string | null;
  readonly visitorId: string | null;
  readonly method: AttributionMethod;
  readonly score: number;
  readonly reason: string;
}

export interface Attribution {
  readonly method: AttributionMethod;
  readonly sessionId: string | null;
  readonly visitorId: string | null;
  readonly channelId: string | null;
  readonly score: number;
  /** Every candidate considered, best first, with why: a manager sees the evidence and can re-assign. */
  readonly candidates: readonly AttributionCandidate[];
  /** 'auto' or the user/key id that re-assigned the call. */
  readonly assignedBy: string;
  readonly assignedAt: string;
}

/** Who holds a number right now, from the live lease state (the lease engine's store). */
export interface LiveHolder {
  readonly leaseId: string;
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly poolId: string;
  readonly leasedAt: Date;
  readonly lastSeenAt: Date;
  readonly reclaimed: boolean;
}

/** The narrow view of the lease engine attribution needs. */
export interface LiveLeaseLookup {
  currentHolder(e164: string, at: Date): Promise<LiveHolder | null>;
  /** `currentHolder` for many, in order (a batch of calls). */
  currentHolders(items: readonly { e164: string; at: Date }[]): Promise<(LiveHolder | null)[]>;
}

export interface LeaseRecord {
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly leasedAt: Date;
  readonly releasedAt: Date | null;
  readonly reclaimed: boolean;
}

export interface AttributionEvidence {
  readonly at: Date;
  /** 'static': the number stands for a channel, never for a visit. */
  readonly poolKind: 'session' | 'static' | null;
  readonly numberChannelId: string | null;
  readonly live: LiveHolder | null;
  /** Leases of the number, any order. */
  readonly leases: readonly LeaseRecord[];
  /** tel: clicks on the number shortly before the call. */
  readonly telClicks: readonly { readonly sessionId: string; readonly visitorId: string | null; readonly clickedAt: Date }[];
  /**
   * tel: taps on the number within `OPEN_TAP_WINDOW_MS` before the call by sessions no call has been matched to since
   * the tap: a visitor who tapped to call and has not called yet (optional: older callers of the matcher omit it).
   */
  readonly openTaps?: readonly { readonly sessionId: string; readonly visitorId: string | null; readonly clickedAt: Date }[];
  /** The caller's earlier matched visitor and that visitor's latest recent session on this site. */
  readonly callerHistory: {
    readonly visitorId: string;
    readonly sessionId: string;
    readonly heldNumber: boolean;
    /** When that visitor last held this number (the call time if it still does); null when it never did. */
    readonly heldUntil?: Date | null;
  } | null;
  /** Channel of each session among the candidates. */
  readonly sessionChannels: ReadonlyMap<string, string | null>;
}
