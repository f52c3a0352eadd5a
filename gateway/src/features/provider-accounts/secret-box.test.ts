import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
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
