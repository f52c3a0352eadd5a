import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { BadDataError, NotFoundError, ProviderError } from '../../../errors/app-error.js';

/** Twilio's REST API for the numbers an account owns, in domain words; SDK types stay in this file. */

export interface AvailableNumber {
  readonly e164: string;
  readonly friendlyName: string;
  readonly locality: string | null;
  readonly region: string | null;
  readonly isoCountry: string;
  readonly capabilities: { readonly voice: boolean; readonly sms: boolean; readonly mms: boolean };
}

export interface ProvisionedNumber {
  readonly sid: string;
  readonly e164: string;
  readonly voiceUrl: string | null;
  readonly statusCallback: string | null;
}

export interface NumberWebhooks {
  readonly voiceUrl: string;
  readonly statusCallback: string;
  /** Static TwiML that dials the business when the gateway is unreachable; unset = Twilio's default message. */
  readonly voiceFallbackUrl?: string | null;
}

export interface TwilioCallState {
  readonly sid: string;
  /** queued | ringing | in-progress | canceled | completed | failed | busy | no-answer */
  readonly status: string;
  /** Seconds, as Twilio reports them (a string in the resource). */
  readonly duration: number | null;
  readonly endTime: Date | null;
}

export interface TwilioNumbersApi {
  search(q: { country: string; areaCode?: number; contains?: string; limit: number }): Promise<AvailableNumber[]>;
  buy(r: { phoneNumber: string; friendlyName?: string } & NumberWebhooks): Promise<ProvisionedNumber>;
  repoint(sid: string, w: NumberWebhooks): Promise<ProvisionedNumber>;
  release(sid: string): Promise<void>;
  /** The Call resource's state (GET Calls/{Sid}); null when Twilio does not know the call. */
  fetchCall(callSid: string): Promise<TwilioCallState | null>;
  /** One GET of the Account resource: proves the SID and token belong together before they are stored. */
  verifyAccount(): Promise<{ readonly status: string }>;
}

/**
 * Sends the SDK's requests to another base URL instead of *.twilio.com: a Twilio-compatible API (SignalWire serves
 * `/2010-04-01/...` under `/api/laml`) or a local stand-in. twilio-node has no base-URL option: `region`/`edge` only
 * reshape *.twilio.com hosts.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: URL) {
    super();
  }
  override request<T>(o: RequestClient.RequestOptions<T>) {
    return super.request<T>({ ...o, uri: rebaseUrl(new URL(o.uri), this.base).href });
  }
}

/** `url` with the scheme and host of `base`, and base's path prefixed to its path. */
export function rebaseUrl(url: URL, base: URL): URL {
  const u = new URL(url.href);
  u.protocol = base.protocol;
  u.host = base.host;
  u.pathname = `${base.pathname.replace(/\/+$/, '')}${url.pathname}`;
  return u;
}

const TWILIO_ORIGIN = 'https://api.twilio.com';

function providerError(err: unknown, what: string): Error {
  const e = err as { status?: number; code?: number; message?: string };
  if (e.status === 404) return new NotFoundError(`${what}: Twilio does not know this resource`);
  // Twilio's message is shown (it says what to fix: "number not available", "address required"), its internals are not.
  return new ProviderError(`${what} failed at Twilio${e.code ? ` (error ${e.code})` : ''}`, [
    { message: typeof e.message === 'string' ? e.message.slice(0, 300) : 'Twilio request failed' },
  ]);
}

/** A twilio-node client for one login, through the configured base URL, region and edge. */
export function twilioClient(
  creds: { accountSid: string; authToken: string },
  opts: { baseUrl?: string | null; region?: string | null; edge?: string | null } = {},
): ReturnType<typeof twilio> {
  const base = opts.baseUrl ? new URL(opts.baseUrl) : null;
  return twilio(creds.accountSid, creds.authToken, {
    ...(base && base.href.replace(/\/+$/, '') !== TWILIO_ORIGIN ? { httpClient: new RebasedRequestClient(base) } : {}),
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.edge ? { edge: opts.edge } : {}),
    autoRetry: true,
    maxRetries: 2,
  });
}

export function createTwilioNumbersApi(
  creds: { accountSid: string; authToken: string },
  opts: { baseUrl?: string | null; region?: string | null; edge?: string | null } = {},
): TwilioNumbersApi {
  const client = twilioClient(creds, opts);
  const toProvisioned = (n: { sid: string; phoneNumber: string; voiceUrl: string | null; statusCallback: string | null }): ProvisionedNumber => ({
    sid: n.sid,
    e164: n.phoneNumber,
    voiceUrl: n.voiceUrl ?? null,
    statusCallback: n.statusCallback ?? null,
  });
  const hooks = (w: NumberWebhooks) => ({
    voiceUrl: w.voiceUrl,
    voiceMethod: 'POST',
    statusCallback: w.statusCallback,
    statusCallbackMethod: 'POST',
    ...(w.voiceFallbackUrl ? { voiceFallbackUrl: w.voiceFallbackUrl, voiceFallbackMethod: 'POST' } : {}),
  });
  return {
    async search(q) {
      try {
        const list = await client.availablePhoneNumbers(q.country).local.list({
          ...(q.areaCode !== undefined ? { areaCode: q.areaCode } : {}),
          ...(q.contains ? { contains: q.contains } : {}),
          voiceEnabled: true,
          limit: q.limit,
        });
        return list.map((n) => ({
          e164: n.phoneNumber,
          friendlyName: n.friendlyName,
          locality: n.locality ?? null,
          region: n.region ?? null,
          isoCountry: n.isoCountry,
          capabilities: { voice: Boolean(n.capabilities?.voice), sms: Boolean(n.capabilities?.sms), mms: Boolean(n.capabilities?.mms) },
        }));
      } catch (err) {
        throw providerError(err, 'Number search');
      }
    },
    async buy(r) {
      try {
        return toProvisioned(
          await client.incomingPhoneNumbers.create({
            phoneNumber: r.phoneNumber,
            ...(r.friendlyName ? { friendlyName: r.friendlyName } : {}),
            ...hooks(r),
          } as never),
        );
      } catch (err) {
        throw providerError(err, 'Buying the number');
      }
    },
    async repoint(sid, w) {
      try {
        return toProvisioned(await client.incomingPhoneNumbers(sid).update(hooks(w) as never));
      } catch (err) {
        throw providerError(err, 'Re-pointing the number');
      }
    },
    async fetchCall(callSid) {
      try {
        const c = await client.calls(callSid).fetch();
        const duration = c.duration === null || c.duration === undefined ? null : Number(c.duration);
        return {
          sid: c.sid,
          status: String(c.status),
          duration: Number.isFinite(duration) ? duration : null,
          endTime: c.endTime ? new Date(c.endTime) : null,
        };
      } catch (err) {
        if ((err as { status?: number }).status === 404) return null;
        throw providerError(err, 'Fetching the call');
      }
    },
    async verifyAccount() {
      try {
        const a = await client.api.v2010.accounts(creds.accountSid).fetch();
        return { status: a.status };
      } catch (err) {
        const e = err as { status?: number };
        if (e.status === 401 || e.status === 403 || e.status === 404)
          throw new BadDataError('Twilio refused this Account SID and auth token', [
            { path: 'body/authToken', message: 'Twilio did not accept these credentials' },
          ]);
        throw providerError(err, 'Checking the credentials');
      }
    },
    async release(sid) {
      try {
        await client.incomingPhoneNumbers(sid).remove();
      } catch (err) {
        throw providerError(err, 'Releasing the number');
      }
    },
  };
}
