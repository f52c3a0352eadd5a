import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import { matchCall } from '../attribution/attribution-matcher.js';
import type { NumberContext } from '../attribution/attribution-read-model.js';
import type { Attribution, LiveHolder } from '../attribution/attribution-types.js';
import type { CallChange, CallChangeHook } from './call-change-hook.js';
import type { CallBatchSink, CallEvent, CallRingingEvent } from './call-events.js';
import { NO_ORIGIN } from './call-origin.js';
import { newCallRow, unmatchedAttribution } from './new-call.js';
import type { CallOrigin } from './call-origin.js';
import type { CallServiceDeps } from './call-service-deps.js';
import type { Call } from './call-types.js';
import { LaterEventsBatchWriter, planChange, recordingRow } from './later-events-batch.js';
import type { LaterEvent } from './later-events-batch.js';
import { RingingBatchWriter, fitsRun, lockCalls } from './ringing-batch.js';
import type { Applied, RingingItem } from './ringing-batch.js';

/** What subscribers (live feed, reports) hear after a change commits. */
export type CallUpdateKind = 'ringing' | 'answered' | 'ended' | 'attributed' | 'recording';

declare module '../../shared/event-bus.js' {
  interface DomainEvents {
    'call.updated': { accountId: string; callId: string; kind: CallUpdateKind; call: Call; origin: CallOrigin };
    'call.attributed': { accountId: string; callId: string; call: Call };
  }
}

/** Event keys remembered per process as already in the ledger (the oldest forgotten first when full). */
const MAX_REMEMBERED_EVENTS = 50_000;

/** Runs the change hooks in the transaction that changes the call. Blocked callers are logged but never become leads. */
export async function runCallHooks(hooks: readonly CallChangeHook[], trx: DbOrTrx, call: Call, trigger: CallChange['trigger']): Promise<void> {
  if (call.blocked) return;
  const change: CallChange = { accountId: call.accountId, callId: call.id, siteId: call.siteId, trigger };
  for (const hook of hooks) await hook.onCallChange(trx, change);
}

/**
 * Applies the normalized call events idempotently and in any order, for both telephony adapters:
 * - a replay (same provider + event key) changes nothing: the raw event ledger refuses it first;
 * - an event for a call not yet created is parked and applied when the call appears;
 * - states only move forward (ringing → answered → ended); ended is final, except that a report of the talk time
 *   (the Dial's outcome) corrects an end derived from the parent leg.
 * Every change runs the CallChangeHooks inside its transaction.
 *
 * `applyMany` runs a batch's events in order in ONE transaction (the very statements `apply` runs, reads included,
 * so each event sees the ones before it exactly as it would after their commits), with the ledger's replays and the
 * tracking numbers looked up once for the batch and the changed calls read back in one query. Per event that saves
 * the BEGIN/COMMIT (and its WAL flush), the two read-back queries and the lookups; if the batch fails as a whole it
 * is rolled back and its events applied one by one, so a bad event costs only itself.
 */
export class CallEventApplier implements CallBatchSink {
  /**
   * Keys of events this process saw committed to the ledger (applied, parked, or found there already). A replay of
   * one (Twilio retrying, or the Dial outcome repeating the leg's answer) changes nothing, so it skips the database.
   */
  private readonly inLedger = new Set<string>();

  private readonly ringingBatch: RingingBatchWriter;
  private readonly laterBatch: LaterEventsBatchWriter;

  constructor(private readonly deps: CallServiceDeps) {
    this.ringingBatch = new RingingBatchWriter(
      deps,
      (trx, call, e) => this.applyToCall(trx, call, e),
      (trx, call) => runCallHooks(deps.hooks, trx, call, 'call.started'),
    );
    this.laterBatch = new LaterEventsBatchWriter(deps, (trx, call, trigger) => runCallHooks(deps.hooks, trx, call, trigger));
  }

