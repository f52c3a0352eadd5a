import { parseNetworks } from './adapters/http/outbound-guard.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { DEFAULT_SAY_VOICES } from './adapters/telephony/twilio/say-voices.js';
import type { SayVoice, SayVoices } from './adapters/telephony/twilio/say-voices.js';
import { LOCALES, isLocale } from './i18n/i18n.js';
import type { Locale } from './i18n/i18n.js';
import { isPhoneCountry } from './shared/phone.js';
import type { CountryCode } from './shared/phone.js';

/**
 * The process environment, parsed once. No other module reads `process.env`:
 * everything downstream gets a frozen `Config` (tests build one with `createTestConfig`).
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const envSchema = {
  type: 'object',
  properties: {
    NODE_ENV: { type: 'string', enum: ['production', 'development', 'test'] },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, description: 'HTTP port' },
    HOST: { type: 'string', minLength: 1, description: 'Interface to listen on' },
    PUBLIC_BASE_URL: {
      type: 'string',
      pattern: '^https?://[^/\\s]+(/[^\\s]*)?$',
      description: 'The URL Twilio, browsers and CRMs use to reach the gateway (scheme, host, optional port and path)',
    },
    DATA_DIR: { type: 'string', minLength: 1, description: 'Embedded database, recordings and generated secrets' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://', description: 'PostgreSQL; unset = embedded PGlite' },
    DATABASE_POOL_MAX: { type: 'integer', minimum: 1, maximum: 200 },
    REDIS_URL: { type: 'string', pattern: '^rediss?://', description: 'Redis; unset = in-process state' },
    REDIS_KEY_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9:_-]{0,32}$' },
    LOG_LEVEL: { type: 'string', enum: LOG_LEVELS },
    TRUST_PROXY: { type: 'string', minLength: 1 },
    SHUTDOWN_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 60000 },
    GATEWAY_WORKERS: {
      type: 'integer',
      minimum: 1,
      maximum: 64,
      description: 'Gateway processes sharing the port (server mode only: needs DATABASE_URL and REDIS_URL)',
    },
    ENCRYPTION_KEY: { type: 'string', pattern: '^[A-Za-z0-9+/=_-]{43,}$', description: 'base64 of 32 random bytes' },
    BOOTSTRAP_EMAIL: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
    BOOTSTRAP_PASSWORD: { type: 'string', minLength: 12 },
    BOOTSTRAP_API_KEY: { type: 'string', pattern: '^ctk_[A-Za-z0-9_-]{32,}$' },
    DB_VACUUM_INTERVAL_S: { type: 'integer', minimum: 10, maximum: 86400 },
    RECORDINGS_STORAGE: { type: 'string', enum: ['local', 's3'] },
    S3_BUCKET: { type: 'string', minLength: 3, maxLength: 63 },
    S3_REGION: { type: 'string', minLength: 1 },
    S3_ENDPOINT: { type: 'string', pattern: '^https?://', description: 'http(s) URL of an S3-compatible service' },
    S3_ACCESS_KEY_ID: { type: 'string', minLength: 1 },
    S3_SECRET_ACCESS_KEY: { type: 'string', minLength: 1 },
    S3_FORCE_PATH_STYLE: { type: 'boolean' },
    S3_PREFIX: { type: 'string', pattern: '^([A-Za-z0-9_.-]+/)*$', description: 'a folder-like prefix ending in /' },
    RECORDING_LINK_TTL_S: { type: 'integer', minimum: 60, maximum: 31536000 },
    LEADS_WEBHOOK_URL: {
      type: 'string',
      pattern: '^https?://[^/\\s]+(/[^\\s]*)?$',
      description: 'A URL every lead of the default account is POSTed to, signed per Standard Webhooks (needs LEADS_WEBHOOK_SECRET)',
    },
    LEADS_WEBHOOK_SECRET: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]{16,}$', description: 'a Standard Webhooks secret: whsec_<base64>' },
    OUTBOX_CONCURRENCY: { type: 'integer', minimum: 1, maximum: 64, description: 'Deliveries (CRM requests) in flight per process' },
    OUTBOX_POLL_INTERVAL_MS: { type: 'integer', minimum: 20, maximum: 60000, description: 'How often an idle delivery worker looks for due rows' },
    OUTBOX_RETENTION_DAYS: {
      type: 'integer',
      minimum: 0,
      maximum: 3650,
      description: 'Delivered outbox rows older than this are deleted; 0 keeps them',
    },
    CRM_REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 60000, description: 'Timeout of one request to a CRM or webhook' },
    OUTBOUND_ALLOWED_NETWORKS: {
      type: 'string',
      maxLength: 2000,
      description: 'comma-separated IP networks (CIDR) outbound requests may reach although private, loopback or link-local',
    },
    METRICS_TOKEN: { type: 'string', minLength: 16, maxLength: 200, description: 'a bearer token of at least 16 characters for GET /metrics' },
    LEASE_HISTORY_FLUSH_MS: {
      type: 'integer',
      minimum: 50,
      maximum: 60000,
      description: 'Redis mode: how often lease history moves from the Redis streams to number_leases',
    },
    DNI_SESSIONS_PER_MINUTE: {
      type: 'integer',
      minimum: 0,
      maximum: 1000000,
      description: 'Widget session starts allowed per client IP per minute (in-memory token bucket per process; 0 = no limit)',
    },
    DNI_MAX_NUMBERS_PER_ADDRESS: {
      type: 'integer',
      minimum: 0,
      maximum: 1000000,
      description: "Numbers of one session pool that one client IP may hold at once where the site's maxNumbersPerAddress is unset (0 = no limit)",
    },
    DEMO_SEED: { type: 'string', enum: ['true', 'false'], description: 'Create the demo site at start (default: true unless NODE_ENV=production)' },
    TWILIO_ACCOUNT_SID: { type: 'string', pattern: '^AC[0-9A-Za-z]{32}$', description: 'a Twilio Account SID (AC + 32 characters)' },
    TWILIO_VOICE_FALLBACK_URL: {
      type: 'string',
      pattern: '^https://',
      description: 'an https URL of static TwiML that dials the business (a TwiML Bin), set as the fallback URL of numbers bought here',
    },
    TWILIO_AUTH_TOKEN: { type: 'string', minLength: 16, maxLength: 128, description: "the default account's Twilio auth token" },
    AMI_HOST: { type: 'string', minLength: 1, description: 'Asterisk Manager Interface host; unset = no Asterisk connection' },
    AMI_PORT: { type: 'integer', minimum: 1, maximum: 65535, description: 'AMI port (5038; 5039 is TLS, not supported)' },
    AMI_USERNAME: { type: 'string', pattern: '^[^\\s]+$', description: 'manager.conf user name' },
    AMI_SECRET: { type: 'string', minLength: 1, description: 'manager.conf secret' },
    AMI_AUTH: { type: 'string', enum: ['plain', 'md5'], description: 'Login with the secret in clear (plain) or an MD5 challenge' },
    AMI_INBOUND_CONTEXTS: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$',
      description: 'comma-separated dialplan contexts of inbound trunk channels, e.g. from-pstn,from-trunk',
    },
    AMI_DID_SOURCE: {
      type: 'string',
      pattern: '^(exten|auto|FROM_DID|var:[A-Za-z0-9_]+)$',
      description: 'exten (the inbound channel Exten), auto (Exten if numeric, else FROM_DID), FROM_DID or var:NAME (a channel variable)',
    },
    AMI_RECORDINGS_DIR: { type: 'string', minLength: 1, description: 'Asterisk monitor spool mounted on the gateway host' },
    AMI_RECORDINGS_URL: {
      type: 'string',
      pattern: '^https?://[^/\\s]+(/[^\\s]*)?$',
      description: 'http(s) base URL on the PBX serving the monitor spool',
    },
    TWILIO_API_BASE_URL: {
      type: 'string',
      pattern: '^https?://[^/\\s]+(/[^\\s]*)?$',
      description: 'the REST and recording-media origin (and path prefix) of Twilio or a Twilio-compatible API',
    },
    TWILIO_REGION: { type: 'string', pattern: '^[a-z]{2}[0-9]$', description: 'a Twilio region such as ie1, au1, us1' },
    TWILIO_EDGE: { type: 'string', pattern: '^[a-z][a-z-]{1,30}$', description: 'a Twilio edge location such as dublin, sydney, ashburn' },
    TWILIO_SAY_VOICES: {
      type: 'string',
      pattern:
        '^[a-z]{2}=[A-Za-z]+(\\.[A-Za-z0-9-]+)?(@[a-z]{2,3}(-[A-Za-z0-9]{2,4})*)?(,[a-z]{2}=[A-Za-z]+(\\.[A-Za-z0-9-]+)?(@[a-z]{2,3}(-[A-Za-z0-9]{2,4})*)?)*$',
      description: 'locale=voice[@language],... e.g. ru=Polly.Maxim,en=Polly.Amy@en-GB',
    },
    AMI_DEFAULT_COUNTRY: {
      type: 'string',
      pattern: '^[A-Z]{2}$',
      description: 'an ISO 3166-1 alpha-2 code (RU, GB, US) for PBX numbers in national format that match no site',
    },
    MAIL_SMTP_PORT: {
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      description: 'port of the inbound SMTP listener for tracked aliases; unset = none',
    },
    MAIL_SMTP_HOST: { type: 'string', minLength: 1, description: 'address the SMTP listener binds (0.0.0.0)' },
    MAIL_MAX_BYTES: { type: 'integer', minimum: 1024, maximum: 104857600, description: 'largest inbound message accepted, in bytes' },
    MAIL_TLS_KEY_FILE: { type: 'string', minLength: 1, description: 'PEM private key for STARTTLS on the SMTP listener' },
    MAIL_TLS_CERT_FILE: { type: 'string', minLength: 1, description: 'PEM certificate chain for STARTTLS' },
    MAIL_RELAY_URL: { type: 'string', pattern: '^smtps?://', description: 'smtp:// or smtps:// URL that forwarded mail is sent through' },
    MAIL_BOUNCE_ADDRESS: { type: 'string', pattern: '^[^\\s@]+@[^\\s@]+$', description: 'envelope sender of forwarded mail' },
    MAILGUN_SIGNING_KEY: { type: 'string', minLength: 8, description: 'Mailgun HTTP webhook signing key' },
    POSTMARK_INBOUND_USER: { type: 'string', minLength: 1, description: 'user of the basic-auth credentials in the Postmark inbound URL' },
    POSTMARK_INBOUND_PASSWORD: { type: 'string', minLength: 8, description: 'password of those credentials' },
    SENDGRID_INBOUND_PUBLIC_KEY: { type: 'string', minLength: 40, description: 'base64 ECDSA public key of the Parse webhook security policy' },
  },
} as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly env: 'production' | 'development' | 'test';
  /** How many gateway processes share the port (GATEWAY_WORKERS), and which one this is (0 in a single process). */
  readonly workers: { readonly count: number; readonly index: number };
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly publicBaseUrl: URL;
    readonly trustProxy: boolean | number | string;
    readonly shutdownTimeoutMs: number;
  };
  readonly dataDir: string;
  readonly db:
    | { readonly kind: 'postgres'; readonly url: string; readonly poolMax: number }
    | { readonly kind: 'pglite'; readonly dataDir: string | null };
  readonly dbVacuumIntervalS: number;
  readonly leaseHistoryFlushMs: number;
  readonly dniSessionsPerMinute: number;
  readonly dniMaxNumbersPerAddress: number;
  readonly demoSeed: boolean;
  readonly redis: { readonly url: string; readonly keyPrefix: string } | null;
  readonly log: { readonly level: LogLevel; readonly pretty: boolean };
  readonly encryptionKey: Buffer;
  readonly recordings: {
    readonly storage:
      | { readonly kind: 'local'; readonly dir: string }
      | {
          readonly kind: 's3';
          readonly bucket: string;
          readonly region: string;
          readonly endpoint: string | null;
          readonly accessKeyId: string;
          readonly secretAccessKey: string;
          readonly forcePathStyle: boolean;
          readonly prefix: string;
        };
    /** Lifetime of signed recording links handed to CRMs. */
    readonly linkTtlS: number;
    /** Origins we may send Twilio credentials to when downloading recordings. */
    readonly twilioMediaOrigins: readonly string[];
  };
  readonly leads: {
    /** The env-configured generic webhook sink (single-tenant installs). */
    readonly webhook: { readonly url: string; readonly secret: string } | null;
    readonly requestTimeoutMs: number;
  };
  /** retentionDays: delivered rows older than this are deleted; 0 keeps them. */
  readonly outbox: { readonly concurrency: number; readonly pollIntervalMs: number; readonly retentionDays: number };
  /** Twilio login of the default (first) account, for embedded and single-tenant installs; others store theirs encrypted. */
  readonly twilio: { readonly accountSid: string; readonly authToken: string } | null;
  /** Where Twilio's REST API and recording media live (Twilio's regions, a compatible provider, a stand-in). */
  readonly twilioApi: TwilioApiConfig;
  /** `<Say>` language and voice per site locale. */
  readonly sayVoices: SayVoices;
  /** Set as VoiceFallbackUrl on numbers bought here: Twilio fetches it when the gateway cannot answer. */
  readonly twilioVoiceFallbackUrl: string | null;
  readonly bootstrap: {
    readonly email: string;
    readonly password: string | null;
    readonly apiKey: string | null;
  };
  /** The AMI connection; null when AMI_HOST is unset. */
  readonly asterisk: AsteriskConfig | null;
  /** Private networks that CRM, webhook and recording requests may reach anyway (OUTBOUND_ALLOWED_NETWORKS). */
  readonly outboundAllowedNetworks: readonly string[];
  /** Bearer token GET /metrics needs; null: /metrics is not served. */
  readonly metricsToken: string | null;
  /** Email tracking: the SMTP listener, the relay forwarded mail leaves through, the inbound providers' secrets. */
  readonly mail?: MailConfig;
}

