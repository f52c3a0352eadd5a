import type { Logger } from '../logging/logger.js';

export interface Job {
  /** Stable name, used in logs and metrics. */
  readonly name: string;
  readonly intervalMs: number;
  /** Run once right after start as well. */
  readonly runAtStart?: boolean;
  /** `stopping` is aborted when the gateway stops: a run that loops over a backlog ends at its next step. */
  run(stopping: AbortSignal): Promise<void>;
}

/**
 * The one place that runs periodic work. A job never overlaps itself; a failing run is logged and retried at the
 * next tick. Jobs that must run on one replica only take a leader lock inside `run`.
 */
export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly jobs: readonly Job[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const job of this.jobs) {
      const timer = setInterval(() => this.tick(job), job.intervalMs);
      timer.unref();
      this.timers.push(timer);
      if (job.runAtStart) this.tick(job);
    }
  }

  /** Runs a job now (tests, admin triggers); resolves when it is done. */
  async runNow(name: string): Promise<void> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`No job named ${name}`);
    await (this.running.get(name) ?? this.tick(job));
  }

  private tick(job: Job): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const current = this.running.get(job.name);
    if (current) return current;
    const p = job
      .run(this.stopping.signal)
      .catch((err: unknown) => this.logger.error({ err, job: job.name }, 'job failed'))
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, p);
    return p;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.running.values());
  }
}