  async apply(event: CallEvent): Promise<void> {
    const key = keyOf(event);
    if (this.inLedger.has(key)) return;
    const { db } = this.deps;
    let r: { applied: Applied | null; foreign: boolean };
    if (event.type === 'call.ringing') {
      // Reads happen before the transaction (one connection on PGlite; short locks on PostgreSQL).
      const reads = await this.ringingReads(db, event, await this.deps.attribution.numberContext(db, event.trackingNumber));
      r = { applied: reads ? await db.transaction((trx) => this.writeRinging(trx, event, reads)) : null, foreign: !reads };
    } else r = await db.transaction((trx) => this.writeLater(trx, event));
    if (!r.foreign) this.remember(key);
    if (r.applied?.kinds.length) await this.publish([r.applied]);
  }

  /** Applies `events` in order; returns, per event, null when applied (or a no-op) or the error that stopped it. */
  async applyMany(events: readonly CallEvent[]): Promise<(unknown | null)[]> {
    const results: (unknown | null)[] = events.map(() => null);
    const todo = events.map((e, i) => ({ e, i, key: keyOf(e) })).filter((t) => !this.inLedger.has(t.key));
    if (!todo.length) return results;
    const { db, attribution } = this.deps;
    let applied: Applied[];
    const keys: string[] = [];
    try {
      // Replays the ledger already holds change nothing: one query finds them all.
      const seen = await this.deps.events.existingKeys(
        db,
        todo.map((t) => t.e),
      );
      const fresh = todo.filter((t) => {
        if (!seen.has(t.key)) return true;
        this.remember(t.key);
        return false;
      });
      if (!fresh.length) return results;
      const numbers = [...new Set(fresh.flatMap((t) => (t.e.type === 'call.ringing' ? [t.e.trackingNumber] : [])))];
      const contexts = await attribution.numberContexts(db, numbers);
      // Before the transaction, as on the one-by-one path: the lease state is not changed by applying calls.
      const asked = fresh.flatMap((t) => {
        const ctx = t.e.type === 'call.ringing' ? contexts.get(t.e.trackingNumber) : undefined;
        return ctx && t.e.type === 'call.ringing' ? [{ i: t.i, ctx, e164: t.e.trackingNumber, at: t.e.occurredAt }] : [];
      });
      const holders = await attribution.liveHolders(asked);
      const live = new Map<number, { live: LiveHolder | null }>(asked.map((a, j) => [a.i, { live: holders[j] ?? null }] as const));
      applied = await db.transaction(async (trx) => {
        const out: Applied[] = [];
        await lockCalls(
          trx,
          fresh.map((t) => t.e),
        );
        // Consecutive new calls are written together (`RingingBatchWriter`), and so are consecutive events of
        // existing calls (`LaterEventsBatchWriter`), in the batch's order.
        let run: RingingItem[] = [];
        let later: LaterEvent[] = [];
        const flush = async () => {
          if (!run.length) return;
          const r = await this.ringingBatch.write(trx, run);
          run = [];
          keys.push(...r.keys);
          out.push(...r.applied);
        };
        const flushLater = async () => {
          if (!later.length) return;
          const events = later;
          later = [];
          const r = await this.laterBatch.write(trx, events);
          if (r) {
            keys.push(...r.keys);
            out.push(...r.applied);
            return;
          }
          // A call to park an event for, or another tenant's: one after the other, as `apply` does.
          for (const e of events) {
            const one = await this.writeLater(trx, e);
            if (!one.foreign) keys.push(keyOf(e));
            if (one.applied?.kinds.length) out.push(one.applied);
          }
        };
        for (const t of fresh) {
          if (t.e.type === 'call.ringing') {
            await flushLater();
            if (!fitsRun(run, t.e)) await flush();
            run.push({ e: t.e, found: contexts.get(t.e.trackingNumber) ?? null, live: live.get(t.i)?.live ?? null });
            continue;
          }
          await flush();
          later.push(t.e);
        }
        await flush();
        await flushLater();
        return out;
      });
    } catch {
      // One event (or a lost connection, or a deadlock) failed the batch: each gets its own transaction and its own
      // verdict, so the good ones are applied and only the bad one is reported.
      for (const t of todo) {
        try {
          await this.apply(t.e);
        } catch (err) {
          results[t.i] = err ?? new Error('call event not applied');
        }
      }
      return results;
    }
    for (const k of keys) this.remember(k);
    if (applied.length) await this.publish(applied);
    return results;
  }

