/**
 * Replays an AMI capture through the gateway's real AMI adapter and prints the calls it sees, one JSON object a line:
 *   {"id","did","caller","didE164","callerE164","outcome","answeredBy","ringSeconds","talkSeconds"}
 *
 *   npm run -s ami:replay -- <capture-file> [--inbound-context NAME]... [--did-source auto|exten|FROM_DID|var:NAME]
 *                                             [--country CC] [--duplicate] [--no-chunking] [--md5]
 *
 * `did` and `caller` are the raw values from the PBX; `didE164` and `callerE164` the same numbers in E.164 as the
 * gateway stores them, national formats read in --country (ISO 3166-1 alpha-2, as AMI_DEFAULT_COUNTRY: `RU` turns
 * `84951234561`, `4951234561` and `74951234561` into `+74951234561`), or null when a value is not a phone number
 * (an internal extension such as `21`).
 *
 * The capture (blocks of `Key: Value` lines separated by blank lines, LF or CRLF) is served by a loopback AMI server
 * speaking the real protocol (banner, Login with ActionID, Events, CRLF framing, random write chunks); the gateway's
 * AmiClient logs in, receives the events and feeds the CallNormaliser. Only `Event:` blocks are played: actions the
 * capturing client sent and responses to them are skipped.
 *
 * Durations come from the events' `Timestamp:` headers (timestampevents = yes), else from Cdr events when present;
 * when the capture has neither they are printed as null rather than guessed (talkSeconds is 0 for a call nobody
 * answered). `outcome` is null for a call still in progress when the capture ends.
 *
 * The DID is the inbound channel's Exten at Newchannel when it is a number, else its FROM_DID (VarSet or
 * ChanVariable); --did-source picks one explicitly.
 *
 * Without --inbound-context, a call is a non-Local channel that is its own Linkedid and is not created by a Dial
 * (so an Originate, such as the Asterisk 11 capture, yields no inbound call).
 */
import { readFileSync } from 'node:fs';
import { AmiClient } from '../gateway/src/adapters/telephony/asterisk/ami-client.js';
import { messageFromLines, splitCaptureBlocks } from '../gateway/src/adapters/telephony/asterisk/ami-message.js';
import { CallNormaliser, parseDidSource } from '../gateway/src/adapters/telephony/asterisk/call-normaliser.js';
import { pbxNumberResolver } from '../gateway/src/adapters/telephony/asterisk/pbx-numbers.js';
import { isE164, isPhoneCountry } from '../gateway/src/shared/phone.js';
import type { CountryCode } from '../gateway/src/shared/phone.js';
import { createLogger } from '../gateway/src/logging/logger.js';
import { LoopbackAmiServer } from '../gateway/test/helpers/ami-server.js';

interface Args {
  file: string;
  contexts: string[];
  didSource: string;
  duplicate: boolean;
  chunking: boolean;
  md5: boolean;
  country: CountryCode | null;
}

function usage(message: string): never {
  console.error(
    `${message}\nusage: ami:replay <capture-file> [--inbound-context NAME]... [--did-source auto|exten|FROM_DID|var:NAME] [--country CC] [--duplicate] [--no-chunking] [--md5]`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { file: '', contexts: [], didSource: 'auto', duplicate: false, chunking: true, md5: false, country: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a.startsWith('--inbound-context')) args.contexts.push(...value().split(',').filter(Boolean));
    else if (a.startsWith('--did-source')) args.didSource = value();
    else if (a.startsWith('--country')) {
      const cc = value().toUpperCase();
      if (!isPhoneCountry(cc)) usage(`--country must be an ISO 3166-1 alpha-2 code with a numbering plan, got "${cc}"`);
      args.country = cc;
    } else if (a === '--duplicate') args.duplicate = true;
    else if (a === '--no-chunking') args.chunking = false;
    else if (a === '--md5') args.md5 = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (!args.file) args.file = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!args.file) usage('missing capture file');
  return args;
}

export interface ReplayOptions {
  readonly contexts: readonly string[];
  readonly didSource?: string;
  readonly duplicate?: boolean;
  readonly chunking?: boolean;
  readonly md5?: boolean;
  readonly timeoutMs?: number;
  /** Reads national numbers (AMI_DEFAULT_COUNTRY). */
  readonly country?: CountryCode | null;
}

export interface ReplayedCall {
  readonly id: string;
  readonly did: string | null;
  readonly caller: string | null;
  readonly didE164: string | null;
  readonly callerE164: string | null;
  readonly outcome: string | null;
  readonly answeredBy: string | null;
  readonly ringSeconds: number | null;
  readonly talkSeconds: number | null;
}

/** Serves `captureText` over loopback AMI to a real AmiClient + CallNormaliser and returns the calls. */
export async function replayCapture(captureText: string, opts: ReplayOptions): Promise<ReplayedCall[]> {
  const script = splitCaptureBlocks(captureText).filter((block) => {
    const msg = messageFromLines(block);
    return msg['event'] !== undefined && msg['action'] === undefined && msg['response'] === undefined;
  });
  const server = await LoopbackAmiServer.start({
    username: 'replay',
    secret: 'replay-secret',
    script,
    duplicate: opts.duplicate ?? false,
    chunk: opts.chunking === false ? false : { min: 1, max: 97 },
  });
  const numbers = pbxNumberResolver(opts.country ?? null);
  const normaliser = new CallNormaliser({
    inboundContexts: opts.contexts,
    didSource: parseDidSource(opts.didSource ?? 'auto'),
    now: () => new Date(),
    numbers,
  });
  const e164 = (value: string | null, resolved: string): string | null => (value && isE164(resolved) ? resolved : null);
  const client = new AmiClient({
    host: '127.0.0.1',
    port: server.port,
    username: 'replay',
    secret: 'replay-secret',
    authType: opts.md5 ? 'md5' : 'plain',
    logger: createLogger({ level: 'silent' }),
    pingIntervalMs: 3_600_000,
    actionTimeoutMs: opts.timeoutMs ?? 60_000,
  });
  client.on('event', (msg) => normaliser.handle(msg));
  try {
    client.start();
    await client.whenReady(opts.timeoutMs ?? 10_000);
    // The server answers in order: this Pong comes after the last event of the capture.
    await client.action({ action: 'Ping' });
    return normaliser.summaries().map((s) => {
      const r = numbers(s.did, s.caller);
      return {
        id: s.id,
        did: s.did,
        caller: s.caller,
        didE164: e164(s.did, r.trackingNumber),
        callerE164: e164(s.caller, r.caller),
        outcome: s.outcome,
        answeredBy: s.answeredBy,
        ringSeconds: s.ringSeconds,
        talkSeconds: s.talkSeconds,
      };
    });
  } finally {
    await client.stop();
    await server.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (err) {
    usage(`cannot read ${args.file}: ${(err as Error).message}`);
  }
  const calls = await replayCapture(text, {
    contexts: args.contexts,
    didSource: args.didSource,
    duplicate: args.duplicate,
    chunking: args.chunking,
    md5: args.md5,
    country: args.country,
  });
  for (const c of calls) process.stdout.write(`${JSON.stringify(c)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`ami:replay failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
