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

  describe('with associated data', () => {
    const box = new SecretBox(randomBytes(32));

    it('round-trips and never stores the plain text', () => {
      const sealed = box.seal('auth-token-123', 'twilio:AC1');
      expect(sealed).not.to.contain('auth-token-123');
      expect(box.open(sealed, 'twilio:AC1')).to.equal('auth-token-123');
      expect(box.seal('auth-token-123', 'twilio:AC1')).not.to.equal(sealed);
    });

    it('refuses a tampered ciphertext, another row, or another key', () => {
      const sealed = box.seal('secret', 'twilio:AC1');
      const bytes = Buffer.from(sealed, 'base64');
      bytes[bytes.length - 1]! ^= 1;
      expect(() => box.open(bytes.toString('base64'), 'twilio:AC1')).to.throw();
      expect(() => box.open(sealed, 'twilio:AC2')).to.throw();
      expect(() => new SecretBox(randomBytes(32)).open(sealed, 'twilio:AC1')).to.throw();
    });
  });
});