  /**
   * Tells listeners once committed: the lead assigned in the transaction and the origin in words are what they
   * show, read back for all changed calls in one query. The change is stored either way: a failed read-back only
   * leaves the live feed without the words.
   */
  private async publish(applied: readonly Applied[]): Promise<void> {
    const { db, calls, readModel, bus, logger } = this.deps;
    // Without a listener (no live-feed socket on a replica without fan-out) the read-back and the events are skipped:
    // two queries per batch and one message per change that nobody would receive.
    if (!bus.listens('call.updated') && !bus.listens('call.attributed')) return;
    const byAccount = new Map<string, Set<string>>();
    for (const a of applied) byAccount.set(a.call.accountId, (byAccount.get(a.call.accountId) ?? new Set()).add(a.call.id));
    const current = new Map<string, { leadId: string | null; origin: CallOrigin }>();
    for (const [accountId, ids] of byAccount) {
      try {
        const rows = await calls.getMany(db, accountId, [...ids]);
        for (const v of await readModel.views(db, accountId, rows)) current.set(v.call.id, { leadId: v.call.leadId, origin: v.origin });
      } catch (err) {
        logger.warn({ err, calls: ids.size }, 'call read-back after commit failed');
      }
    }
    for (const a of applied) {
      const now = current.get(a.call.id);
      // The call as this event left it, with the lead the hooks gave it (a later event of the batch may have moved it on).
      const call = now ? { ...a.call, leadId: now.leadId } : a.call;
      const origin = now?.origin ?? NO_ORIGIN;
      for (const kind of a.kinds) {
        await bus.emit('call.updated', { accountId: a.call.accountId, callId: a.call.id, kind, call, origin });
        if (kind === 'attributed') await bus.emit('call.attributed', { accountId: a.call.accountId, callId: a.call.id, call: a.call });
      }
    }
  }

  private async lockCallId(trx: DbOrTrx, provider: string, providerCallId: string): Promise<void> {
    // Serialises the creation of a call with events racing it, so none is parked after the parked ones were claimed.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`${provider}:${providerCallId}`]);
  }

  /** After the transaction that recorded (or met) the event in the ledger has committed. */
  private remember(key: string): void {
    if (this.inLedger.size >= MAX_REMEMBERED_EVENTS) this.inLedger.delete(this.inLedger.values().next().value as string);
    this.inLedger.add(key);
  }

  /** What a new call needs to know before it is written; null when no account owns the number. */
  private async ringingReads(db: DbOrTrx, e: CallRingingEvent, found: NumberContext | null, known?: { live: LiveHolder | null }) {
    // When the adapter knows the tenant, a number of another tenant is treated as unknown (never cross-tenant).
    const ctx = found && (!e.accountId || found.accountId === e.accountId) ? found : null;
    const accountId = ctx?.accountId ?? e.accountId;
    if (!accountId) {
      this.deps.logger.warn({ provider: e.provider, providerCallId: e.providerCallId }, 'call to a number no account owns; not recorded');
      return null;
    }
    const siteId = ctx?.siteId ?? e.siteId ?? null;
    const blocked = siteId && e.caller !== 'anonymous' ? await this.deps.blocked.isBlocked(db, accountId, siteId, e.caller) : false;
    const firstTime =
      siteId && e.caller !== 'anonymous' ? !(await this.deps.calls.hasCalledBefore(db, accountId, siteId, e.caller, e.occurredAt)) : null;
    const attr: Attribution | null = blocked
      ? null
      : ctx
        ? await this.match(db, ctx, e.trackingNumber, e.caller, e.occurredAt, ctx === found ? known : undefined)
        : unmatchedAttribution(this.deps.clock.now());
    return { ctx, accountId, siteId, blocked, firstTime, attr };
  }

