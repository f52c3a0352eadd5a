import type { Attribution, AttributionCandidate, AttributionEvidence } from './attribution-types.js';

/**
 * The five-step match as a pure function over the evidence (dni.md §5):
 * 1. a lease covers the call time → 1.0 (0.95 if reclaimed); 2. a tel: click in the last 2 minutes → 0.99;
 * 3. the caller's known visitor with a recent session → 0.8 (0.9 if they also held the number);
 * 4. the last holder, released before the call and not followed by another holder → exp(-gap/τ);
 * 5. otherwise the number's channel only. A candidate under 0.5 is kept as evidence but never picked.
 * A lease or last-holder pick yields to a tap or known caller from before the number changed hands (`handedOver`).
 */

export const TEL_CLICK_WINDOW_MS = 2 * 60_000;
export const LAST_HOLDER_WINDOW_MS = 24 * 3_600_000;
/**
 * The last holder's score halves every ~83 minutes of idle number. Was 30 minutes (picked under 0.5 after 21 min): the
 * pool simulator showed that with least-recently-released leasing a released number stays idle ~16 min at the pool
 * size for 99 %, and the 30-minute decay left 0.3 % of all calls unattributed at any pool size (docs/attribution.md).
 */
export const LAST_HOLDER_TAU_MS = 2 * 3_600_000;
export const MIN_SCORE = 0.5;
/**
 * How long a tel: tap nobody has called on since stays evidence for the tapper over a visit the number passed to
 * after the tap. A tap is an intent to call; the tapper's remaining call probability is still all there, while the
 * new holder's is only its share of calling at all (docs/attribution.md, "open taps").
 */
export const OPEN_TAP_WINDOW_MS = 30 * 60_000;
/** ...except over a live holder that got the number less than this ago: short visits call early (dni.md §4 model). */
export const OPEN_TAP_LIVE_AFTER_MS = 2 * 60_000;

const round = (n: number) => Math.round(n * 1000) / 1000;

export function matchCall(e: AttributionEvidence): Omit<Attribution, 'assignedAt'> {
  const t = e.at.getTime();
  const candidates: AttributionCandidate[] = [];
  if (e.poolKind !== 'static') {
    if (e.live) {
      candidates.push({
        sessionId: e.live.sessionId,
        visitorId: e.live.visitorId,
        method: 'lease',
        score: e.live.reclaimed ? 0.95 : 1,
        reason: `live lease since ${e.live.leasedAt.toISOString()}${e.live.reclaimed ? ' (reclaimed)' : ''}`,
      });
    }
    for (const l of e.leases) {
      const covers = l.leasedAt.getTime() <= t && (l.releasedAt === null || l.releasedAt.getTime() > t);
      if (covers && !candidates.some((c) => c.method === 'lease' && c.sessionId === l.sessionId)) {
        candidates.push({
          sessionId: l.sessionId,
          visitorId: l.visitorId,
          method: 'lease',
          score: l.reclaimed ? 0.95 : 1,
          reason: `lease [${l.leasedAt.toISOString()}, ${l.releasedAt?.toISOString() ?? 'open'}) covers the call`,
        });
      }
    }
    for (const c of [...e.telClicks].sort((a, b) => b.clickedAt.getTime() - a.clickedAt.getTime())) {
      const age = t - c.clickedAt.getTime();
      if (age >= 0 && age <= TEL_CLICK_WINDOW_MS) {
        candidates.push({
          sessionId: c.sessionId,
          visitorId: c.visitorId,
          method: 'tel_click',
          score: 0.99,
          reason: `tel: click ${Math.round(age / 1000)} s before the call`,
        });
      }
    }
    if (e.callerHistory) {
      const h = e.callerHistory;
      candidates.push({
        sessionId: h.sessionId,
        visitorId: h.visitorId,
        method: 'caller_history',
        score: h.heldNumber ? 0.9 : 0.8,
        reason: `caller matched this visitor before${h.heldNumber ? ', who also held this number' : ''}`,
      });
    }
    // Last holder: the most recent lease released at or before t, with no later lease starting before t.
    const ended = e.leases.filter((l) => l.releasedAt !== null && l.releasedAt.getTime() <= t);
    const last = ended.sort((a, b) => b.releasedAt!.getTime() - a.releasedAt!.getTime())[0];
    if (last) {
      const releasedAt = last.releasedAt!.getTime();
      const heldSince = e.leases.some((l) => l !== last && l.leasedAt.getTime() >= releasedAt && l.leasedAt.getTime() <= t);
      const gap = t - releasedAt;
      if (!heldSince && gap <= LAST_HOLDER_WINDOW_MS && !candidates.some((c) => c.method === 'lease')) {
        candidates.push({
          sessionId: last.sessionId,
          visitorId: last.visitorId,
          method: 'last_holder',
          score: round(Math.exp(-gap / LAST_HOLDER_TAU_MS)),
          reason: `last holder, released ${Math.round(gap / 1000)} s before the call`,
        });
      }
    }
  }
  // Steps are tried in order; within the list, the first that clears the bar wins, unless the number changed hands.
  let chosen = candidates.find((c) => c.score >= MIN_SCORE && c.sessionId);
  if (chosen?.method === 'caller_history' && !e.callerHistory?.heldNumber) chosen = holderOverStranger(candidates) ?? chosen;
  const handover = chosen ? handedOver(e, chosen) : null;
  if (handover) {
    chosen = handover;
    // Kept with the evidence: an open tap is no candidate of its own until it decides the match.
    if (!candidates.some((c) => c.method === handover.method && c.sessionId === handover.sessionId)) candidates.push(handover);
  }
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  if (!chosen) {
    return {
      method: 'channel',
      sessionId: null,
      visitorId: null,
      channelId: e.numberChannelId,
      score: 0,
      candidates: sorted,
      assignedBy: 'auto',
    };
  }
  return {
    method: chosen.method,
    sessionId: chosen.sessionId,
    visitorId: chosen.visitorId,
    channelId: (chosen.sessionId ? e.sessionChannels.get(chosen.sessionId) : null) ?? e.numberChannelId,
    score: chosen.score,
    candidates: sorted,
    assignedBy: 'auto',
  };
}

