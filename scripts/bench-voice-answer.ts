/**
 * `npx tsx scripts/bench-voice-answer.ts [--calls 20000 --burst 200 --rounds 5]`: the CPU time the gateway's own code spends on one voice
 * answer, without sockets, a database or a load generator competing for the cores. The real fast path, Twilio
 * controller, routing table, signature check, TwiML and call-event journal (a file in a temporary directory) answer
 * pre-signed requests handed over as node:http request/response objects; the writes behind the answers go to an
 * in-memory stand-in for the inbox table. The same harness runs the bare handler of `scripts/bench-twiml-server.ts`
 * (read the form, answer a static TwiML), so the printed ratio is the cost the gateway adds per call.
 *
 * CPU time (process.cpuUsage) does not depend on what else the machine runs the way latency does; the figure is
 * per answer, interleaved gateway / bare rounds, best round of each. `--cpu-prof` on this script shows where it goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { inboundParams, randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { signTwilioRequest } from '../gateway/src/adapters/telephony/twilio/twilio-signature.js';
import { webhookUrls } from '../gateway/src/adapters/telephony/twilio/twiml.js';
import { AnswerGate } from '../gateway/src/features/call-webhooks/answer-gate.js';
import { BatchedCallEventWriter } from '../gateway/src/features/call-webhooks/batched-call-event-writer.js';
import type { InboxEntry } from '../gateway/src/features/call-webhooks/call-event-inbox-store.js';
import { CallEventJournal } from '../gateway/src/features/call-webhooks/call-event-journal.js';
import { createCallWebhookMetrics } from '../gateway/src/features/call-webhooks/call-webhook-metrics.js';
import { RoutingService } from '../gateway/src/features/call-webhooks/routing-service.js';
import type { NumberRoute, RoutingSnapshot, SiteRoute } from '../gateway/src/features/call-webhooks/routing-table.js';
import { TwilioWebhookController } from '../gateway/src/features/call-webhooks/twilio-webhook-controller.js';
import { DEFAULT_SITE_SETTINGS } from '../gateway/src/features/sites/site-types.js';
import { FastPath } from '../gateway/src/http/fast-path.js';
import { createLogger } from '../gateway/src/logging/logger.js';
import { createHttpMetrics } from '../gateway/src/metrics/metrics.js';
import { systemClock } from '../gateway/src/shared/clock.js';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' }, burst: { type: 'string', default: '200' } },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
/** Requests in flight at once, as in bench:voice's burst. */
const BURST = Number(values.burst);
const PUBLIC = new URL('https://calls.example.com');
const ACCOUNT_SID = randomSid('AC');
const AUTH_TOKEN = 'f'.repeat(32);
const PATH = '/v1/telephony/twilio/voice';

// The routing table as bench:voice's site makes it: 50 numbers of one site, recorded, with an announcement.
const site: SiteRoute = {
  siteId: 'site-1',
  accountId: 'acc-1',
  name: 'Bench',
  defaultForwardTo: '+15550000001',
  settings: { ...DEFAULT_SITE_SETTINGS },
};
const numbers = new Map<string, NumberRoute>();
for (let i = 0; i < 50; i++)
  numbers.set(`+1555100${String(i).padStart(4, '0')}`, {
    trackingNumberId: `tn-${i}`,
    accountId: 'acc-1',
    siteId: 'site-1',
    forwardTo: '+15550000002',
    channelName: 'Google Ads',
  });
const snapshot: RoutingSnapshot = {
  numbers,
  sites: new Map([[site.siteId, site]]),
  fallbackSite: new Map([['acc-1', 'site-1']]),
  blocked: new Set(),
  twilio: new Map([[ACCOUNT_SID, { accountId: 'acc-1', authToken: AUTH_TOKEN }]]),
  loadedAt: new Date(),
};

