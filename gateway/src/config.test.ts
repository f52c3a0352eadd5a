import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from './config.js';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'cfg-'));

describe('loadConfig', () => {
  it('runs embedded with no variables set', () => {
    const dir = tmp();
    const c = loadConfig({}, dir);
    expect(c.db.kind).to.equal('pglite');
    expect(c.redis).to.equal(null);
    expect(c.http.port).to.equal(3000);
    expect(c.dataDir).to.equal(path.join(dir, 'data'));
    expect(c.http.publicBaseUrl.href).to.equal('http://localhost:3000/');
    expect(Object.isFrozen(c) && Object.isFrozen(c.http)).to.equal(true);
  });

  it('generates the encryption key once and reuses it', () => {
    const dir = tmp();
    const a = loadConfig({ DATA_DIR: 'd' }, dir);
    const b = loadConfig({ DATA_DIR: 'd' }, dir);
    expect(existsSync(path.join(dir, 'd', 'encryption.key'))).to.equal(true);
    expect(a.encryptionKey.equals(b.encryptionKey)).to.equal(true);
    expect(Buffer.from(readFileSync(path.join(dir, 'd', 'encryption.key'), 'utf8'), 'base64')).to.have.length(32);
  });

  it('switches to server mode when DATABASE_URL and REDIS_URL are set', () => {
    const c = loadConfig(
      { DATABASE_URL: 'postgres://u@h:5432/db', REDIS_URL: 'redis://h:6379', PORT: '8080', ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') },
      tmp(),
    );
    expect(c.db).to.deep.equal({ kind: 'postgres', url: 'postgres://u@h:5432/db', poolMax: 10 });
    expect(c.redis).to.deep.equal({ url: 'redis://h:6379', keyPrefix: 'ct:' });
    expect(c.http.port).to.equal(8080);
  });

  it('runs more than one gateway process only in server mode, and reads which worker this process is', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(loadConfig({}, tmp()).workers).to.deep.equal({ count: 1, index: 0 });
    const server = { DATABASE_URL: 'postgres://u@h:5432/db', REDIS_URL: 'redis://h:6379', ENCRYPTION_KEY: key };
    expect(loadConfig({ ...server, GATEWAY_WORKERS: '4', GATEWAY_WORKER_INDEX: '3' }, tmp()).workers).to.deep.equal({ count: 4, index: 3 });
    expect(() => loadConfig({ GATEWAY_WORKERS: '2', ENCRYPTION_KEY: key }, tmp())).to.throw(
      ConfigError,
      /GATEWAY_WORKERS above 1 needs DATABASE_URL and REDIS_URL/,
    );
    expect(() => loadConfig({ GATEWAY_WORKERS: '2', DATABASE_URL: server.DATABASE_URL, ENCRYPTION_KEY: key }, tmp())).to.throw(
      ConfigError,
      /REDIS_URL/,
    );
    expect(() => loadConfig({ ...server, GATEWAY_WORKERS: '0' }, tmp())).to.throw(ConfigError, /GATEWAY_WORKERS/);
  });

  it('seeds the demo site except in production unless told, and reads the lease history flush interval', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(loadConfig({ ENCRYPTION_KEY: key }, tmp())).to.include({ demoSeed: true, leaseHistoryFlushMs: 500 });
    expect(loadConfig({ ENCRYPTION_KEY: key, NODE_ENV: 'production' }, tmp()).demoSeed).to.equal(false);
    expect(loadConfig({ ENCRYPTION_KEY: key, NODE_ENV: 'production', DEMO_SEED: 'true', LEASE_HISTORY_FLUSH_MS: '250' }, tmp())).to.include({
      demoSeed: true,
      leaseHistoryFlushMs: 250,
    });
    expect(() => loadConfig({ ENCRYPTION_KEY: key, LEASE_HISTORY_FLUSH_MS: '5' }, tmp())).to.throw(ConfigError, /LEASE_HISTORY_FLUSH_MS/);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT must be integer, got "eighty"/],
    [{ PORT: '70000' }, /PORT must be <= 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must look like: PostgreSQL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be equal to one of the allowed values \(fatal, error/],
    [{ PUBLIC_BASE_URL: 'ftp://x' }, /PUBLIC_BASE_URL must look like/],
    [
      { ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') + 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      /ENCRYPTION_KEY must be the base64 of exactly 32 bytes/,
    ],
  ];
  for (const [env, message] of bad) {
    it(`fails fast naming the variable: ${Object.keys(env)[0]}`, () => {
      expect(() => loadConfig(env, tmp())).to.throw(ConfigError, message);
    });
  }

  it('adds the env leads webhook only with both its URL and its whsec_ secret', () => {
    const dir = tmp();
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const c = loadConfig({ LEADS_WEBHOOK_URL: 'https://crm.example.com/hooks/leads', LEADS_WEBHOOK_SECRET: secret }, dir);
    expect(c.leads.webhook).to.deep.equal({ url: 'https://crm.example.com/hooks/leads', secret });
    expect(loadConfig({}, dir).leads.webhook).to.equal(null);
    expect(() => loadConfig({ LEADS_WEBHOOK_URL: 'https://crm.example.com/hooks/leads' }, dir)).to.throw(ConfigError, 'LEADS_WEBHOOK_SECRET');
    expect(() => loadConfig({ LEADS_WEBHOOK_URL: 'https://x.example', LEADS_WEBHOOK_SECRET: 'plain' }, dir)).to.throw(
      ConfigError,
      'LEADS_WEBHOOK_SECRET',
    );
  });

  it('connects to Asterisk only when AMI_HOST is set, with defaults for the rest', () => {
    expect(loadConfig({}, tmp()).asterisk).to.equal(null);
    const c = loadConfig({ AMI_HOST: 'pbx.local', AMI_USERNAME: 'gateway', AMI_SECRET: 's3cret' }, tmp());
    expect(c.asterisk).to.deep.include({
      host: 'pbx.local',
      port: 5038,
      auth: 'plain',
      inboundContexts: ['from-pstn', 'from-trunk', 'from-external', 'incoming'],
      didSource: 'exten',
      recordingsDir: null,
      recordingsUrl: null,
    });
    expect(() => loadConfig({ AMI_HOST: 'pbx.local' }, tmp())).to.throw(ConfigError, /AMI_USERNAME and AMI_SECRET/);
    expect(() => loadConfig({ AMI_HOST: 'h', AMI_USERNAME: 'u', AMI_SECRET: 's', AMI_DID_SOURCE: 'to' }, tmp())).to.throw(
      ConfigError,
      /AMI_DID_SOURCE must look like/,
    );
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', REDIS_URL: 'http://nope' }, tmp())).to.throw(ConfigError, /PORT.*; REDIS_URL/);
  });

  it('reads the Twilio API base URL, region and edge; credentials go only to those origins', () => {
    const plain = loadConfig({}, tmp());
    expect(plain.twilioApi.baseUrl.href).to.equal('https://api.twilio.com/');
    expect(plain.recordings.twilioMediaOrigins).to.deep.equal(['https://api.twilio.com']);
    const regional = loadConfig({ TWILIO_REGION: 'ie1', TWILIO_EDGE: 'dublin' }, tmp());
    expect(regional.twilioApi).to.include({ region: 'ie1', edge: 'dublin' });
    expect(regional.recordings.twilioMediaOrigins).to.deep.equal(['https://api.twilio.com', 'https://api.dublin.ie1.twilio.com']);
    const compatible = loadConfig({ TWILIO_API_BASE_URL: 'https://example.signalwire.com/api/laml' }, tmp());
    expect(compatible.twilioApi.baseUrl.pathname).to.equal('/api/laml');
    expect(compatible.recordings.twilioMediaOrigins).to.deep.equal(['https://example.signalwire.com']);
    expect(() => loadConfig({ TWILIO_API_BASE_URL: 'ftp://x' }, tmp())).to.throw(ConfigError, /TWILIO_API_BASE_URL/);
    expect(() => loadConfig({ TWILIO_REGION: 'Ireland' }, tmp())).to.throw(ConfigError, /TWILIO_REGION/);
  });

  it('reads <Say> voices per locale and the PBX default country', () => {
    const c = loadConfig(
      { TWILIO_SAY_VOICES: 'ru=Polly.Maxim,en=Polly.Amy@en-GB', AMI_HOST: 'h', AMI_USERNAME: 'u', AMI_SECRET: 's', AMI_DEFAULT_COUNTRY: 'RU' },
      tmp(),
    );
    expect(c.sayVoices).to.deep.equal({ ru: { voice: 'Polly.Maxim', language: 'ru-RU' }, en: { voice: 'Polly.Amy', language: 'en-GB' } });
    expect(c.asterisk?.defaultCountry).to.equal('RU');
    expect(() => loadConfig({ TWILIO_SAY_VOICES: 'de=Polly.Hans' }, tmp())).to.throw(ConfigError, /unknown locale "de"/);
    expect(() => loadConfig({ AMI_HOST: 'h', AMI_USERNAME: 'u', AMI_SECRET: 's', AMI_DEFAULT_COUNTRY: 'XX' }, tmp())).to.throw(
      ConfigError,
      /AMI_DEFAULT_COUNTRY/,
    );
    expect(() => loadConfig({ AMI_DEFAULT_COUNTRY: 'ru' }, tmp())).to.throw(ConfigError, /AMI_DEFAULT_COUNTRY/);
  });
});
