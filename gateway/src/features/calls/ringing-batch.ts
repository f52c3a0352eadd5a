import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import { BatchEvidence } from '../attribution/attribution-batch-reads.js';
import type { EarlierCall, EvidenceQuery } from '../attribution/attribution-batch-reads.js';
import { matchCall } from '../attribution/attribution-matcher.js';
import type { NumberContext } from '../attribution/attribution-read-model.js';
import type { Attribution, LiveHolder } from '../attribution/attribution-types.js';
import type { CallUpdateKind } from './call-event-applier.js';
import type { CallEvent, CallRingingEvent } from './call-events.js';
import type { CallServiceDeps } from './call-service-deps.js';
import type { Call, NewCall } from './call-types.js';
import { newCallRow, unmatchedAttribution } from './new-call.js';

/** A call as an event left it, and what listeners hear of it. */
export interface Applied {
  readonly call: Call;
  readonly kinds: CallUpdateKind[];
}

/** One new call of a run: its ringing event, its number's context and the live lease holder read beforehand. */
export interface RingingItem {
  readonly e: CallRingingEvent;
  readonly found: NumberContext | null;
  readonly live: LiveHolder | null;
}

const DAY_MS = 86_400_000;

/** The calls a run may hold: one provider, each call and each event key once (a repeat starts the next run). */
export function fitsRun(run: readonly RingingItem[], e: CallRingingEvent): boolean {
  if (!run.length) return true;
  return run[0]!.e.provider === e.provider && !run.some((r) => r.e.providerCallId === e.providerCallId || r.e.eventKey === e.eventKey);
}

/**
 * Writes a run of consecutive new calls (ringing events) of a batch with a fixed number of statements for the run
 * plus the change hooks per call, instead of some twenty statements per call: the creation locks in one statement,
 * the blocked callers, first-time callers and attribution evidence as set queries, the ledger rows and the calls as
 * multi-row inserts, the parked events claimed at once. What one call's reads would see of the calls before it in
 * the run (first-time caller, open taps, caller history) is added in memory, in run order, so each call is stored
 * as the one-by-one path (`CallEventApplier.apply`) stores it; the batch e2e test compares the two row by row.
 */
export class RingingBatchWriter {
  constructor(
    private readonly deps: CallServiceDeps,
    private readonly applyToCall: (trx: DbOrTrx, call: Call, e: CallEvent) => Promise<Applied>,
    private readonly runHooks: (trx: DbOrTrx, call: Call) => Promise<void>,
  ) {}

