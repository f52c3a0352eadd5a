// npm run simulate-call -- [--to +14155550110] [--from +15557770001] [--talk 30] [--outcome completed|busy|no-answer]
//                          [--url http://127.0.0.1:3000] [--api-key ctk_...]
//
// Places one call's worth of signed Twilio webhooks (voice, the agent leg's progress, the Dial outcome, the final
// status) against a running gateway, so a call appears, attributed, without a Twilio account, then uploads a
// recording generated here (a two-channel WAV tone as long as the talk time) through POST /v1/calls/{id}/recording,
// so the call has a recording that plays.
// Signs with TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN over PUBLIC_BASE_URL, exactly as Twilio would; without them, with
// the demo install's own login (derived from DATA_DIR/encryption.key, see gateway/src/demo/demo-credentials.ts), and
// uploads with the demo PBX key unless --api-key is given.
import { parseArgs } from 'node:util';
import { answeredCallCallbacks, inboundParams, randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { signTwilioRequest } from '../gateway/src/adapters/telephony/twilio/twilio-signature.js';
import { loadConfig } from '../gateway/src/config.js';
import { demoCredentials } from '../gateway/src/demo/demo-credentials.js';
import { DEMO_STATIC_NUMBER } from '../gateway/src/demo/demo-seed.js';
import { makeWav } from '../gateway/src/features/recordings/audio-info.js';

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
  /** An admin or PBX API key: an answered call's recording is generated and uploaded with it. */
  readonly uploadKey?: string;
  readonly log?: (line: string) => void;
}

export interface SimulateResult {
  readonly callSid: string;
  readonly twiml: string;
  readonly statuses: readonly number[];
  /** The upload's answer (status 201 and the stored recording), when one was made. */
  readonly recording?: { readonly status: number; readonly body: unknown };
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
  // With an upload, the recording comes from here, not from a Twilio media URL nobody could download.
  const recordedAtTwilio = o.outcome === 'completed' && !o.uploadKey;
  for (const step of steps) {
    if (step.path === 'recording' && !recordedAtTwilio) continue;
    const params: Record<string, string> = { ...step.params };
    if (!recordedAtTwilio) {
      delete params.RecordingUrl;
      delete params.RecordingSid;
      delete params.RecordingDuration;
    }
    statuses.push((await post(step.path, params)).status);
  }
  if (o.outcome !== 'completed' || !o.uploadKey) return { callSid, twiml, statuses };
  return { callSid, twiml, statuses, recording: await uploadRecording(o, callSid, log) };
}

/** Uploads a generated WAV for the call; the call record is written behind the webhooks, so a 404 is retried. */
async function uploadRecording(o: SimulateOptions, callSid: string, log: (line: string) => void): Promise<{ status: number; body: unknown }> {
  const wav = makeWav({ seconds: Math.max(1, o.talkSeconds), channels: 2 });
  const path = `/v1/calls/twilio:${callSid}/recording`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${o.url.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.uploadKey}`, 'content-type': 'audio/wav' },
      body: new Uint8Array(wav),
    });
    const body: unknown = await res.json().catch(() => null);
    if (res.status !== 404 || Date.now() > deadline) {
      log(`POST ${path} (${wav.length} bytes of WAV) -> ${res.status}`);
      return { status: res.status, body };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      to: { type: 'string', default: DEMO_STATIC_NUMBER },
      from: { type: 'string', default: '+15557770001' },
      talk: { type: 'string', default: '30' },
      outcome: { type: 'string', default: 'completed' },
      url: { type: 'string' },
      'api-key': { type: 'string' },
    },
  });
  const config = loadConfig();
  if (!/^\+[1-9]\d{6,14}$/.test(values.to)) {
    process.stderr.write(
      'usage: npm run simulate-call -- [--to <tracking number E.164>] [--from ..] [--talk 30] [--outcome completed|busy|no-answer] [--url ..] [--api-key ..]\n',
    );
    process.exit(2);
  }
  // The gateway's own default login when the environment names one, else the demo install's (same DATA_DIR).
  const demo = demoCredentials(config.encryptionKey);
  const twilio = config.twilio ?? demo.twilio;
  const url = values.url ?? `http://127.0.0.1:${config.http.port}`;
  const outcome = values.outcome as SimulateOptions['outcome'];
  const result = await simulateCall({
    url,
    publicBaseUrl: config.http.publicBaseUrl.href,
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    uploadKey: values['api-key'] ?? demo.pbxKey,
    to: values.to,
    from: values.from,
    talkSeconds: Number(values.talk),
    outcome,
    log: (l) => process.stdout.write(`${l}\n`),
  });
  if (result.statuses[0] === 403) {
    process.stderr.write(
      `\nThe gateway refused the signature (403): it does not know this Twilio login. Run this with the same DATA_DIR and\n` +
        `TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN as the gateway (a plain npm start uses its demo login; DEMO_SEED=false has none).\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`\nTwiML answer:\n${result.twiml}\n\nCallSid ${result.callSid}\n`);
  if (result.recording) {
    const ok = result.recording.status === 201 || result.recording.status === 202;
    process.stdout.write(`\nRecording upload: ${result.recording.status} ${JSON.stringify(result.recording.body)}\n`);
    if (!ok) process.stderr.write('The recording was not stored (a PBX or admin key is needed: --api-key, or the demo PBX key of DEMO_SEED).\n');
  }
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
    process.stdout.write('\nThe call did not show as ended within 5 s; the gateway writes calls behind its answers, look again in the console.\n');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
