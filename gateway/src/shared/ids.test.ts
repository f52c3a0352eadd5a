import { expect } from 'chai';
import { decodeTime, ulid } from 'ulid';
import { newId, timeOfId } from './ids.js';

describe('newId', () => {
  it('is a ULID the reference implementation reads back with the current time', () => {
    const before = Date.now();
    const id = newId();
    expect(id).to.match(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id)).to.be.within(before, Date.now());
    expect(decodeTime(ulid(1_700_000_000_000))).to.equal(1_700_000_000_000);
  });

  it('sorts in creation order and never repeats, even many to a millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(new Set(ids).size).to.equal(ids.length);
    expect([...ids].sort()).to.deep.equal(ids);
  });

  it('reads the time of an id as the reference does, NaN where it throws', () => {
    const id = newId();
    for (const x of [id, id.toLowerCase(), ulid(0), ulid(281_474_976_710_655), `${id}tail`])
      expect(timeOfId(x), x).to.equal(decodeTime(x.slice(0, 26)));
    expect(timeOfId(`n_${id}`, 2)).to.equal(decodeTime(id));
    for (const bad of ['', id.slice(0, 25), `U${id.slice(1)}`, `8${id.slice(1)}`, `n_${id.slice(0, 25)}`]) {
      expect(() => decodeTime(bad.replace(/^n_/, '').slice(0, 26)), bad).to.throw();
      expect(timeOfId(bad, bad.startsWith('n_') ? 2 : 0), bad).to.be.NaN;
    }
  });
});
