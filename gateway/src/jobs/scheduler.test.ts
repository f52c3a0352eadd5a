import { expect } from 'chai';
import { createLogger } from '../logging/logger.js';
import { Scheduler } from './scheduler.js';

describe('Scheduler', () => {
  it('never overlaps a job with itself and survives a failing run', async () => {
    let running = 0;
    let maxConcurrent = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const s = new Scheduler(
      [
        {
          name: 'slow',
          intervalMs: 60_000,
          run: async () => {
            runs++;
            running++;
            maxConcurrent = Math.max(maxConcurrent, running);
            await gate;
            running--;
            if (runs === 1) throw new Error('first run fails');
          },
        },
      ],
      createLogger({ level: 'silent' }),
    );
    const a = s.runNow('slow');
    const b = s.runNow('slow');
    release();
    await Promise.all([a, b]);
    expect(runs).to.equal(1);
    await s.runNow('slow');
    expect(runs).to.equal(2);
    expect(maxConcurrent).to.equal(1);
    await s.stop();
  });
});

describe('Scheduler stop', () => {
  it('tells a running job that the gateway stops, and waits for it to end', async () => {
    let steps = 0;
    let seenAbort = false;
    const s = new Scheduler(
      [
        {
          name: 'backlog',
          intervalMs: 60_000,
          run: async (stopping) => {
            // A backlog of 1,000 steps, 5 ms each: without the signal the stop would wait 5 s for all of it.
            while (!stopping.aborted && steps < 1_000) {
              steps++;
              await new Promise((r) => setTimeout(r, 5));
            }
            seenAbort = stopping.aborted;
          },
        },
      ],
      createLogger({ level: 'silent' }),
    );
    const run = s.runNow('backlog');
    await new Promise((r) => setTimeout(r, 30));
    await s.stop();
    await run;
    expect(seenAbort).to.equal(true);
    expect(steps).to.be.lessThan(100);
  });
});
