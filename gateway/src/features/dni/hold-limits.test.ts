import { expect } from 'chai';
import { DEFAULT_POOL_SETTINGS } from '../number-pools/pool-store-type.js';
import type { Pool } from '../number-pools/pool-store-type.js';
import { HoldLimits } from './hold-limits.js';

const pool = { id: 'pool_1', settings: DEFAULT_POOL_SETTINGS } as Pool;
const caps = { perVisitor: 1, perAddress: 0 };

describe('HoldLimits (in process): memory', () => {
  it('forgets holds that ended without a release as new visitors come', async () => {
    const holds = new HoldLimits();
    // 1,000 visitors whose leases ran out unreleased (never seen again), then 1,000 new ones after that.
    for (let i = 0; i < 1_000; i++) await holds.reserve(pool, `s${i}`, `v${i}`, undefined, caps, 1_000 + i, i);
    expect(holds.size).to.equal(1_000);
    for (let i = 0; i < 1_000; i++) await holds.reserve(pool, `n${i}`, `w${i}`, undefined, caps, 10_000_000, 5_000 + i);
    expect(holds.size).to.equal(1_000);
  });

  it('keeps a hold a heartbeat extended while sweeping the ended ones behind it', async () => {
    const holds = new HoldLimits();
    await holds.reserve(pool, 's0', 'v0', undefined, caps, 1_000, 0);
    for (let i = 1; i < 100; i++) await holds.reserve(pool, `s${i}`, `v${i}`, undefined, caps, 1_000 + i, i);
    await holds.extended(pool.id, 's0', 50_000, 500);
    for (let i = 0; i < 100; i++) await holds.reserve(pool, `n${i}`, `w${i}`, undefined, caps, 60_000, 5_000 + i);
    // The extended hold still counts against its visitor; the 99 ended ones are gone.
    expect(await holds.reserve(pool, 'other', 'v0', undefined, caps, 60_000, 6_000)).to.equal('visitor');
    expect(holds.size).to.equal(101);
  });
});
