import { expect } from 'chai';
import { erlangB, erlangBServers } from './erlang-b.js';

describe('Erlang-B', () => {
  it('matches the reference table: N(1 %) for the simulated offered loads', () => {
    // dni.md §4, "Erlang-B N(1 %)" column.
    const table: [number, number][] = [
      [5.5, 12],
      [8, 15],
      [18, 28],
      [27.5, 39],
      [40, 53],
      [90, 107],
      [110, 128],
      [160, 180],
      [360, 385],
    ];
    for (const [a, n] of table) expect(erlangBServers(a, 0.01), `A = ${a}`).to.equal(n);
  });

  it('matches the rules of thumb checked in the reference', () => {
    expect(erlangB(10, 10)).to.be.closeTo(0.215, 0.001); // N = A at A = 10: 21.5 %
    expect(erlangB(20, 15)).to.be.closeTo(0.046, 0.001); // CallScaler 15 → 20: 4.6 %
    expect(erlangB(4, 1)).to.be.closeTo(0.015, 0.001); // "start with 4" at A ≈ 1: 1.5 %
  });

  it('has the edge values of the recurrence', () => {
    expect(erlangB(0, 3)).to.equal(1);
    expect(erlangB(5, 0)).to.equal(0);
    expect(erlangBServers(0, 0.01)).to.equal(0);
    expect(() => erlangBServers(5, 0)).to.throw(RangeError);
  });
});
