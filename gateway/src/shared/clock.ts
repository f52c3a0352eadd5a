/** Time as a dependency, so tests can move it instead of sleeping. */
export interface Clock {
  now(): Date;
  nowMs(): number;
}

export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: () => Date.now(),
};

/** A clock tests drive by hand. */
export class ManualClock implements Clock {
  constructor(private ms = Date.parse('2026-01-15T12:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