const dir = mkdtempSync(path.join(tmpdir(), 'bench-voice-answer-'));
const logger = createLogger({ level: 'warn' });
const registry = new Registry();
let stored = 0;
const gate = new AnswerGate();
const writer = new BatchedCallEventWriter({
  sink: {
    insertMany: async (entries: readonly InboxEntry[]) => {
      stored += entries.length;
      return entries.map((e) => e.id);
    },
  },
  logger,
  journal: new CallEventJournal(path.join(dir, 'journal.jsonl')),
  gate,
});
const routing = new RoutingService({ load: async () => snapshot, logger, fanout: null });
await routing.refresh();
const controller = new TwilioWebhookController({
  routing,
  writer: { submit: (e) => void writer.submit(e), applyWithin: async () => true, pending: 0 },
  gate,
  publicBaseUrl: PUBLIC,
  urls: webhookUrls(PUBLIC),
  clock: systemClock,
  logger,
  metrics: createCallWebhookMetrics(
    registry,
    () => writer.pending,
    () => 0,
  ),
});
const fastPath = new FastPath(controller.fastRoutes, { logger, metrics: createHttpMetrics(registry) });

const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true"><Number>+15550000002</Number></Dial></Response>';
const bare = (req: IncomingMessage, res: ServerResponse): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(TWIML), 'Cache-Control': 'no-store' });
    res.end(TWIML);
  });
};

interface Prepared {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}
// Every call from a new caller, as in a real burst (libphonenumber answers for a number seen before are memoised).
let nextCaller = 0;
function prepare(n: number): Prepared[] {
  return Array.from({ length: n }, (_, i) => {
    const params = inboundParams({
      accountSid: ACCOUNT_SID,
      callSid: randomSid('CA'),
      from: `+1555${String(1_000_000 + nextCaller++).slice(-7)}`,
      to: `+1555100${String(i % 50).padStart(4, '0')}`,
    });
    const body = Buffer.from(new URLSearchParams(params).toString());
    return {
      headers: {
        host: '127.0.0.1',
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(body.length),
        'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC.origin}${PATH}`, params),
      },
      body,
    };
  });
}

/** Runs the requests through `handle`, a burst of `BURST` at a time; resolves with the CPU µs per request. */
async function run(all: readonly Prepared[], handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ us: number; dialled: number }> {
  let us = 0;
  let dialled = 0;
  for (let i = 0; i < all.length; i += BURST) {
    const r = await runBurst(all.slice(i, i + BURST), handle);
    us += r.us * r.n;
    dialled += r.dialled;
  }
  return { us: us / all.length, dialled };
}

async function runBurst(
  reqs: readonly Prepared[],
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ us: number; n: number; dialled: number }> {
  let dialled = 0;
  let left = reqs.length;
  const done = new Promise<void>((resolve) => {
    const c0 = process.cpuUsage();
    for (const p of reqs) {
      const req = new IncomingMessage(new Socket());
      req.method = 'POST';
      req.url = PATH;
      req.headers = p.headers;
      const res = new ServerResponse(req);
      const end = res.end.bind(res);
      res.end = ((chunk: unknown) => {
        if (typeof chunk === 'string' && chunk.includes('<Dial')) dialled++;
        end(chunk as string);
        if (--left === 0) {
          const c = process.cpuUsage(c0);
          cpu = (c.user + c.system) / reqs.length;
          resolve();
        }
        return res;
      }) as typeof res.end;
      handle(req, res);
      req.push(p.body);
      req.push(null);
    }
  });
  let cpu = 0;
  await done;
  return { us: cpu, n: reqs.length, dialled };
}

const gw: number[] = [];
const br: number[] = [];
let dialled = 0;
for (let r = 0; r < ROUNDS; r++) {
  const a = await run(prepare(CALLS), (req, res) => void fastPath.tryHandle(req, res));
  await writer.flush();
  gw.push(a.us);
  dialled += a.dialled;
  const b = await run(prepare(CALLS), bare);
  br.push(b.us);
}
const best = (xs: number[]) => Math.min(...xs);
await writer.stop(1_000);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `voice answer, in process, ${CALLS} calls in bursts of ${BURST}, ${ROUNDS} rounds (load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}): gateway ${best(gw).toFixed(1)} µs CPU per answer ` +
    `(rounds ${gw.map((x) => x.toFixed(0)).join(' ')}), bare ${best(br).toFixed(1)} µs (rounds ${br.map((x) => x.toFixed(0)).join(' ')}), ` +
    `${(best(gw) / best(br)).toFixed(2)}x; dialled ${dialled}/${CALLS * ROUNDS}, written ${stored}\n`,
);
if (dialled !== CALLS * ROUNDS || stored !== dialled) process.exitCode = 1;
