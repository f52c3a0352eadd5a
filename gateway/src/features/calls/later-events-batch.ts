import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import type { CallChange } from './call-change-hook.js';
import { callDurations, secondsBetween } from './call-durations.js';
import type { CallUpdateKind } from './call-event-applier.js';
import type { CallAnsweredEvent, CallEndedEvent, CallEvent, CallRingingEvent, RecordingAvailableEvent } from './call-events.js';
import type { CallServiceDeps } from './call-service-deps.js';
import type { Call, CallPatch } from './call-types.js';
import type { NewRecordingRef } from './recording-ref-store.js';
import type { Applied } from './ringing-batch.js';

/** An event of a call that exists (or is about to): answered, ended, a recording. */
export type LaterEvent = Exclude<CallEvent, CallRingingEvent>;

/** What an answer or an end changes on a call: the patch, the hook to run and what listeners hear. */
export interface PlannedChange {
  readonly patch: CallPatch;
  readonly trigger: Extract<CallChange['trigger'], 'call.answered' | 'call.ended'> | null;
  readonly kinds: CallUpdateKind[];
}

/**
 * The state rules of an answer or an end, without I/O (one by one and in a batch alike): states only move forward
 * (ringing → answered → ended); ended is final, except that a report of the talk time (the Dial's outcome) corrects
 * an end derived from the parent leg, and an answer arriving after the end fills in when it was answered. Null when
 * the event changes nothing.
 */
export function planChange(call: Call, e: CallAnsweredEvent | CallEndedEvent): PlannedChange | null {
  if (e.type === 'call.answered') {
    if (call.status === 'ringing')
      return { patch: { status: 'answered', answeredAt: e.occurredAt, answeredBy: e.answeredBy }, trigger: 'call.answered', kinds: ['answered'] };
    if (call.status === 'ended' && !call.answeredAt && (call.outcome === 'completed' || call.outcome === null)) {
      // Arrived after the end: fill in when it was answered without moving the state back.
      const timed = !call.talkReported && call.endedAt ? callDurations(call.startedAt, e.occurredAt, call.endedAt) : {};
      return { patch: { answeredAt: e.occurredAt, answeredBy: e.answeredBy, ...timed }, trigger: 'call.answered', kinds: ['answered'] };
    }
    return null;
  }
  const reported = e.talkSeconds !== undefined;
  if (call.status === 'ended' && !(reported && !call.talkReported)) return null;
  const endedAt = call.status === 'ended' && call.endedAt ? call.endedAt : e.occurredAt;
  const answeredAt = e.outcome === 'completed' ? call.answeredAt : null;
  const durations = callDurations(call.startedAt, answeredAt, endedAt);
  if (e.talkSeconds !== undefined) {
    // The provider knows the talk time; without an answer time, ring time is the rest of the call.
    durations.talkSeconds = e.talkSeconds;
    if (!answeredAt) durations.ringSeconds = Math.max(0, secondsBetween(call.startedAt, endedAt) - e.talkSeconds);
  }
  if (e.ringSeconds !== undefined) durations.ringSeconds = e.ringSeconds;
  const patch: CallPatch = {
    status: 'ended',
    outcome: e.outcome,
    endedAt,
    talkReported: reported,
    ...(e.answeredBy ? { answeredBy: e.answeredBy } : {}),
    ...durations,
  };
  const changed = call.status !== 'ended' || call.outcome !== e.outcome;
  return { patch, trigger: changed ? 'call.ended' : null, kinds: changed ? ['ended'] : [] };
}

/** The recording reference a recording event adds to its call, one by one or in a batch alike. */
export function recordingRow(id: string, call: Pick<Call, 'id' | 'accountId'>, e: RecordingAvailableEvent): NewRecordingRef {
  const s = e.source;
  const base = { id, accountId: call.accountId, callId: call.id };
  return s.kind === 'twilio'
    ? {
        ...base,
        provider: 'twilio',
        providerRef: s.recordingSid,
        sourceUrl: s.url,
        status: s.status === 'completed' ? 'pending' : s.status,
        durationSeconds: s.durationSeconds,
        channels: s.channels,
      }
    : { ...base, provider: 'asterisk', providerRef: s.path, sourceUrl: null, status: 'pending', durationSeconds: null, channels: null };
}

