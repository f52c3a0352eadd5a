import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { NotFoundError, ProviderError } from '../../../errors/app-error.js';

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

export interface TwilioNumbersApi {
  search(q: { country: string; areaCode?: number; contains?: string; limit: number }): Promise<AvailableNumber[]>;
  buy(r: { phoneNumber: string; friendlyName?: string } & NumberWebhooks): Promise<ProvisionedNumber>;
  repoint(sid: string, w: NumberWebhooks): Promise<ProvisionedNumber>;
  release(sid: string): Promise<void>;
}

/** Sends the SDK's requests to another base URL (a local stand-in of api.twilio.com) instead of *.twilio.com. */
export class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: URL) {
    super();
  }
  override request<T>(o: RequestClient.RequestOptions<T>) {
    const u = new URL(o.uri);
    u.protocol = this.base.protocol;
    u.host = this.base.host;
    return super.request<T>({ ...o, uri: u.href });
  }
}

function providerError(err: unknown, what: string): Error {
  const e = err as { status?: number; code?: number; message?: string };
  if (e.status === 404) return new NotFoundError(`${what}: Twilio does not know this resource`);
  // Twilio's message is shown (it says what to fix: "number not available", "address required"), its internals are not.
  return new ProviderError(`${what} failed at Twilio${e.code ? ` (error ${e.code})` : ''}`, [
    { message: typeof e.message === 'string' ? e.message.slice(0, 300) : 'Twilio request failed' },
  ]);
}

export function createTwilioNumbersApi(creds: { accountSid: string; authToken: string }, opts: { baseUrl?: string | null } = {}): TwilioNumbersApi {
  const client = twilio(creds.accountSid, creds.authToken, {
    ...(opts.baseUrl ? { httpClient: new RebasedRequestClient(new URL(opts.baseUrl)) } : {}),
    autoRetry: true,
    maxRetries: 2,
  });
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
    async release(sid) {
      try {
        await client.incomingPhoneNumbers(sid).remove();
      } catch (err) {
        throw providerError(err, 'Releasing the number');
      }
    },
  };
}
