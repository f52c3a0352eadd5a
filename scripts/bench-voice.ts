// npm run bench:voice [-- --connections 200 --duration 10 --rate 100]
//
// Fires signed Twilio voice webhooks at an in-process gateway (embedded database in a temporary directory, or
// DATABASE_URL when set) with autocannon and prints the answer latency percentiles, then how many call records
// were written behind the answers. Figures depend on the machine; this is not a test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';
import { inboundParams, randomSid } from '../gateway/src/adapters/telephony/twilio/twilio-call-script.js';
import { signTwilioRequest } from '../gateway/src/adapters/telephony/twilio/twilio-signature.js';
import { createContainer } from '../gateway/src/composition-root.js';
import { loadConfig } from '../gateway/src/config.js';
import { newId } from '../gateway/src/shared/ids.js';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '200' }, duration: { type: 'string', default: '10' }, rate: { type: 'string', default: '100' } },
});
const PUBLIC = 'https://calls.example.com';
const accountSid = randomSid('AC');
const authToken = 'bench-token-0123456789abcdef';

const config = loadConfig({
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bench-voice-')),
  PORT: '0',
  HOST: '127.0.0.1',
  PUBLIC_BASE_URL: PUBLIC,
  LOG_LEVEL: 'silent',
  NODE_ENV: 'production',
  TWILIO_ACCOUNT_SID: accountSid,
  TWILIO_AUTH_TOKEN: authToken,
});
const container = await createContainer(config, { defaultMetrics: false });
await container.bootstrap();
const accountId = ((await container.db.knex('accounts').first('id')) as { id: string }).id;
const siteId = newId();
await container.db
  .knex('sites')
  .insert({ id: siteId, account_id: accountId, name: 'Bench', public_key: `bench${siteId.toLowerCase()}`, default_forward_to: '+15550000001' });
const numbers = Array.from({ length: 50 }, (_, i) => `+1555100${String(i).padStart(4, '0')}`);
for (const e164 of numbers) {
  await container.db
    .knex('tracking_numbers')
    .insert({ id: newId(), account_id: accountId, site_id: siteId, e164, provider: 'twilio', forward_to: '+15550000002' });
}
const address = await container.start();

// Pre-signed requests (signing is the client's cost, not the gateway's): each a distinct call.
const url = `${PUBLIC}/v1/telephony/twilio/voice`;
const bodies = Array.from({ length: 20_000 }, (_, i) => {
  const params = inboundParams({
    accountSid,
    callSid: randomSid('CA'),
    from: `+1555777${String(i).padStart(4, '0')}`,
    to: numbers[i % numbers.length]!,
  });
  return { body: new URLSearchParams(params).toString(), signature: signTwilioRequest(authToken, url, params) };
});
let next = 0;
const target = `http://127.0.0.1:${address.port}/v1/telephony/twilio/voice`;
const setupRequest = (req: Record<string, unknown>) => {
  const b = bodies[next++ % bodies.length]!;
  return { ...req, body: b.body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': b.signature } };
};
const connections = Number(values.connections);
// Answered voice webhooks (2xx): each is a call Twilio was told to connect, so each must end up written.
let answered = 0;
const report = (
  label: string,
  result: { latency: Record<string, number>; requests: { total: number; average: number }; non2xx: number; errors: number; '2xx': number },
  voice = true,
) => {
  if (voice) answered += result['2xx'];
  const lat = result.latency;
  process.stdout.write(
    `${label} (${config.db.kind}):\n` +
      `  requests ${result.requests.total}  (${Math.round(result.requests.average)}/s)  non-2xx ${result.non2xx}  errors ${result.errors}\n` +
      `  latency ms  p50 ${lat.p50}  p90 ${lat.p90}  p99 ${lat.p99}  max ${lat.max}\n`,
  );
};
// Warm-up (JIT, connection pools), not reported.
answered += (await autocannon({ url: target, connections: 20, amount: 1000, method: 'POST', requests: [{ setupRequest }] }))['2xx'] as number;
while (container.services.callEvents.pending > 0) await new Promise((r) => setTimeout(r, 50));
// 0. Baseline: the same connections on GET /healthz (what this machine gives any express route right now).
report(
  `baseline: GET /healthz, ${connections} connections flat out for ${values.duration} s`,
  await autocannon({ url: `http://127.0.0.1:${address.port}/healthz`, connections, duration: Number(values.duration) }),
  false,
);
// 1. A burst: that many calls ring at the same instant, one webhook each.
report(
  `burst: ${connections} simultaneous calls`,
  await autocannon({ url: target, connections, amount: connections, method: 'POST', requests: [{ setupRequest }] }),
);
// 2. Sustained: the same number of connections kept busy at a fixed rate (calls per second).
const rate = Number(values.rate);
report(
  `sustained: ${rate} calls/s over ${connections} connections for ${values.duration} s`,
  await autocannon({ url: target, connections, overallRate: rate, duration: Number(values.duration), method: 'POST', requests: [{ setupRequest }] }),
);
// 3. Saturation: every connection sends as fast as answers come back.
report(
  `saturation: ${connections} connections flat out for ${values.duration} s`,
  await autocannon({ url: target, connections, duration: Number(values.duration), method: 'POST', requests: [{ setupRequest }] }),
);
// The writes behind the answers catch up after the load stops.
const drainStarted = Date.now();
while (container.services.callEvents.pending > 0 && Date.now() - drainStarted < 300_000) await new Promise((r) => setTimeout(r, 200));
const written = (await container.db.knex('calls').count({ n: '*' }).first()) as { n: number };
process.stdout.write(
  `  calls answered ${answered} (distinct while under ${bodies.length}), call records written ${written.n} ` +
    `(backlog drained ${((Date.now() - drainStarted) / 1000).toFixed(1)} s after the load), writes still queued ${container.services.callEvents.pending}\n`,
);
await container.stop();
