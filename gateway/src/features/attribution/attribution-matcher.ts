import type { Attribution, AttributionCandidate, AttributionEvidence } from './attribution-types.js';

/**
 * The five-step match as a pure function over the evidence (dni.md §5):
 * 1. a lease covers the call time → 1.0 (0.95 if reclaimed); 2. a tel: click in the last 2 minutes → 0.99;
 * 3. the caller's known visitor with a recent session → 0.8 (0.9 if they also held the number);
 * 4. the last holder, released before the call and not followed by another holder → exp(-gap/τ);
 * 5. otherwise the number's channel only. A candidate under 0.5 is kept as evidence but never picked.
 */

export const TEL_CLICK_WINDOW_MS = 2 * 60_000;
export const LAST_HOLDER_WINDOW_MS = 24 * 3_600_000;
export const LAST_HOLDER_TAU_MS = 30 * 60_000;
export const MIN_SCORE = 0.5;

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
  // Steps are tried in order; within the list, the first that clears the bar wins.
  const chosen = candidates.find((c) => c.score >= MIN_SCORE && c.sessionId);
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
