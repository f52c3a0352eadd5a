import { expect } from 'chai';
import { CommandDeadline, RedisTimeoutError } from './command-deadline.js';

describe('CommandDeadline', () => {
  it('fails a call that never answers once it is past the limit, and passes answers and errors through', async () => {
    const deadline = new CommandDeadline(40);
    expect(await deadline.run(Promise.resolve('OK'))).to.equal('OK');
    const boom = new Error('NOSCRIPT');
    const err = await deadline.run(Promise.reject(boom)).catch((e: unknown) => e);
    expect(err).to.equal(boom);
    const started = Date.now();
    const hung = await deadline.run(new Promise(() => undefined)).catch((e: unknown) => e);
    expect(hung).to.be.instanceOf(RedisTimeoutError);
    expect(Date.now() - started).to.be.at.least(40);
  });

  it('fails only the calls past the limit, oldest first', async () => {
    let t = 0;
    const deadline = new CommandDeadline(100, () => t);
    const old = deadline.run(new Promise(() => undefined)).catch((e: unknown) => e);
    t = 60;
    let young: unknown = 'pending';
    void deadline.run(new Promise(() => undefined)).catch((e: unknown) => (young = e));
    t = 120;
    expect(await old).to.be.instanceOf(RedisTimeoutError);
    expect(young).to.equal('pending');
  });
});
