/**
 * Voice answers first: the voice webhook enters the gate as its request arrives and leaves once its TwiML is sent;
 * call writes wait until the gate is quiet (no answer in progress and none started for `QUIET_MS`), never longer
 * than their `maxWaitMs`. On one event loop, a burst of calls would otherwise have its answers interleaved with the
 * database work of the calls answered just before; a quiet period (rather than "none in progress this instant")
 * keeps the writes out of the gaps between the requests of one burst.
 */
export const QUIET_MS = 3;

/**
 * The longest a batch of writes waits for a quiet gate, by how many events are waiting behind it. Every queued
 * event is journaled, so waiting risks nothing but memory: a small backlog (one burst) waits out the whole burst,
 * even one stretched to a few hundred ms by a loaded machine, instead of landing its database work amid the burst's
 * last answers after a fixed 50 ms; a backlog of several batches waits less, so under answers that never pause
 * (thousands of calls a second) the writer still takes its turn every few ms and keeps up.
 */
export function gateWaitMs(backlog: number): number {
  if (backlog <= 500) return 250;
  if (backlog <= 2_000) return 50;
  return 10;
}

export class AnswerGate {
  private answering = 0;
  private lastEnter = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  enter(): void {
    this.answering++;
    this.lastEnter = this.now();
  }

  leave(): void {
    this.answering = Math.max(0, this.answering - 1);
  }

  private quietFor(): number {
    return this.answering > 0 ? 0 : this.now() - this.lastEnter;
  }

  /** Resolves once the gate has been quiet for QUIET_MS, or after `maxWaitMs` at the latest. */
  async idle(maxWaitMs: number): Promise<void> {
    const until = this.now() + maxWaitMs;
    for (let quiet = this.quietFor(); quiet < QUIET_MS; quiet = this.quietFor()) {
      const left = until - this.now();
      if (left <= 0) return;
      await new Promise((r) => setTimeout(r, Math.min(left, QUIET_MS - quiet + 0.5)));
    }
  }
}
