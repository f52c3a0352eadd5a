import {
  LAST_HOLDER_WINDOW_MS,
  MIN_SCORE,
  matchCall,
  OPEN_TAP_WINDOW_MS,
  TEL_CLICK_WINDOW_MS,
} from '../../../gateway/src/features/attribution/attribution-matcher.js';
import type { AttributionEvidence, LeaseRecord } from '../../../gateway/src/features/attribution/attribution-types.js';
import type { SimEngine } from './engine.js';
import type { SimPolicy } from './policies.js';
import type { SimVisit } from './traffic.js';

export interface Click {
  readonly sessionId: string;
  readonly visitorId: string | null;
  readonly clickedAt: Date;
}

/** What the gateway would have stored by the time of a call: the engine's lease state and history, clicks, calls. */
export interface Evidence {
  readonly engine: SimEngine;
  /** tel: clicks per number, the newest last (older than the open-tap window dropped). */
  readonly clicks: Map<string, Click[]>;
  /** Caller → the visitor their last call was matched to. */
  readonly callerMatch: Map<string, string>;
  /** Visitor → their latest session. */
  readonly latestSession: Map<string, string>;
  /** Session → when a call was last matched to it. */
  readonly lastCallOf: Map<string, number>;
}

export interface Credit {
  readonly sessionId: string | null;
  readonly visitorId: string | null;
  readonly ambiguous: boolean;
}

/**
 * Who the call is credited to. `gateway`: the real matcher (`matchCall`) on the evidence the gateway's read model
 * loads for it (live holder from the engine, lease history of the number, tel: clicks and open taps, caller
 * history). `last-session`: the reference model's rule, the last session given the number before the call.
 */
export async function attribute(policy: SimPolicy, ev: Evidence, v: SimVisit, e164: string | null, now: number): Promise<Credit> {
  // Shown the fallback (blocked): the call reaches the site's number, not a pool number.
  if (e164 === null) return { sessionId: null, visitorId: null, ambiguous: false };
  const history = await ev.engine.historyOf(e164, now);
  if (policy.matcher === 'last-session') {
    for (let k = history.length - 1; k >= 0; k--) {
      const r = history[k]!;
      if (r.leasedAt <= now) return { sessionId: r.sessionId, visitorId: r.visitorId, ambiguous: false };
    }
    return { sessionId: null, visitorId: null, ambiguous: false };
  }
  // The gateway's read model loads up to 50 leases of the number (started by the call, not ended 24 h before it).
  // Leases of one number never overlap, so the matcher's answer depends only on the newest few: the one covering
  // the call or the last holder, and the holders before it; five give the same answer as fifty at a fraction of the cost.
  const leases: LeaseRecord[] = [];
  for (let k = history.length - 1; k >= 0 && leases.length < 5; k--) {
    const r = history[k]!;
    if (r.leasedAt > now) continue;
    if (r.releasedAt !== null && r.releasedAt < now - LAST_HOLDER_WINDOW_MS) break;
    leases.push({
      sessionId: r.sessionId,
      visitorId: r.visitorId,
      leasedAt: new Date(r.leasedAt),
      releasedAt: r.releasedAt === null ? null : new Date(r.releasedAt),
      reclaimed: r.reclaimed,
    });
  }
  const recent = (ev.clicks.get(e164) ?? []).filter((c) => c.clickedAt.getTime() <= now);
  const telClicks = recent.filter((c) => c.clickedAt.getTime() >= now - TEL_CLICK_WINDOW_MS);
  const openTaps = recent.filter((c) => {
    const last = ev.lastCallOf.get(c.sessionId);
    return c.clickedAt.getTime() >= now - OPEN_TAP_WINDOW_MS && !(last !== undefined && last >= c.clickedAt.getTime());
  });
  let callerHistory: AttributionEvidence['callerHistory'] = null;
  const known = v.call ? ev.callerMatch.get(v.call.caller) : undefined;
  if (known) {
    const sessionId = ev.latestSession.get(known);
    if (sessionId) {
      let heldUntil: number | null = null;
      let held = false;
      // The visitor's newest lease of the number is the one that ended last (leases of one number never overlap).
      for (let k = history.length - 1; k >= 0; k--) {
        const r = history[k]!;
        if (r.visitorId !== known || r.leasedAt > now) continue;
        held = true;
        heldUntil = r.releasedAt === null || r.releasedAt > now ? now : r.releasedAt;
        break;
      }
      callerHistory = { visitorId: known, sessionId, heldNumber: held, heldUntil: heldUntil === null ? null : new Date(heldUntil) };
    }
  }
  const live = await ev.engine.store.currentHolder(e164, now);
  const evidence: AttributionEvidence = {
    at: new Date(now),
    poolKind: 'session',
    numberChannelId: null,
    live,
    leases,
    telClicks,
    openTaps,
    callerHistory,
    sessionChannels: new Map(),
  };
  const m = matchCall(evidence);
  const strong = new Set(m.candidates.filter((c) => c.score >= MIN_SCORE && c.sessionId).map((c) => c.sessionId));
  return { sessionId: m.sessionId, visitorId: m.visitorId, ambiguous: strong.size > 1 };
}
