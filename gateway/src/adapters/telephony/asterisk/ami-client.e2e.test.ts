import { expect } from 'chai';
import { createLogger } from '../../../logging/logger.js';
import { LoopbackAmiServer } from '../../../../test/helpers/ami-server.js';
import { AmiActionError, AmiAuthError, AmiClient, AmiConnectionLostError, AmiTimeoutError } from './ami-client.js';
import type { AmiClientOptions } from './ami-client.js';
import { AmiInjectionError } from './ami-message.js';
import type { AmiMessage } from './ami-message.js';

const until = LoopbackAmiServer.until;

describe('AmiClient against a loopback AMI server', function () {
  this.timeout(20_000);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(
    serverOpts: Parameters<typeof LoopbackAmiServer.start>[0] = {},
    clientOpts: Partial<AmiClientOptions> = {},
  ): Promise<{ server: LoopbackAmiServer; client: AmiClient; events: AmiMessage[] }> {
    const server = await LoopbackAmiServer.start({ username: 'gateway', secret: 'right', ...serverOpts });
    const client = new AmiClient({
      host: '127.0.0.1',
      port: server.port,
      username: 'gateway',
      secret: 'right',
      logger: createLogger({ level: 'silent' }),
      backoff: { initialMs: 20, maxMs: 100 },
      actionTimeoutMs: 2_000,
      ...clientOpts,
    });
    const events: AmiMessage[] = [];
    client.on('event', (e) => events.push(e));
    cleanup.push(async () => {
      await client.stop();
      await server.close();
    });
    return { server, client, events };
  }

  it('logs in, switches events on with the Events action (not the ignored Event header), and answers Ping', async () => {
    const { server, client } = await setup();
    client.start();
    await client.whenReady(5_000);
    const login = server.actions.find((a) => a['action'] === 'login')!;
    expect(login).to.include({ username: 'gateway', secret: 'right', events: 'off' });
    expect(login['actionid']).to.be.a('string');
    const events = server.actions.find((a) => a['action']?.toLowerCase() === 'events')!;
    expect(events['eventmask']).to.equal('call,dialplan,cdr,user,system');
    const pong = await client.action({ action: 'Ping' });
    expect(pong).to.include({ response: 'Success', ping: 'Pong' });
  });

  it('logs in with an MD5 challenge, never sending the secret', async () => {
    const { server, client } = await setup({}, { authType: 'md5' });
    client.start();
    await client.whenReady(5_000);
    expect(server.actions[0]!['action']).to.equal('Challenge');
    const login = server.actions.find((a) => a['authtype'] === 'MD5' && a['key'])!;
    expect(login['secret']).to.equal(undefined);
    expect(server.logins).to.equal(1);
  });

  it('a wrong secret is a clear error, not silence, and is retried with backoff', async () => {
    const { server, client } = await setup({ secret: 'other' });
    const failures: AmiAuthError[] = [];
    client.on('loginFailed', (e) => failures.push(e));
    client.start();
    await until(() => failures.length >= 2, 5_000, 'two failed logins');
    expect(failures[0]).to.be.instanceOf(AmiAuthError);
    expect(failures[0]!.message).to.equal('AMI login failed: Authentication failed');
    expect(client.ready).to.equal(false);
    expect(server.failedLogins).to.be.greaterThanOrEqual(2);
  });

  it('MD5 with a wrong secret fails the same way', async () => {
    const { client } = await setup({ secret: 'other' }, { authType: 'md5' });
    const failure = new Promise<AmiAuthError>((resolve) => client.once('loginFailed', resolve));
    client.start();
    expect((await failure).message).to.match(/Authentication failed/);
  });

  it('reconnects after the PBX drops the connection and keeps receiving events', async () => {
    const { server, client, events } = await setup();
    const reconnects: boolean[] = [];
    client.on('connected', (c) => reconnects.push(c.reconnect));
    client.start();
    await client.whenReady(5_000);
    server.dropAll();
    await until(() => reconnects.length === 2, 5_000, 'reconnect');
    expect(reconnects).to.deep.equal([false, true]);
    server.broadcast([['Event: Newchannel', 'Uniqueid: 1770888509.40', 'Linkedid: 1770888509.40']]);
    await until(() => events.some((e) => e['event'] === 'Newchannel'), 5_000, 'event after reconnect');
    expect(events.find((e) => e['event'] === 'Newchannel')!['uniqueid']).to.equal('1770888509.40');
  });

  it('a message cut by a dropped connection leaves nothing behind on the next one', async () => {
    const { server, client, events } = await setup();
    const reconnects: boolean[] = [];
    client.on('connected', (c) => reconnects.push(c.reconnect));
    client.start();
    await client.whenReady(5_000);
    server.broadcastRaw('Event: Hangup\r\nUniqueid: 1770888509.40\r\nCau');
    server.dropAll();
    await until(() => reconnects.length === 2, 5_000, 'reconnect');
    server.broadcast([['Event: Newchannel', 'Uniqueid: 1770888509.41', 'Linkedid: 1770888509.41']]);
    await until(() => events.some((e) => e['event'] === 'Newchannel'), 5_000, 'next event');
    expect(events.filter((e) => e['event'] !== 'FullyBooted').map((e) => [e['event'], e['uniqueid']])).to.deep.equal([
      ['Newchannel', '1770888509.41'],
    ]);
  });

  it('detects a half-open socket with Ping and moves to a new connection', async () => {
    const { server, client } = await setup({}, { pingIntervalMs: 50, pingTimeoutMs: 200 });
    const lost: string[] = [];
    client.on('disconnected', (d) => lost.push(d.reason));
    client.start();
    await client.whenReady(5_000);
    server.freeze();
    await until(() => server.logins === 2, 5_000, 'second login');
    expect(lost[0]).to.match(/ping failed/);
    expect(server.accepted).to.equal(2);
  });

  it('times out an unanswered action and cleans up', async () => {
    const { client } = await setup({ silentActions: ['getvar'] });
    client.start();
    await client.whenReady(5_000);
    const err = await client.action({ action: 'Getvar', variable: 'FROM_DID' }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AmiTimeoutError);
    expect((await client.action({ action: 'Ping' }))['ping']).to.equal('Pong');
  });

  it('holds actions issued during an outage and sends them after the next login', async () => {
    const { server, client } = await setup();
    client.start();
    await client.whenReady(5_000);
    server.refuseConnections = true;
    server.dropAll();
    await until(() => !client.ready, 5_000, 'client to notice');
    const pong = client.action({ action: 'Ping' }, { timeoutMs: 10_000 });
    const attempts = server.accepted;
    await until(() => server.accepted >= attempts + 2, 5_000, 'reconnect attempts during the outage');
    server.refuseConnections = false;
    expect((await pong)['ping']).to.equal('Pong');
    expect(server.logins).to.equal(2);
  });

  it('rejects an action in flight when the connection dies: it may have run, so it is not resent', async () => {
    const { server, client } = await setup({ silentActions: ['originate'] });
    client.start();
    await client.whenReady(5_000);
    const pending = client.action({ action: 'Originate', channel: 'PJSIP/101', exten: '100' }).catch((e: unknown) => e);
    await until(() => server.actions.some((a) => a['action'] === 'Originate'), 5_000, 'originate sent');
    server.dropAll();
    expect(await pending).to.be.instanceOf(AmiConnectionLostError);
  });

  it('refuses CR/LF in values (header injection) and reports Response: Error', async () => {
    const { client } = await setup();
    client.start();
    await client.whenReady(5_000);
    const injected = await client.action({ action: 'Setvar', variable: 'X', value: 'a\r\nAction: Hangup' }).catch((e: unknown) => e);
    expect(injected).to.be.instanceOf(AmiInjectionError);
    const unknown = await client.action({ action: 'NoSuchThing' }).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(AmiActionError);
    expect((unknown as AmiActionError).message).to.match(/Invalid\/unknown command/);
  });

  it('collects a list action up to its Complete event', async () => {
    const { client } = await setup({
      channels: () => [
        [
          ['Channel', 'PJSIP/trunk-00000001'],
          ['Uniqueid', '1770888509.40'],
          ['Linkedid', '1770888509.40'],
          ['Duration', '00:00:12'],
        ],
      ],
    });
    client.start();
    await client.whenReady(5_000);
    const list = await client.listAction({ action: 'CoreShowChannels' });
    expect(list.response['eventlist']).to.equal('start');
    expect(list.items.map((i) => i['uniqueid'])).to.deep.equal(['1770888509.40']);
  });
});
