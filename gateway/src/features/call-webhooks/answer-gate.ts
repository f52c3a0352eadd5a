/**
 * Voice answers first: the voice webhook holds the gate while it builds its TwiML, and call writes wait for it to be
 * free before they start (never longer than `maxWaitMs`). On one event loop, a burst of calls would otherwise have
 * its answers interleaved with the database work of the calls answered just before.
 */
export class AnswerGate {
  private answering = 0;
  private waiters: (() => void)[] = [];

  enter(): void {
    this.answering++;
  }

  leave(): void {
    this.answering = Math.max(0, this.answering - 1);
    if (this.answering === 0 && this.waiters.length) {
      const ready = this.waiters;
      this.waiters = [];
      for (const w of ready) w();
    }
  }

  /** Resolves once no answer is being built, or after `maxWaitMs` at the latest. */
  idle(maxWaitMs: number): Promise<void> {
    if (this.answering === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, maxWaitMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }
}
