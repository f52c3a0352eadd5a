import { expect } from 'chai';
import { UnsafeUrlError, isPrivateAddress, safeFetch } from './safe-fetch.js';

describe('safe fetch', () => {
  it('tells private and reserved addresses from public ones', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ])
      expect(isPrivateAddress(a), a).to.equal(true);
    for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).to.equal(false);
  });

  it('refuses loopback, metadata and non-http addresses before connecting', async () => {
    for (const url of [
      'http://127.0.0.1:1/',
      'http://[::1]:1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://localhost:1/',
      'file:///etc/passwd',
      'http://user:pw@8.8.8.8/',
    ]) {
      const err = await safeFetch(url, { allowPrivate: false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, url).to.be.instanceOf(UnsafeUrlError);
    }
  });
});
