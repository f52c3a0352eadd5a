// npm run simulate-call -- --to +15551230001 [--from +15557770001] [--talk 30] [--outcome completed|busy|no-answer]
//                          [--url http://127.0.0.1:3000] [--api-key ctk_...]
//
// Places one call's worth of signed Twilio webhooks (voice, the agent leg's progress, the Dial outcome, the final
// status, the recording) against a running gateway, so a call appears, attributed, without a Twilio account.
// Signs with TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN over PUBLIC_BASE_URL, exactly as Twilio would.
import { parseArgs } from 'node:util';
import { answeredCallCallbacks, inboundParams, randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { signTwilioRequest } from '../gateway/src/adapters/telephony/twilio/twilio-signature.js';
import { loadConfig } from '../gateway/src/config.js';

export interface SimulateOptions {
  /** Where to send the requests (the gateway, possibly behind nothing). */
  readonly url: string;
  /** What Twilio signs: the gateway's PUBLIC_BASE_URL. */
  readonly publicBaseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly to: string;
  readonly from: string;
  readonly talkSeconds: number;
  readonly outcome: 'completed' | 'busy' | 'no-answer';
  readonly log?: (line: string) => void;
}

export interface SimulateResult {
  readonly callSid: string;
  readonly twiml: string;
  readonly statuses: readonly number[];
}

export async function simulateCall(o: SimulateOptions): Promise<SimulateResult> {
  const log = o.log ?? (() => undefined);
  const post = async (path: string, params: Record<string, string>): Promise<Response> => {
    const suffix = `/v1/telephony/twilio/${path}`;
    const signature = signTwilioRequest(o.authToken, `${o.publicBaseUrl.replace(/\/+$/, '')}${suffix}`, params);
    const res = await fetch(`${o.url.replace(/\/+$/, '')}${suffix}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    log(`POST ${suffix} -> ${res.status}`);
    return res;
  };
  const callSid = randomSid('CA');
  const statuses: number[] = [];
  const voice = await post('voice', inboundParams({ accountSid: o.accountSid, callSid, from: o.from, to: o.to }));
  statuses.push(voice.status);
  const twiml = await voice.text();
  if (!voice.ok) return { callSid, twiml, statuses };
  const forwardTo = /<Number[^>]*>([^<]+)<\/Number>/.exec(twiml)?.[1] ?? o.to;
  const script = answeredCallCallbacks({ accountSid: o.accountSid, callSid, from: o.from, to: o.to, forwardTo, talkSeconds: o.talkSeconds });
  const steps =
    o.outcome === 'completed'
      ? script
      : [
          script[0]!,
          script[1]!,
          { path: 'dial-status' as const, params: { ...script[4]!.params, DialCallStatus: o.outcome, DialCallDuration: '0' } },
          { path: 'status' as const, params: { ...script[5]!.params, CallStatus: 'completed', CallDuration: '20' } },
        ];
  for (const step of steps) {
    const params: Record<string, string> = { ...step.params };
    if (o.outcome !== 'completed') {
      delete params.RecordingUrl;
      delete params.RecordingSid;
      delete params.RecordingDuration;
    }
    statuses.push((await post(step.path, params)).status);
  }
  return { callSid, twiml, statuses };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      to: { type: 'string' },
      from: { type: 'string', default: '+15557770001' },
      talk: { type: 'string', default: '30' },
      outcome: { type: 'string', default: 'completed' },
      url: { type: 'string' },
      'api-key': { type: 'string' },
    },
  });
  const config = loadConfig();
  if (!values.to || !config.twilio) {
    process.stderr.write(
      'usage: npm run simulate-call -- --to <tracking number E.164> [--from ..] [--talk 30] [--outcome completed|busy|no-answer] [--url ..] [--api-key ..]\n' +
        'needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN set to the same values as the gateway (any AC + 32 characters and a token will do locally)\n',
    );
    process.exit(2);
  }
  const url = values.url ?? `http://127.0.0.1:${config.http.port}`;
  const outcome = values.outcome as SimulateOptions['outcome'];
  const result = await simulateCall({
    url,
    publicBaseUrl: config.http.publicBaseUrl.href,
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    to: values.to,
    from: values.from,
    talkSeconds: Number(values.talk),
    outcome,
    log: (l) => process.stdout.write(`${l}\n`),
  });
  process.stdout.write(`\nTwiML answer:\n${result.twiml}\n\nCallSid ${result.callSid}\n`);
  if (values['api-key']) {
    const deadline = Date.now() + 5_000;
    for (let i = 0; i < 100 && Date.now() < deadline; i++) {
      const list = (await (await fetch(`${url}/v1/calls?limit=20`, { headers: { authorization: `Bearer ${values['api-key']}` } })).json()) as {
        items?: { id: string; providerCallId: string; status: string }[];
      };
      const call = list.items?.find((c) => c.providerCallId === result.callSid);
      if (call?.status === 'ended') {
        const card = await (await fetch(`${url}/v1/calls/${call.id}`, { headers: { authorization: `Bearer ${values['api-key']}` } })).json();
        process.stdout.write(`\nCall card:\n${JSON.stringify(card, null, 2)}\n`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write('\nThe call record did not appear within 5 s (is the database up?)\n');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
