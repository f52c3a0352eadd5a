/**
 * Voice answers first: the voice webhook enters the gate as its request arrives and leaves once its TwiML is sent;
 * call writes wait until the gate is quiet (no answer in progress and none started for `QUIET_MS`), never longer
 * than their `maxWaitMs`. On one event loop, a burst of calls would otherwise have its answers interleaved with the
 * database work of the calls answered just before; a quiet period (rather than "none in progress this instant")
 * keeps the writes out of the gaps between the requests of one burst.
 */
export const QUIET_MS = 3;

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