/**
 * Writes a run of consecutive answers, ends and recordings of a batch whose calls exist, with a fixed number of
 * statements for the run instead of five or so per event: the calls read with their row locks in one statement, the
 * ledger rows as one multi-row insert, each call's changes applied in memory in event order (`planChange`, the
 * rules the one-by-one path applies) and stored in one UPDATE (which also refreshes the calls' report facts once
 * for the run instead of once per event), then the change hooks in event order, each seeing the call as its event
 * left it; the recordings as one multi-row insert. A run with an event whose call is missing (to be parked) or
 * belongs to another tenant is left to the one-by-one path (`write` answers null before writing anything).
 */
export class LaterEventsBatchWriter {
  constructor(
    private readonly deps: CallServiceDeps,
    private readonly runHooks: (trx: DbOrTrx, call: Call, trigger: NonNullable<PlannedChange['trigger']>) => Promise<void>,
  ) {}

  /** The changed calls and the keys now in the ledger; null when the run goes one by one. The caller holds the creation locks. */
  async write(trx: DbOrTrx, run: readonly LaterEvent[]): Promise<{ applied: Applied[]; keys: string[] } | null> {
    const { calls, events, hooks, recordings } = this.deps;
    const keyOf = (e: { provider: string; providerCallId: string }) => `${e.provider}:${e.providerCallId}`;
    const found = await calls.getManyByProviderIdForUpdate(trx, run);
    const state = new Map(found.map((c) => [keyOf(c), c] as const));
    if (run.some((e) => !state.has(keyOf(e)) || (e.accountId && state.get(keyOf(e))!.accountId !== e.accountId))) return null;
    const recorded = await events.recordMany(
      trx,
      run.map((e) => {
        const c = state.get(keyOf(e))!;
        return { id: newId(), accountId: c.accountId, callId: c.id, event: e };
      }),
    );
    // A key repeated in the run was recorded by its first event only: the rest are replays.
    const fresh = run.filter((e) => recorded.delete(`${e.provider}:${e.eventKey}`));
    const steps: { e: LaterEvent; call: Call; trigger: PlannedChange['trigger']; kinds: CallUpdateKind[]; recording?: NewRecordingRef }[] = [];
    const changed = new Set<string>();
    for (const e of fresh) {
      const k = keyOf(e);
      const call = state.get(k)!;
      if (e.type === 'recording.available') {
        steps.push({ e, call, trigger: null, kinds: [], recording: recordingRow(newId(), call, e) });
        continue;
      }
      const plan = planChange(call, e);
      if (!plan) {
        steps.push({ e, call, trigger: null, kinds: [] });
        continue;
      }
      const next: Call = { ...call, ...plan.patch };
      state.set(k, next);
      changed.add(k);
      steps.push({ e, call: next, trigger: plan.trigger, kinds: plan.kinds });
    }
    const added = await recordings.addManyIfAbsent(
      trx,
      steps.flatMap((s) => (s.recording ? [s.recording] : [])),
    );
    const saved = new Map(
      (
        await calls.saveProgress(
          trx,
          [...changed].map((k) => state.get(k)!),
        )
      ).map((c) => [keyOf(c), c] as const),
    );
    // Each step's call as its event left it, with the row's updated_at (the transaction's time, the same for all).
    const asStored = (call: Call): Call => {
      const row = saved.get(keyOf(call));
      return row ? { ...call, updatedAt: row.updatedAt } : call;
    };
    const stepCalls = steps.map((s) => asStored(s.call));
    const touched = [...new Map(stepCalls.filter((_, i) => steps[i]!.trigger).map((c) => [c.id, c] as const)).values()];
    if (touched.length) for (const hook of hooks) if (hook.beforeCallsChanged) await hook.beforeCallsChanged(trx, touched);
    const applied: Applied[] = [];
    for (const [i, s] of steps.entries()) {
      if (s.recording) {
        if (added.has(s.recording.id)) applied.push({ call: stepCalls[i]!, kinds: ['recording'] });
        continue;
      }
      if (s.trigger) await this.runHooks(trx, stepCalls[i]!, s.trigger);
      if (s.kinds.length) applied.push({ call: stepCalls[i]!, kinds: s.kinds });
    }
    return { applied, keys: run.map((e) => `${e.provider}:${e.eventKey}`) };
  }
}
