import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { OutboundRefusedError, createOutboundGuard, refusalOf } from './outbound-guard.js';

describe('outbound guard', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      if (req.url === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url === '/to-self') return void res.writeHead(307, { location: `http://127.0.0.1:${port}/ok` }).end();
      if (req.url === '/to-other-origin') return void res.writeHead(302, { location: `http://localhost:${port}/ok` }).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const refused = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (err) {
      const r = refusalOf(err);
      expect(r, String(err)).to.be.instanceOf(OutboundRefusedError);
      return r!.message;
    }
    throw new Error('the request was not refused');
  };

  it('refuses loopback, private, link-local, metadata and reserved addresses, also IPv4 written as IPv6', () => {
    const guard = createOutboundGuard({ allowedNetworks: [] });
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:127.0.0.1',
      '224.0.0.1',
    ])
      expect(() => guard.checkAddress(a), a).to.throw(OutboundRefusedError);
    for (const a of ['8.8.8.8', '2606:4700:4700::1111', '93.184.216.34']) expect(() => guard.checkAddress(a), a).not.to.throw();
    expect(() => guard.checkUrl(new URL('file:///etc/passwd'))).to.throw(OutboundRefusedError);
    expect(() => guard.checkUrl(new URL('http://[::1]:8080/'))).to.throw(OutboundRefusedError);
  });

  it('checks the address a host name resolves to when connecting, and IP literals before', async () => {
    const guard = createOutboundGuard({ allowedNetworks: [] });
    expect(await refused(guard.fetch(`http://127.0.0.1:${port}/ok`))).to.match(/127\.0\.0\.1/);
    expect(await refused(guard.fetch(`http://localhost:${port}/ok`))).to.match(/Refusing to connect/);
    expect(seen).to.deep.equal([]);
    let threw = false;
    await guard.checkResolved(new URL(`http://localhost:${port}/`)).catch(() => (threw = true));
    expect(threw).to.equal(true);
  });

  it('lets an operator allow a network, and checks every redirect hop again', async () => {
    const guard = createOutboundGuard({ allowedNetworks: ['127.0.0.0/8', '::1/128'] });
    const ok = await guard.fetch(`http://127.0.0.1:${port}/ok`);
    expect(await ok.text()).to.equal('ok');
    expect(await refused(guard.fetch(`http://127.0.0.1:${port}/to-metadata`))).to.match(/169\.254\.169\.254/);
    const self = await guard.fetch(`http://127.0.0.1:${port}/to-self`, { headers: { authorization: 'Basic x' } });
    expect(self.status).to.equal(200);
    seen.length = 0;
    await guard.fetch(`http://127.0.0.1:${port}/to-other-origin`, { headers: { authorization: 'Basic x' } });
    expect(seen, 'credentials are not carried to another origin').to.deep.equal(['GET /to-other-origin Basic x', 'GET /ok -']);
    const manual = await guard.fetch(`http://127.0.0.1:${port}/to-metadata`, { redirect: 'manual' });
    expect(manual.status).to.equal(302);
  });

  it('refuses a malformed allow-list entry', () => {
    expect(() => createOutboundGuard({ allowedNetworks: ['10.0.0.0/33'] })).to.throw(/prefix/);
    expect(() => createOutboundGuard({ allowedNetworks: ['intranet'] })).to.throw(/not an IP/);
  });
});
