import { expect } from 'chai';
import { decodeTime, ulid } from 'ulid';
import { newId } from './ids.js';

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
});