  private async writeRinging(
    trx: DbOrTrx,
    e: CallRingingEvent,
    r: NonNullable<Awaited<ReturnType<CallEventApplier['ringingReads']>>>,
  ): Promise<Applied | null> {
    const { ctx, accountId, siteId, blocked, firstTime, attr } = r;
    await this.lockCallId(trx, e.provider, e.providerCallId);
    const callId = newId();
    if (!(await this.deps.events.record(trx, { id: newId(), accountId, callId: null, event: e }))) return null;
    const created = await this.deps.calls.createIfAbsent(trx, newCallRow(callId, e, { accountId, siteId, ctx }, { attr, firstTime, blocked }));
    if (!created) return null;
    const kinds: CallUpdateKind[] = ['ringing', 'attributed'];
    await runCallHooks(this.deps.hooks, trx, created, 'call.started');
    let call = created;
    // The ringing event itself plus anything that arrived before it (out of order) now belongs to the call.
    const pending = await this.deps.events.claimPending(trx, e.provider, e.providerCallId, call.id, accountId);
    for (const p of pending) {
      if (p.type === 'call.ringing') continue;
      const a = await this.applyToCall(trx, call, p);
      call = a.call;
      kinds.push(...a.kinds);
    }
    return { call, kinds };
  }

  private async writeLater(trx: DbOrTrx, e: Exclude<CallEvent, CallRingingEvent>): Promise<{ applied: Applied | null; foreign: boolean }> {
    // An existing call's row lock serialises its events. Only an event that may have to be parked takes the
    // creation lock (and looks again once it holds it), so none is parked after its call claimed the parked ones.
    let call = await this.deps.calls.getByProviderIdForUpdate(trx, e.provider, e.providerCallId);
    if (!call) {
      await this.lockCallId(trx, e.provider, e.providerCallId);
      call = await this.deps.calls.getByProviderIdForUpdate(trx, e.provider, e.providerCallId);
    }
    if (call && e.accountId && call.accountId !== e.accountId) {
      // Signed by another tenant's login: not recorded either, so it cannot take the real event's key.
      this.deps.logger.warn({ provider: e.provider, providerCallId: e.providerCallId }, 'event for another account’s call ignored');
      return { applied: null, foreign: true };
    }
    const fresh = await this.deps.events.record(trx, { id: newId(), accountId: call?.accountId ?? null, callId: call?.id ?? null, event: e });
    if (!fresh || !call) return { applied: null, foreign: false };
    return { applied: await this.applyToCall(trx, call, e), foreign: false };
  }

  private async applyToCall(trx: DbOrTrx, call: Call, e: CallEvent): Promise<Applied> {
    const { calls } = this.deps;
    switch (e.type) {
      case 'call.ringing':
        return { call, kinds: [] };
      case 'call.answered':
      case 'call.ended': {
        const plan = planChange(call, e);
        if (!plan) return { call, kinds: [] };
        const updated = await calls.update(trx, call.accountId, call.id, plan.patch);
        if (plan.trigger) await runCallHooks(this.deps.hooks, trx, updated, plan.trigger);
        return { call: updated, kinds: plan.kinds };
      }
      case 'recording.available': {
        const added = await this.deps.recordings.addIfAbsent(trx, recordingRow(newId(), call, e));
        return { call, kinds: added ? ['recording'] : [] };
      }
    }
  }

  private async match(
    db: DbOrTrx,
    ctx: NumberContext,
    e164: string,
    caller: string,
    at: Date,
    known?: { live: LiveHolder | null },
  ): Promise<Attribution> {
    const evidence = await this.deps.attribution.evidence(db, ctx, e164, caller, at, known);
    return { ...matchCall(evidence), assignedAt: this.deps.clock.now().toISOString() };
  }
}

const keyOf = (e: CallEvent): string => `${e.provider}:${e.eventKey}`;