export interface MailConfig {
  readonly smtp: { readonly port: number; readonly host: string; readonly tls: { readonly key: string; readonly cert: string } | null } | null;
  readonly maxBytes: number;
  readonly relayUrl: string | null;
  readonly bounceAddress: string | null;
  readonly mailgunSigningKey: string | null;
  readonly postmark: { readonly user: string; readonly password: string } | null;
  readonly sendgridPublicKey: string | null;
}

export interface AsteriskConfig {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  readonly auth: 'plain' | 'md5';
  readonly inboundContexts: readonly string[];
  /** 'exten' | 'FROM_DID' | 'var:NAME' */
  readonly didSource: string;
  readonly recordingsDir: string | null;
  readonly recordingsUrl: URL | null;
  /** Reads national PBX numbers that match no tracking number (AMI_DEFAULT_COUNTRY). */
  readonly defaultCountry: CountryCode | null;
}

export interface TwilioApiConfig {
  /** TWILIO_API_BASE_URL: requests to https://api.twilio.com go here instead (origin and optional path prefix). */
  readonly baseUrl: URL;
  readonly region: string | null;
  readonly edge: string | null;
}

export const DEFAULT_TWILIO_API_BASE_URL = 'https://api.twilio.com';

/**
 * The origins Twilio credentials may be sent to: the API base, and with a region or edge on Twilio itself the
 * regional host twilio-node builds (api.{edge}.{region}.twilio.com; edge alone means region us1).
 */