  /**
   * Returns the changed calls and the keys now in the ledger (events for a number no account owns are not). The
   * caller holds the calls' creation locks (`lockCalls`).
   */
  async write(trx: DbOrTrx, run: readonly RingingItem[]): Promise<{ applied: Applied[]; keys: string[] }> {
    const { calls, events, blocked, clock, logger } = this.deps;
    const items = run.flatMap(({ e, found, live }) => {
      // When the adapter knows the tenant, a number of another tenant is treated as unknown (never cross-tenant).
      const ctx = found && (!e.accountId || found.accountId === e.accountId) ? found : null;
      const accountId = ctx?.accountId ?? e.accountId;
      if (!accountId) {
        logger.warn({ provider: e.provider, providerCallId: e.providerCallId }, 'call to a number no account owns; not recorded');
        return [];
      }
      const siteId = ctx?.siteId ?? e.siteId ?? null;
      return [{ e, ctx, live, accountId, siteId, known: siteId !== null && e.caller !== 'anonymous' }];
    });
    if (!items.length) return { applied: [], keys: [] };
    const provider = items[0]!.e.provider;
    const existing = await calls.existingProviderIds(
      trx,
      provider,
      items.map((it) => it.e.providerCallId),
    );
    const knownIx = items.flatMap((it, i) => (it.known ? [i] : []));
    const asked = knownIx.map((i) => ({ accountId: items[i]!.accountId, siteId: items[i]!.siteId!, caller: items[i]!.e.caller }));
    const isBlocked = await blocked.blockedMany(
      trx,
      asked.map((a) => ({ accountId: a.accountId, siteId: a.siteId, e164: a.caller })),
    );
    const before = await calls.calledBeforeMany(
      trx,
      asked.map((a, j) => ({ ...a, before: items[knownIx[j]!]!.e.occurredAt })),
    );
    const perItem = new Map(knownIx.map((i, j) => [i, { blocked: isBlocked[j]!, ...before[j]! }] as const));
    const matchIx = items.flatMap((it, i) => (it.ctx && !perItem.get(i)?.blocked ? [i] : []));
    const queries: EvidenceQuery[] = matchIx.map((i) => {
      const it = items[i]!;
      return { ctx: it.ctx!, e164: it.e.trackingNumber, caller: it.e.caller, at: it.e.occurredAt, live: it.live };
    });
    const evidence = await BatchEvidence.load(trx, queries);
    const queryOf = new Map(matchIx.map((i, j) => [i, j] as const));

    const earlier: EarlierCall[] = [];
    const rows: NewCall[] = [];
    for (const [i, it] of items.entries()) {
      const { e, ctx, accountId, siteId } = it;
      const known = perItem.get(i);
      const isBlockedCaller = known?.blocked ?? false;
      let firstTime: boolean | null = null;
      if (known) {
        const since = known.windowDays === null ? -Infinity : e.occurredAt.getTime() - known.windowDays * DAY_MS;
        const calledInBatch = earlier.some(
          (k) =>
            k.accountId === accountId && k.siteId === siteId && k.caller === e.caller && k.startedAt < e.occurredAt && k.startedAt.getTime() >= since,
        );
        firstTime = !(known.calledBefore || calledInBatch);
      }
      const q = queryOf.get(i);
      const attr: Attribution | null = isBlockedCaller
        ? null
        : ctx && q !== undefined
          ? { ...matchCall(await evidence.evidence(q, earlier)), assignedAt: clock.now().toISOString() }
          : unmatchedAttribution(clock.now());
      const call = newCallRow(newId(), e, { accountId, siteId, ctx }, { attr, firstTime, blocked: isBlockedCaller });
      rows.push(call);
      if (!existing.has(e.providerCallId))
        earlier.push({ accountId, siteId, caller: e.caller, startedAt: e.occurredAt, sessionId: call.sessionId, visitorId: call.visitorId });
    }

    const recorded = await events.recordMany(
      trx,
      items.map((it) => ({ id: newId(), accountId: it.accountId, callId: null, event: it.e })),
    );
    const toCreate = rows.filter((_, i) => recorded.has(`${items[i]!.e.provider}:${items[i]!.e.eventKey}`));
    // Under the creation locks, exactly the recorded calls that did not exist are created: the hooks give them their
    // leads before the insert, which stores each lead id with its call's row.
    const starting = toCreate.filter((c) => !existing.has(c.providerCallId) && !c.blocked);
    const leadOf = new Map<string, string>();
    if (starting.length)
      for (const hook of this.deps.hooks)
        if (hook.beforeCallsCreated) for (const [id, leadId] of await hook.beforeCallsCreated(trx, starting)) leadOf.set(id, leadId);
    const created = await calls.createManyIfAbsent(
      trx,
      toCreate.map((c) => (leadOf.has(c.id) ? { ...c, leadId: leadOf.get(c.id)! } : c)),
    );
    const createdIds = new Set(created.map((c) => c.id));
    // Cannot happen while the locks hold; if it did, a lead was written for a call that is not: the batch is rolled
    // back and applied one by one.
    if (starting.some((c) => !createdIds.has(c.id))) throw new Error('a new call of the batch was not created');
    const byProviderId = new Map(created.map((c) => [c.providerCallId, c] as const));
    // The ringing event itself plus anything that arrived before it (out of order) now belongs to its call.
    const pending = await events.claimPendingMany(
      trx,
      provider,
      created.map((c) => ({ providerCallId: c.providerCallId, callId: c.id, accountId: c.accountId })),
    );
    const applied: Applied[] = [];
    for (const it of items) {
      const made = byProviderId.get(it.e.providerCallId);
      if (!made) continue;
      await this.runHooks(trx, made);
      let call = made;
      const kinds: Applied['kinds'] = ['ringing', 'attributed'];
      for (const p of pending.get(made.providerCallId) ?? []) {
        if (p.type === 'call.ringing') continue;
        const a = await this.applyToCall(trx, call, p);
        call = a.call;
        kinds.push(...a.kinds);
      }
      applied.push({ call, kinds });
    }
    return { applied, keys: items.map((it) => `${it.e.provider}:${it.e.eventKey}`) };
  }
}

/**
 * Takes the creation locks (as `lockCallId` does for one call) of every call a batch touches, in one statement and
 * in one global order (sorted), before anything else: two batches holding events of the same calls (a webhook
 * delivered twice, callbacks racing their call) then wait for each other instead of deadlocking, which would cost
 * both their batch. A lock already held by the transaction is taken again at no cost.
 */
export async function lockCalls(trx: DbOrTrx, events: readonly CallEvent[]): Promise<void> {
  const keys = [...new Set(events.map((e) => `${e.provider}:${e.providerCallId}`))].sort();
  if (!keys.length) return;
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(k)) FROM (SELECT k FROM jsonb_array_elements_text(?::jsonb) AS k ORDER BY k) AS s', [
    JSON.stringify(keys),
  ]);
}
