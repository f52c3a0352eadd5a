import { Readable } from 'node:stream';
import { rebaseUrl } from '../../adapters/telephony/twilio/twilio-rest.js';
import type { Recording } from './recording-store.js';

/** Twilio's API hosts: api.twilio.com and the regional api.{edge}.{region}.twilio.com. */
const TWILIO_HOST = /^api(\.[a-z0-9-]+)*\.twilio\.com$/;

/** A fetch that may work later (the provider is still finalising, a 5xx, a dropped connection). */
export class RetryableFetchError extends Error {
  override readonly name = 'RetryableFetchError';
}

/** A fetch that will not work however often it is tried (no such recording, credentials refused). */
export class PermanentFetchError extends Error {
  override readonly name = 'PermanentFetchError';
}

export interface FetchedAudio {
  readonly body: Readable;
  readonly contentType: string;
  readonly ext: 'wav' | 'mp3';
  /** What the provider said the size is, to check against what arrived; null when it did not say. */
  readonly declaredBytes: number | null;
}

/** Gets the audio of one recording from where the provider keeps it. */
export interface RecordingFetcher {
  /** `signal` is the gateway stopping: the fetch ends (and its body stream errors) as soon as it is aborted. */
  fetch(recording: Recording, signal?: AbortSignal): Promise<FetchedAudio>;
  /** Deletes the provider's copy (only called after ours is stored and verified). */
  deleteAtProvider?(recording: Recording): Promise<void>;
}

export interface TwilioCredentials {
  readonly accountSid: string;
  readonly authToken: string;
}

/** Twilio credentials of one of our accounts; null when the account has none configured. */
export interface TwilioCredentialsLookup {
  forAccount(accountId: string): Promise<TwilioCredentials | null>;
}

/**
 * Downloads from Twilio's media URL with the account's credentials (HTTP Basic; required where media auth is on).
 * Dual-channel recordings are fetched as WAV, which carries both channels as recorded; mono ones as MP3.
 * Credentials are only ever sent to the allowed origins (TWILIO_API_BASE_URL's, default api.twilio.com), whatever
 * URL a callback carried. A media URL on a *.twilio.com host is moved onto `apiBaseUrl` when that is another API
 * (a compatible provider or a stand-in serving Twilio's paths); any other origin is refused.
 */
export class TwilioRecordingFetcher implements RecordingFetcher {
  constructor(
    private readonly deps: {
      credentials: TwilioCredentialsLookup;
      allowedOrigins: readonly string[];
      apiBaseUrl?: URL;
      timeoutMs?: number;
      /** The outbound guard's fetch: Twilio's media redirects to storage, and every hop is checked again. */
      fetch?: typeof fetch;
    },
  ) {}

  private async auth(recording: Recording): Promise<string> {
    const creds = await this.deps.credentials.forAccount(recording.accountId);
    if (!creds) throw new RetryableFetchError('No Twilio credentials configured for this account');
    return `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}`;
  }

  private url(recording: Recording, suffix: string): URL {
    if (!recording.sourceUrl) throw new PermanentFetchError('The recording has no source URL');
    let url = new URL(`${recording.sourceUrl.replace(/\.(mp3|wav|json)$/i, '')}${suffix}`);
    const base = this.deps.apiBaseUrl;
    if (!this.deps.allowedOrigins.includes(url.origin) && base && url.protocol === 'https:' && TWILIO_HOST.test(url.hostname))
      url = rebaseUrl(url, base);
    if (!this.deps.allowedOrigins.includes(url.origin)) throw new PermanentFetchError(`Refusing to send credentials to ${url.origin}`);
    return url;
  }

  async fetch(recording: Recording, stopping?: AbortSignal): Promise<FetchedAudio> {
    const ext = recording.channels === 2 ? 'wav' : 'mp3';
    const url = this.url(recording, `.${ext}`);
    // The timeout bounds a stalled download; the stop signal ends it at once (and the body stream with it).
    const timeout = AbortSignal.timeout(this.deps.timeoutMs ?? 60_000);
    let res: Response;
    try {
      res = await (this.deps.fetch ?? fetch)(url, {
        headers: { authorization: await this.auth(recording) },
        signal: stopping ? AbortSignal.any([stopping, timeout]) : timeout,
      });
    } catch (err) {
      throw new RetryableFetchError(`Download failed: ${(err as Error).message}`);
    }
    if (res.status === 404) throw new RetryableFetchError('Twilio answered 404: the recording is not finalised yet');
    if (res.status === 429 || res.status >= 500) throw new RetryableFetchError(`Twilio answered ${res.status}`);
    if (res.status === 401 || res.status === 403) throw new RetryableFetchError(`Twilio refused the credentials (${res.status})`);
    if (res.status !== 200 || !res.body) throw new PermanentFetchError(`Twilio answered ${res.status}`);
    const length = res.headers.get('content-length');
    return {
      body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      contentType: ext === 'wav' ? 'audio/wav' : 'audio/mpeg',
      ext,
      declaredBytes: length ? Number(length) : null,
    };
  }

  async deleteAtProvider(recording: Recording): Promise<void> {
    const res = await (this.deps.fetch ?? fetch)(this.url(recording, '.json'), {
      method: 'DELETE',
      headers: { authorization: await this.auth(recording) },
    });
    if (res.status !== 204 && res.status !== 404) throw new Error(`Twilio answered ${res.status} to the delete`);
  }
}
