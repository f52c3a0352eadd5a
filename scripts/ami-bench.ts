/**
 * Throughput of the AMI path, printed as figures (not asserted anywhere):
 *   npx tsx scripts/ami-bench.ts [copies=200]
 * Builds a capture from the trunk scenarios (every outcome, Local channels, transfers) repeated with distinct
 * Uniqueids, runs it through the normaliser alone, then through the loopback AMI server and the real AmiClient.
 */
import { parseCapture } from '../gateway/src/adapters/telephony/asterisk/ami-message.js';
import { CallNormaliser } from '../gateway/src/adapters/telephony/asterisk/call-normaliser.js';
import { SCENARIOS } from '../gateway/test/helpers/ami-scenarios.js';
import { replayCapture } from './ami-replay.js';

const copies = Number(process.argv[2] ?? 200);
const base = Object.values(SCENARIOS)
  .map((make) => make().flow.text())
  .join('');
let text = '';
for (let i = 0; i < copies; i++) text += base.replace(/\b1770(\d{6})\.(\d+)\b/g, (_m, s: string, seq: string) => `${1770 + i}${s}.${seq}`);
const messages = parseCapture(text);

let t = performance.now();
const n = new CallNormaliser({ inboundContexts: ['from-pstn'], didSource: { kind: 'exten' }, now: () => new Date() });
for (const m of messages) n.handle(m);
let ms = performance.now() - t;
process.stdout.write(
  `normaliser: ${messages.length} events, ${n.summaries().length} calls in ${ms.toFixed(0)} ms (${Math.round((messages.length / ms) * 1000)} events/s)\n`,
);

t = performance.now();
const calls = await replayCapture(text, { contexts: ['from-pstn'] });
ms = performance.now() - t;
process.stdout.write(
  `AMI over loopback TCP (writes of 1-97 bytes): ${messages.length} events, ${(text.length / 1024).toFixed(0)} KiB, ${calls.length} calls in ${ms.toFixed(0)} ms (${Math.round((messages.length / ms) * 1000)} events/s)\n`,
);
