import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const a = box.seal('{"apiKey":"k"}');
    expect(box.open(a)).to.equal('{"apiKey":"k"}');
    expect(box.seal('{"apiKey":"k"}')).to.not.equal(a);
    expect(a).to.not.contain('apiKey');
  });

  it('refuses tampered text and other keys', () => {
    const sealed = Buffer.from(box.seal('secret'), 'base64');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => box.open(sealed.toString('base64'))).to.throw();
    expect(() => new SecretBox(randomBytes(32)).open(box.seal('secret'))).to.throw();
  });
});
