import type { Db, DbOrTrx } from '../../adapters/db/knex.js';
import { BadDataError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { EventBus } from '../../shared/event-bus.js';
import { newId } from '../../shared/ids.js';
import { matchCall } from '../attribution/attribution-matcher.js';
import type { AttributionReadModel, NumberContext } from '../attribution/attribution-read-model.js';
import type { Attribution } from '../attribution/attribution-types.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { PgBlockedCallerStore } from './blocked-caller-store.js';
import type { CallChange, CallChangeHook } from './call-change-hook.js';
import type { PgCallEventStore } from './call-event-store.js';
import type { CallEvent, CallEventSink, CallRingingEvent } from './call-events.js';
import type { CallReadModel, SessionJourney } from './call-read-model.js';
import type { PgCallStore } from './call-store.js';
import type { Call, CallListFilter, CallPatch, CallView } from './call-types.js';
import { callDurations, secondsBetween } from './call-durations.js';
import type { CallOrigin } from './call-origin.js';
import type { PgRecordingRefStore, RecordingRef } from './recording-ref-store.js';

export interface CallCard {
  readonly call: Call;
  readonly origin: CallOrigin;
  readonly journey: SessionJourney | null;
  readonly recordings: readonly RecordingRef[];
  readonly events: readonly { type: string; eventKey: string; occurredAt: Date }[];
}

/** What subscribers (live feed, reports) hear after a change commits. */
export type CallUpdateKind = 'ringing' | 'answered' | 'ended' | 'attributed' | 'recording';

declare module '../../shared/event-bus.js' {
  interface DomainEvents {
    'call.updated': { accountId: string; callId: string; kind: CallUpdateKind; call: Call; origin: CallOrigin };
    'call.attributed': { accountId: string; callId: string; call: Call };
  }
}

export interface CallServiceDeps {
  readonly db: Db;
  readonly calls: PgCallStore;
  readonly events: PgCallEventStore;
  readonly recordings: PgRecordingRefStore;
  readonly blocked: PgBlockedCallerStore;
  readonly audit: AuditLog;
  readonly readModel: CallReadModel;
  readonly attribution: AttributionReadModel;
  readonly hooks: readonly CallChangeHook[];
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface Applied {
  readonly call: Call;
  readonly kinds: CallUpdateKind[];
}

/** Event keys remembered per process as already in the ledger (the oldest forgotten first when full). */
const MAX_REMEMBERED_EVENTS = 50_000;

/**
 * Applies the normalized call events idempotently and in any order, for both telephony adapters:
 * - a replay (same provider + event key) changes nothing: the raw event ledger refuses it first;
 * - an event for a call not yet created is parked and applied when the call appears;
 * - states only move forward (ringing → answered → ended); ended is final, except that a report of the talk time
 *   (the Dial's outcome) corrects an end derived from the parent leg.
 * Every change runs the CallChangeHooks inside its transaction.
 */
export class CallService implements CallEventSink {
  /**
   * Keys of events this process saw committed to the ledger (applied, parked, or found there already). A replay of
   * one (Twilio retrying, or the Dial outcome repeating the leg's answer) changes nothing, so it skips the database.
   */
  private readonly inLedger = new Set<string>();

  constructor(private readonly deps: CallServiceDeps) {}

  async apply(event: CallEvent): Promise<void> {
    const key = `${event.provider}:${event.eventKey}`;
    if (this.inLedger.has(key)) return;
    const applied = event.type === 'call.ringing' ? await this.applyRinging(event, key) : await this.applyLater(event, key);
    if (!applied?.kinds.length) return;
    // Read back once committed: the lead assigned in the transaction and the origin in words are what listeners show.
    const [view] = await this.views(applied.call.accountId, [
      (await this.deps.calls.get(this.deps.db, applied.call.accountId, applied.call.id)) ?? applied.call,
    ]);
    for (const kind of applied.kinds) {
      await this.deps.bus.emit('call.updated', {
        accountId: applied.call.accountId,
        callId: applied.call.id,
        kind,
        call: view!.call,
        origin: view!.origin,
      });
      if (kind === 'attributed')
        await this.deps.bus.emit('call.attributed', { accountId: applied.call.accountId, callId: applied.call.id, call: applied.call });
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

  private async applyRinging(e: CallRingingEvent, key: string): Promise<Applied | null> {
    const { db, attribution } = this.deps;
    const found = await attribution.numberContext(db, e.trackingNumber);
    // When the adapter knows the tenant, a number of another tenant is treated as unknown (never cross-tenant).
    const ctx = found && (!e.accountId || found.accountId === e.accountId) ? found : null;
    const accountId = ctx?.accountId ?? e.accountId;
    if (!accountId) {
      this.deps.logger.warn({ provider: e.provider, providerCallId: e.providerCallId }, 'call to a number no account owns; not recorded');
      return null;
    }
    const siteId = ctx?.siteId ?? e.siteId ?? null;
    // Reads happen before the transaction (one connection on PGlite; short locks on PostgreSQL).
    const blocked = siteId && e.caller !== 'anonymous' ? await this.deps.blocked.isBlocked(db, accountId, siteId, e.caller) : false;
    const firstTime =
      siteId && e.caller !== 'anonymous' ? !(await this.deps.calls.hasCalledBefore(db, accountId, siteId, e.caller, e.occurredAt)) : null;
    const attr: Attribution | null = blocked
      ? null
      : ctx
        ? await this.match(ctx, e.trackingNumber, e.caller, e.occurredAt)
        : // Not one of our tracking numbers (routed by the site's fallback): nothing to match against.
          {
            method: 'channel',
            sessionId: null,
            visitorId: null,
            channelId: null,
            score: 0,
            candidates: [],
            assignedBy: 'auto',
            assignedAt: this.deps.clock.now().toISOString(),
          };

    const applied = await db.transaction(async (trx) => {
      await this.lockCallId(trx, e.provider, e.providerCallId);
      const callId = newId();
      if (!(await this.deps.events.record(trx, { id: newId(), accountId, callId: null, event: e }))) return null;
      const created = await this.deps.calls.createIfAbsent(trx, {
        id: callId,
        accountId,
        siteId,
        provider: e.provider,
        providerCallId: e.providerCallId,
        trackingNumberId: ctx?.trackingNumberId ?? null,
        trackingE164: e.trackingNumber,
        caller: e.caller,
        forwardTo: e.forwardTo ?? ctx?.forwardTo ?? null,
        startedAt: e.occurredAt,
        sessionId: attr?.sessionId ?? null,
        visitorId: attr?.visitorId ?? null,
        channelId: attr?.channelId ?? ctx?.channelId ?? null,
        attribution: attr,
        firstTimeCaller: firstTime,
        blocked,
      });
      if (!created) return null;
      const kinds: CallUpdateKind[] = ['ringing', 'attributed'];
      await this.runHooks(trx, created, 'call.started');
      let call = created;
      // The ringing event itself plus anything that arrived before it (out of order) now belongs to the call.
      const pending = await this.deps.events.claimPending(trx, e.provider, e.providerCallId, call.id, accountId);
      for (const p of pending) {
        if (p.type === 'call.ringing') continue;
        const r = await this.applyToCall(trx, call, p);
        call = r.call;
        kinds.push(...r.kinds);
      }
      return { call, kinds };
    });
    this.remember(key);
    return applied;
  }

  private async applyLater(e: Exclude<CallEvent, CallRingingEvent>, key: string): Promise<Applied | null> {
    const applied = await this.deps.db.transaction(async (trx): Promise<Applied | null> => {
      // An existing call's row lock serialises its events. Only an event that may have to be parked takes the
      // creation lock (and looks again once it holds it), so none is parked after its call claimed the parked ones.
      let call = await this.deps.calls.getByProviderIdForUpdate(trx, e.provider, e.providerCallId);
      if (!call) {
        await this.lockCallId(trx, e.provider, e.providerCallId);
        call = await this.deps.calls.getByProviderIdForUpdate(trx, e.provider, e.providerCallId);
      }
      const fresh = await this.deps.events.record(trx, { id: newId(), accountId: call?.accountId ?? null, callId: call?.id ?? null, event: e });
      if (!fresh || !call) return null;
      return this.applyToCall(trx, call, e);
    });
    this.remember(key);
    return applied;
  }

  private async applyToCall(trx: DbOrTrx, call: Call, e: CallEvent): Promise<Applied> {
    const { calls } = this.deps;
    switch (e.type) {
      case 'call.ringing':
        return { call, kinds: [] };
      case 'call.answered': {
        if (call.status === 'ringing') {
          const updated = await calls.update(trx, call.accountId, call.id, {
            status: 'answered',
            answeredAt: e.occurredAt,
            answeredBy: e.answeredBy,
          });
          await this.runHooks(trx, updated, 'call.answered');
          return { call: updated, kinds: ['answered'] };
        }
        if (call.status === 'ended' && !call.answeredAt && (call.outcome === 'completed' || call.outcome === null)) {
          // Arrived after the end: fill in when it was answered without moving the state back.
          const patch: CallPatch = { answeredAt: e.occurredAt, answeredBy: e.answeredBy };
          const timed = !call.talkReported && call.endedAt ? callDurations(call.startedAt, e.occurredAt, call.endedAt) : {};
          const updated = await calls.update(trx, call.accountId, call.id, { ...patch, ...timed });
          await this.runHooks(trx, updated, 'call.answered');
          return { call: updated, kinds: ['answered'] };
        }
        return { call, kinds: [] };
      }
      case 'call.ended': {
        const reported = e.talkSeconds !== undefined;
        if (call.status !== 'ended' || (reported && !call.talkReported)) {
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
          const updated = await calls.update(trx, call.accountId, call.id, patch);
          const changed = call.status !== 'ended' || call.outcome !== updated.outcome;
          if (changed) await this.runHooks(trx, updated, 'call.ended');
          return { call: updated, kinds: changed ? ['ended'] : [] };
        }
        return { call, kinds: [] };
      }
      case 'recording.available': {
        const s = e.source;
        const added =
          s.kind === 'twilio'
            ? await this.deps.recordings.addIfAbsent(trx, {
                id: newId(),
                accountId: call.accountId,
                callId: call.id,
                provider: 'twilio',
                providerRef: s.recordingSid,
                sourceUrl: s.url,
                status: s.status === 'completed' ? 'pending' : s.status,
                durationSeconds: s.durationSeconds,
                channels: s.channels,
              })
            : await this.deps.recordings.addIfAbsent(trx, {
                id: newId(),
                accountId: call.accountId,
                callId: call.id,
                provider: 'asterisk',
                providerRef: s.path,
                sourceUrl: null,
                status: 'pending',
                durationSeconds: null,
                channels: null,
              });
        return { call, kinds: added ? ['recording'] : [] };
      }
    }
  }

  private async runHooks(trx: DbOrTrx, call: Call, trigger: CallChange['trigger']): Promise<void> {
    // Blocked callers are logged but never become leads.
    if (call.blocked) return;
    const change: CallChange = { accountId: call.accountId, callId: call.id, siteId: call.siteId, trigger };
    for (const hook of this.deps.hooks) await hook.onCallChange(trx, change);
  }

  private async match(ctx: NumberContext, e164: string, caller: string, at: Date): Promise<Attribution> {
    const evidence = await this.deps.attribution.evidence(this.deps.db, ctx, e164, caller, at);
    return { ...matchCall(evidence), assignedAt: this.deps.clock.now().toISOString() };
  }

  /** Drops parked events older than `maxAgeMs` whose call never appeared; returns how many. */
  purgeOrphanEvents(maxAgeMs: number): Promise<number> {
    return this.deps.events.deleteOrphansBefore(this.deps.db, new Date(this.deps.clock.nowMs() - maxAgeMs));
  }

  // ---- API ----

  async list(actor: Principal, filter: CallListFilter): Promise<CallView[]> {
    return this.views(actor.accountId, await this.deps.calls.list(this.deps.db, actor.accountId, filter));
  }

  async view(actor: Principal, id: string): Promise<CallView> {
    const [v] = await this.views(actor.accountId, [await this.get(actor, id)]);
    return v!;
  }

  private views(accountId: string, calls: readonly Call[]): Promise<CallView[]> {
    return this.deps.readModel.views(this.deps.db, accountId, calls);
  }

  async get(actor: Principal, id: string): Promise<Call> {
    const call = await this.deps.calls.get(this.deps.db, actor.accountId, id);
    if (!call) throw new NotFoundError(`Call ${id} not found`);
    return call;
  }

  /** A manager names the session the call came from (or clears it to channel-only); the evidence is kept. */
  async reassign(actor: Principal, id: string, input: { sessionId: string | null; reason?: string }): Promise<CallView> {
    const { db } = this.deps;
    let session: { id: string; visitorId: string; channelId: string | null } | undefined;
    if (input.sessionId) {
      session = (await this.deps.attribution.session(db, actor.accountId, input.sessionId)) ?? undefined;
      if (!session)
        throw new BadDataError(`Session ${input.sessionId} not found`, [{ path: 'body/sessionId', message: 'No such session in this account' }]);
    }
    const updated = await db.transaction(async (trx) => {
      const call = await this.deps.calls.getForUpdate(trx, actor.accountId, id);
      if (!call) throw new NotFoundError(`Call ${id} not found`);
      const prev = call.attribution;
      const attribution: Attribution = {
        method: 'manual',
        sessionId: session?.id ?? null,
        visitorId: session?.visitorId ?? null,
        channelId: session?.channelId ?? prev?.channelId ?? call.channelId,
        score: session ? 1 : 0,
        candidates: prev?.candidates ?? [],
        assignedBy: actor.userId ?? actor.apiKeyId ?? 'unknown',
        assignedAt: this.deps.clock.now().toISOString(),
      };
      const next = await this.deps.calls.update(trx, actor.accountId, id, {
        attribution,
        sessionId: attribution.sessionId,
        visitorId: attribution.visitorId,
        channelId: attribution.channelId,
      });
      await this.deps.audit.record(trx, actor, {
        action: 'call.reassign',
        targetType: 'call',
        targetId: id,
        details: { from: prev?.sessionId ?? null, to: attribution.sessionId, reason: input.reason ?? null },
      });
      await this.runHooks(trx, next, 'attribution.changed');
      return next;
    });
    const [v] = await this.views(actor.accountId, [updated]);
    await this.deps.bus.emit('call.updated', {
      accountId: updated.accountId,
      callId: updated.id,
      kind: 'attributed',
      call: updated,
      origin: v!.origin,
    });
    await this.deps.bus.emit('call.attributed', { accountId: updated.accountId, callId: updated.id, call: updated });
    return v!;
  }

  async card(actor: Principal, id: string): Promise<CallCard> {
    const { db } = this.deps;
    const call = await this.get(actor, id);
    const journey = call.sessionId ? await this.deps.readModel.journey(db, actor.accountId, call.sessionId) : null;
    const recordings = await this.deps.recordings.listForCall(db, actor.accountId, call.id);
    const events = await this.deps.events.listForCall(db, actor.accountId, call.id);
    const [v] = await this.views(actor.accountId, [call]);
    return { call, origin: v!.origin, journey, recordings, events };
  }
}
