/**
 * A time limit for the lease engine's Redis calls without a timer per call. node-redis gives every command its own
 * `AbortSignal.timeout` (a timer, a WeakRef and, when it fires after the answer came, a DOMException): at thousands of
 * leases a second that was ~3 % of the server's busy time and ~10,000 live objects (bench:dni profile, heap
 * snapshot). Here the calls in flight sit in one insertion-ordered set and one unref'd interval fails those past the
 * limit, so a Redis that hangs (connected, not answering) still turns into an error the caller can fall back on.
 */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

interface InFlight {
  readonly at: number;
  readonly reject: (err: Error) => void;
}

export class CommandDeadline {
  private readonly inFlight = new Set<InFlight>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ms: number,
    private readonly now: () => number = Date.now,
  ) {}

  run<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: InFlight = { at: this.now(), reject };
      this.inFlight.add(entry);
      this.timer ??= setInterval(() => this.expire(), Math.max(10, Math.min(this.ms / 4, 500))).unref();
      call.then(
        (v) => {
          this.inFlight.delete(entry);
          resolve(v);
        },
        (err: unknown) => {
          this.inFlight.delete(entry);
          reject(err as Error);
        },
      );
    });
  }

  private expire(): void {
    const limit = this.now() - this.ms;
    // Oldest first: stop at the first call still within its time.
    for (const e of this.inFlight) {
      if (e.at > limit) break;
      this.inFlight.delete(e);
      e.reject(new RedisTimeoutError(this.ms));
    }
    if (this.inFlight.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