/**
 * The caller's known visitor never held the number, so none of its sessions showed it: a pool number is seen only
 * while leased. The session that did show it and was last to (the last holder) is the one the call came from, be the
 * caller the same person on another browser or the earlier caller → visitor match wrong; caller history still
 * decides when no session held the number recently. Left to the list order, a wrong earlier match was copied onto
 * every later call of that caller (docs/attribution.md, "What the simulator changed").
 */
function holderOverStranger(candidates: readonly AttributionCandidate[]): AttributionCandidate | undefined {
  return candidates.find((c) => c.method === 'last_holder' && c.score >= MIN_SCORE && c.sessionId);
}

/**
 * A lease or last-holder pick loses to stronger evidence about someone who had the number before that lease began:
 * a tel: click on it (the clicker was looking at it), or the caller's known visitor having held it. The number was
 * handed to the new holder only after the caller had it, and a caller dials what they were shown; with exclusive
 * leases the new holder being right needs a second visitor calling within minutes of getting the number.
 */
function handedOver(e: AttributionEvidence, picked: AttributionCandidate): AttributionCandidate | null {
  if (picked.method !== 'lease' && picked.method !== 'last_holder') return null;
  const start =
    picked.method === 'lease' && e.live?.sessionId === picked.sessionId
      ? e.live.leasedAt.getTime()
      : Math.max(...e.leases.filter((l) => l.sessionId === picked.sessionId).map((l) => l.leasedAt.getTime()), Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(start)) return null;
  const t = e.at.getTime();
  const click = [...e.telClicks]
    .filter((c) => c.sessionId !== picked.sessionId && c.clickedAt.getTime() <= start && t - c.clickedAt.getTime() <= TEL_CLICK_WINDOW_MS)
    .sort((a, b) => b.clickedAt.getTime() - a.clickedAt.getTime())[0];
  if (click) {
    return {
      sessionId: click.sessionId,
      visitorId: click.visitorId,
      method: 'tel_click',
      score: 0.99,
      reason: `tel: click ${Math.round((t - click.clickedAt.getTime()) / 1000)} s before the call, before the number passed to another visit`,
    };
  }
  const h = e.callerHistory;
  if (h?.heldUntil && h.heldUntil.getTime() <= start && h.visitorId !== picked.visitorId) {
    return {
      sessionId: h.sessionId,
      visitorId: h.visitorId,
      method: 'caller_history',
      score: 0.9,
      reason: `caller matched this visitor before, who held this number until ${h.heldUntil.toISOString()}, before it passed to another visit`,
    };
  }
  return openTapBefore(e, picked, start);
}

/**
 * The newest open tap (no call from the tapper since) made before the picked visit got the number, unless the
 * picked visit tapped the number itself: its own tap says it dialled.
 */
function openTapBefore(e: AttributionEvidence, picked: AttributionCandidate, start: number): AttributionCandidate | null {
  const t = e.at.getTime();
  const taps = e.openTaps ?? [];
  if (taps.some((c) => c.sessionId === picked.sessionId) || e.telClicks.some((c) => c.sessionId === picked.sessionId)) return null;
  const tap = taps
    .filter((c) => c.clickedAt.getTime() <= start && t - c.clickedAt.getTime() <= OPEN_TAP_WINDOW_MS)
    .sort((a, b) => b.clickedAt.getTime() - a.clickedAt.getTime())[0];
  if (!tap) return null;
  // A live holder that got the number moments ago may well be dialling it now (short visits call early).
  if (picked.method === 'lease' && t - start < OPEN_TAP_LIVE_AFTER_MS) return null;
  return {
    sessionId: tap.sessionId,
    visitorId: tap.visitorId,
    method: 'tel_click',
    score: 0.9,
    reason: `tel: tap ${Math.round((t - tap.clickedAt.getTime()) / 1000)} s before the call with no call since, before the number passed to another visit`,
  };
}
