/**
 * Wakes the outbox worker after an enqueue. Features that enqueue rows need it when they are built, before the
 * worker exists (the worker is built from their handlers), so the worker is bound to it afterwards.
 */
export class OutboxWake {
  private worker: { notify(): void } | null = null;

  readonly wake = (): void => this.worker?.notify();

  bind(worker: { notify(): void }): void {
    this.worker = worker;
  }
}