export function twilioCredentialOrigins(api: TwilioApiConfig): string[] {
  const origins = [api.baseUrl.origin];
  if (api.baseUrl.origin === DEFAULT_TWILIO_API_BASE_URL && (api.region || api.edge)) {
    const region = api.region ?? 'us1';
    origins.push(`https://api.${api.edge ? `${api.edge}.` : ''}${region}.twilio.com`);
  }
  return origins;
}

export const DEFAULT_INBOUND_CONTEXTS = ['from-pstn', 'from-trunk', 'from-external', 'incoming'] as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function describe(err: ErrorObject, raw: Env): string {
  const name = err.instancePath.replace(/^\//, '');
  const got = raw[name];
  const why =
    err.keyword === 'pattern' && err.parentSchema && 'description' in err.parentSchema
      ? `must look like: ${String(err.parentSchema.description)}`
      : (err.message ?? 'is invalid');
  return `${name} ${why}${err.keyword === 'enum' ? ` (${(err.params as { allowedValues: string[] }).allowedValues.join(', ')})` : ''}, got "${got}"`;
}

function validateEnv(env: Env): Record<string, string | number | boolean | undefined> {
  const ajv = new Ajv({ coerceTypes: true, allErrors: true, verbose: true, strict: true, strictTypes: false });
  const validate = ajv.compile(envSchema);
  const subset: Record<string, string | number | boolean | undefined> = {};
  for (const key of Object.keys(envSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') subset[key] = value;
  }
  if (!validate(subset)) {
    const problems = (validate.errors ?? []).map((e) => describe(e, env));
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return subset;
}

function loadOrCreateKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'encryption.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return key;
}

function parseTrustProxy(v: string | undefined): boolean | number | string {
  if (v === undefined) return false;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const v = validateEnv(env);
  const str = (k: string): string | undefined => (v[k] === undefined ? undefined : String(v[k]));
  const int = (k: string, dflt: number): number => (v[k] === undefined ? dflt : Number(v[k]));

  const port = int('PORT', 3000);
  const dataDir = path.resolve(cwd, str('DATA_DIR') ?? './data');
  const publicBaseUrl = new URL(str('PUBLIC_BASE_URL') ?? `http://localhost:${port}`);
  const databaseUrl = str('DATABASE_URL');
  const redisUrl = str('REDIS_URL');
  const keyText = str('ENCRYPTION_KEY');
  const encryptionKey = keyText ? Buffer.from(keyText, 'base64') : loadOrCreateKey(dataDir);
  if (encryptionKey.length !== 32) throw new ConfigError('ENCRYPTION_KEY must be the base64 of exactly 32 bytes');
  const nodeEnv = (str('NODE_ENV') ?? 'development') as Config['env'];
  const storageKind = str('RECORDINGS_STORAGE') ?? 'local';
  if (storageKind === 's3') {
    for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) {
      if (!str(name)) throw new ConfigError(`${name} is required when RECORDINGS_STORAGE=s3`);
    }
  }
  const webhookUrl = str('LEADS_WEBHOOK_URL');
  const webhookSecret = str('LEADS_WEBHOOK_SECRET');
  if (Boolean(webhookUrl) !== Boolean(webhookSecret))
    throw new ConfigError('LEADS_WEBHOOK_URL and LEADS_WEBHOOK_SECRET go together: set both or neither');
  const twilioSid = str('TWILIO_ACCOUNT_SID');
  const twilioToken = str('TWILIO_AUTH_TOKEN');
  if (Boolean(twilioSid) !== Boolean(twilioToken)) throw new ConfigError('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together: set both or neither');
  const twilioApi: TwilioApiConfig = {
    baseUrl: new URL(str('TWILIO_API_BASE_URL') ?? DEFAULT_TWILIO_API_BASE_URL),
    region: str('TWILIO_REGION') ?? null,
    edge: str('TWILIO_EDGE') ?? null,
  };
  const outboundAllowedNetworks = (str('OUTBOUND_ALLOWED_NETWORKS') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  try {
    parseNetworks(outboundAllowedNetworks);
  } catch (err) {
    throw new ConfigError(`OUTBOUND_ALLOWED_NETWORKS: ${(err as Error).message}`);
  }
  const amiHost = str('AMI_HOST');
  if (amiHost && (!str('AMI_USERNAME') || !str('AMI_SECRET'))) throw new ConfigError('AMI_USERNAME and AMI_SECRET are required when AMI_HOST is set');
  const recordingsDir = str('AMI_RECORDINGS_DIR');
  const recordingsUrl = str('AMI_RECORDINGS_URL');
  const amiCountry = str('AMI_DEFAULT_COUNTRY') ?? null;
  if (amiCountry && !isPhoneCountry(amiCountry))
    throw new ConfigError(`AMI_DEFAULT_COUNTRY is not a country with a numbering plan, got "${amiCountry}"`);

  const workerCount = int('GATEWAY_WORKERS', 1);
  if (workerCount > 1 && !(databaseUrl && redisUrl))
    throw new ConfigError(
      'GATEWAY_WORKERS above 1 needs DATABASE_URL and REDIS_URL: one process owns the embedded database and the in-process lease state',
    );
  // Set by the cluster's primary for each process it forks (not a setting): which of the workers this one is.
  const workerIndex = Number(env.GATEWAY_WORKER_INDEX ?? 0);

  return deepFreeze({
    env: nodeEnv,
    workers: { count: workerCount, index: Number.isInteger(workerIndex) && workerIndex >= 0 ? workerIndex : 0 },
    http: {
      port,
      host: str('HOST') ?? '0.0.0.0',
      publicBaseUrl,
      trustProxy: parseTrustProxy(str('TRUST_PROXY')),
      shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 8000),
    },
    dataDir,
    db: databaseUrl
      ? { kind: 'postgres' as const, url: databaseUrl, poolMax: int('DATABASE_POOL_MAX', 10) }
      : { kind: 'pglite' as const, dataDir: path.join(dataDir, 'pgdata') },
    dbVacuumIntervalS: int('DB_VACUUM_INTERVAL_S', 300),
    leaseHistoryFlushMs: int('LEASE_HISTORY_FLUSH_MS', 500),
    dniSessionsPerMinute: int('DNI_SESSIONS_PER_MINUTE', 120),
    dniMaxNumbersPerAddress: int('DNI_MAX_NUMBERS_PER_ADDRESS', 4),
    demoSeed: str('DEMO_SEED') === undefined ? nodeEnv !== 'production' : str('DEMO_SEED') === 'true',
    redis: redisUrl ? { url: redisUrl, keyPrefix: str('REDIS_KEY_PREFIX') ?? 'ct:' } : null,
    log: { level: (str('LOG_LEVEL') ?? 'info') as LogLevel, pretty: false },
    encryptionKey,
    recordings: {
      storage:
        storageKind === 's3'
          ? {
              kind: 's3' as const,
              bucket: str('S3_BUCKET')!,
              region: str('S3_REGION') ?? 'us-east-1',
              endpoint: str('S3_ENDPOINT') ?? null,
              accessKeyId: str('S3_ACCESS_KEY_ID')!,
              secretAccessKey: str('S3_SECRET_ACCESS_KEY')!,
              forcePathStyle: v.S3_FORCE_PATH_STYLE === undefined ? Boolean(str('S3_ENDPOINT')) : Boolean(v.S3_FORCE_PATH_STYLE),
              prefix: str('S3_PREFIX') ?? '',
            }
          : { kind: 'local' as const, dir: path.join(dataDir, 'recordings') },
      linkTtlS: int('RECORDING_LINK_TTL_S', 7 * 86400),
      twilioMediaOrigins: twilioCredentialOrigins(twilioApi),
    },
    leads: {
      webhook: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : null,
      requestTimeoutMs: int('CRM_REQUEST_TIMEOUT_MS', 15_000),
    },
    outbox: {
      concurrency: int('OUTBOX_CONCURRENCY', 4),
      pollIntervalMs: int('OUTBOX_POLL_INTERVAL_MS', 1_000),
      retentionDays: int('OUTBOX_RETENTION_DAYS', 30),
    },
    twilio: twilioSid && twilioToken ? { accountSid: twilioSid, authToken: twilioToken } : null,
    twilioVoiceFallbackUrl: str('TWILIO_VOICE_FALLBACK_URL') ?? null,
    sayVoices: parseSayVoices(str('TWILIO_SAY_VOICES')),
    twilioApi,
    bootstrap: {
      email: str('BOOTSTRAP_EMAIL') ?? 'owner@localhost',
      password: str('BOOTSTRAP_PASSWORD') ?? null,
      apiKey: str('BOOTSTRAP_API_KEY') ?? null,
    },
    asterisk: amiHost
      ? {
          host: amiHost,
          port: int('AMI_PORT', 5038),
          username: str('AMI_USERNAME')!,
          secret: str('AMI_SECRET')!,
          auth: (str('AMI_AUTH') ?? 'plain') as 'plain' | 'md5',
          inboundContexts: (str('AMI_INBOUND_CONTEXTS') ?? DEFAULT_INBOUND_CONTEXTS.join(',')).split(','),
          didSource: str('AMI_DID_SOURCE') ?? 'exten',
          recordingsDir: recordingsDir ? path.resolve(cwd, recordingsDir) : null,
          recordingsUrl: recordingsUrl ? new URL(recordingsUrl) : null,
          defaultCountry: amiCountry as CountryCode | null,
        }
      : null,
    outboundAllowedNetworks,
    metricsToken: str('METRICS_TOKEN') ?? null,
    mail: {
      smtp:
        v.MAIL_SMTP_PORT === undefined
          ? null
          : {
              port: int('MAIL_SMTP_PORT', 2525),
              host: str('MAIL_SMTP_HOST') ?? '0.0.0.0',
              tls:
                str('MAIL_TLS_KEY_FILE') && str('MAIL_TLS_CERT_FILE')
                  ? {
                      key: readFileSync(path.resolve(cwd, str('MAIL_TLS_KEY_FILE')!), 'utf8'),
                      cert: readFileSync(path.resolve(cwd, str('MAIL_TLS_CERT_FILE')!), 'utf8'),
                    }
                  : null,
            },
      maxBytes: int('MAIL_MAX_BYTES', 10 * 1024 * 1024),
      relayUrl: str('MAIL_RELAY_URL') ?? null,
      bounceAddress: str('MAIL_BOUNCE_ADDRESS') ?? null,
      mailgunSigningKey: str('MAILGUN_SIGNING_KEY') ?? null,
      postmark:
        str('POSTMARK_INBOUND_USER') && str('POSTMARK_INBOUND_PASSWORD')
          ? { user: str('POSTMARK_INBOUND_USER')!, password: str('POSTMARK_INBOUND_PASSWORD')! }
          : null,
      sendgridPublicKey: str('SENDGRID_INBOUND_PUBLIC_KEY') ?? null,
    },
  });
}

/** `ru=Polly.Maxim,en=Polly.Amy@en-GB`: a locale's voice, and its language when it is not the default one's. */
function parseSayVoices(text: string | undefined): SayVoices {
  const voices: Record<Locale, SayVoice> = { ...DEFAULT_SAY_VOICES };
  for (const item of text ? text.split(',') : []) {
    const [locale = '', rest = ''] = item.split('=');
    const [voice = '', language] = rest.split('@');
    if (!isLocale(locale)) throw new ConfigError(`TWILIO_SAY_VOICES: unknown locale "${locale}" (${LOCALES.join(', ')})`);
    voices[locale] = {
      voice: voice as SayVoice['voice'],
      language: (language ?? DEFAULT_SAY_VOICES[locale].language) as SayVoice['language'],
    };
  }
  return voices;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !(o instanceof URL) && !Buffer.isBuffer(o)) {
    for (const value of Object.values(o)) deepFreeze(value);
    Object.freeze(o);
  }
  return o;
}
