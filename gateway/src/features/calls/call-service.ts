import { BadDataError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import type { Attribution } from '../attribution/attribution-types.js';
import { CallEventApplier, runCallHooks } from './call-event-applier.js';
import type { CallBatchSink, CallEvent } from './call-events.js';
import type { SessionJourney } from './call-read-model.js';
import type { CallServiceDeps } from './call-service-deps.js';
import type { Call, CallListFilter, CallView } from './call-types.js';
import type { CallOrigin } from './call-origin.js';
import type { RecordingRef } from './recording-ref-store.js';

export type { CallUpdateKind } from './call-event-applier.js';
export type { CallServiceDeps } from './call-service-deps.js';

export interface CallCard {
  readonly call: Call;
  readonly origin: CallOrigin;
  readonly journey: SessionJourney | null;
  readonly recordings: readonly RecordingRef[];
  readonly events: readonly { type: string; eventKey: string; occurredAt: Date }[];
}

/** Calls: provider events applied through the applier, the call log and card, re-attribution by a manager. */
export class CallService implements CallBatchSink {
  private readonly applier: CallEventApplier;

  constructor(private readonly deps: CallServiceDeps) {
    this.applier = new CallEventApplier(deps);
  }

  apply(event: CallEvent): Promise<void> {
    return this.applier.apply(event);
  }

  applyMany(events: readonly CallEvent[]): Promise<(unknown | null)[]> {
    return this.applier.applyMany(events);
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
      await runCallHooks(this.deps.hooks, trx, next, 'attribution.changed');
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
