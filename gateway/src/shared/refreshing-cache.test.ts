import { expect } from 'chai';
import { RefreshingCache } from './refreshing-cache.js';

describe('RefreshingCache', () => {
  const setup = () => {
    let now = 0;
    let loads = 0;
    const gates: Array<(v: string) => void> = [];
    const cache = new RefreshingCache<string>({ ttlMs: 1_000, maxEntries: 10, now: () => now });
    const load = () => {
      loads += 1;
      return new Promise<string>((r) => gates.push(r));
    };
    return { cache, load, gates, advance: (ms: number) => (now += ms), loads: () => loads };
  };

  it('answers from the old copy past the TTL while one reload runs, then from the new one', async () => {
    const { cache, load, gates, advance, loads } = setup();
    const first = cache.get('k', load);
    gates[0]!('v1');
    expect(await first).to.equal('v1');
    advance(1_500);
    expect(await cache.get('k', load), 'stale copy, not waiting').to.equal('v1');
    expect(await cache.get('k', load)).to.equal('v1');
    expect(loads(), 'one reload for both').to.equal(2);
    gates[1]!('v2');
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('k', load)).to.equal('v2');
    expect(loads()).to.equal(2);
  });

  it('never brings an old copy back after clear, and forgets a failed first load', async () => {
    const { cache, load, gates, advance, loads } = setup();
    const first = cache.get('k', load);
    gates[0]!('v1');
    await first;
    advance(1_500);
    await cache.get('k', load);
    cache.clear();
    gates[1]!('old');
    await new Promise((r) => setImmediate(r));
    const next = cache.get('k', load);
    expect(loads(), 'cleared: loads again').to.equal(3);
    gates[2]!('v3');
    expect(await next).to.equal('v3');

    const failing = new RefreshingCache<string>({ ttlMs: 1_000, maxEntries: 10, now: () => 0 });
    let n = 0;
    await failing.get('x', () => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(await failing.get('x', async () => `up${++n}`)).to.equal('up1');
  });
});
