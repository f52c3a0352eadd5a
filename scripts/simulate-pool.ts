/**
 * Pool simulator: how many calls a session pool matches to the right visit, per pool size and leasing policy, on a
 * virtual clock. `npm run simulate:pool -- --help` lists the flags; docs/attribution.md explains the method.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { accuracyChart } from './lib/pool-sim/chart.js';
import { allPolicies, type SimPolicy } from './lib/pool-sim/policies.js';
import type { LengthDistribution } from './lib/pool-sim/rng.js';
import { storeEngine } from './lib/pool-sim/engine.js';
import { buildSchedule, runSize, type SizeResult } from './lib/pool-sim/run.js';
import { sizeLimit, smallestSize } from './lib/pool-sim/search.js';
import { parseTrace, TraceError } from './lib/pool-sim/trace.js';
import { DEFAULT_TRAFFIC, generateTraffic, type SimVisit, type TrafficParams } from './lib/pool-sim/traffic.js';
import { newId } from '../gateway/src/shared/ids.js';
import { openRedisStore, openSqlStore, type RealStore, type Verification, verifyOn } from './lib/pool-sim/verify.js';

const HELP = `npm run simulate:pool -- [flags]

Traffic model (defaults: the reference scenario B at 300 visits/h):
  --rate N               visits per hour at the busiest hour (${DEFAULT_TRAFFIC.ratePerHour})
  --profile P            daily profile: "flat" or 24 comma-separated weights (flat)
  --hours N              simulated hours that are counted (${DEFAULT_TRAFFIC.hours}); 1 h warm-up and 2 h cool-down are added
  --session D            visit length: weibull | exponential | lognormal (weibull)
  --session-mean S       mean visit length, s (${(DEFAULT_TRAFFIC.session as { mean: number }).mean})
  --session-shape K      Weibull shape (0.6)
  --session-sigma S      log-normal sigma (1.0)
  --bot-share X          share of visits by crawlers (${DEFAULT_TRAFFIC.botShare})
  --call-share X         share of human visits that call (${DEFAULT_TRAFFIC.callShare}; calls lease nothing, so each visit can be a probe)
  --in-visit-share X     share of calls during the visit (${DEFAULT_TRAFFIC.inVisitShare})
  --after-delay S        mean delay of the other calls after leaving, s, exponential (${DEFAULT_TRAFFIC.afterDelayMeanS})
  --mobile-share X       share of mobile visits (${DEFAULT_TRAFFIC.mobileShare})
  --tel-click-share X    share of mobile calls started by tapping the tel: link (${DEFAULT_TRAFFIC.telClickShare})
  --repeat-share X       share of calls from callers who called before (${DEFAULT_TRAFFIC.repeatShare})
  --leave-beacon-share X share of visits whose leave beacon arrives (${DEFAULT_TRAFFIC.leaveBeaconShare})
  --number-in-view-share X  share of visits with a phone number in view at load (${DEFAULT_TRAFFIC.numberInViewShare})
  --first-interaction S  mean time to the first pointer, scroll or key event, s (${DEFAULT_TRAFFIC.firstInteractionMeanS}); the widget asks by 3 s
  --seed N               random seed (${DEFAULT_TRAFFIC.seed})
  --trace FILE.csv       replay sessions and calls from a CSV instead (columns: docs/attribution.md)

Run:
  --sizes A,B,...        pool sizes to print (default: a grid around the results)
  --policies LIST        a subset of ours,lru-hold900,random,mru (all; the last line needs all four)
  --chart FILE.svg       write the correct share against pool size
  --json FILE.json       write every result
  --store S              the lease engine of the sweep: memory (the gateway's in-memory engine, default), sql or redis
                         (the real SQL / Redis store: about a millisecond per operation, so give a few --hours and
                         --sizes; the random and mru baselines need the in-memory engine's free-number order)
  --verify LIST          stores to replay a slice on and compare: sql,redis | none (sql, and redis when REDIS_URL is set)
  --verify-hours N       hours of traffic in that slice (1)
Environment: DATABASE_URL (the SQL store on PostgreSQL instead of PGlite), REDIS_URL (the Redis store).
`;

function num(v: string | undefined, name: string, dflt: number, min = 0, max = Number.POSITIVE_INFINITY): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number in [${min}, ${max}], got "${v}"`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`simulate:pool: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    rate: { type: 'string' },
    profile: { type: 'string' },
    hours: { type: 'string' },
    session: { type: 'string' },
    'session-mean': { type: 'string' },
    'session-shape': { type: 'string' },
    'session-sigma': { type: 'string' },
    'bot-share': { type: 'string' },
    'call-share': { type: 'string' },
    'in-visit-share': { type: 'string' },
    'after-delay': { type: 'string' },
    'mobile-share': { type: 'string' },
    'tel-click-share': { type: 'string' },
    'repeat-share': { type: 'string' },
    'leave-beacon-share': { type: 'string' },
    'number-in-view-share': { type: 'string' },
    'first-interaction': { type: 'string' },
    seed: { type: 'string' },
    trace: { type: 'string' },
    sizes: { type: 'string' },
    chart: { type: 'string' },
    json: { type: 'string' },
    verify: { type: 'string' },
    store: { type: 'string' },
    policies: { type: 'string' },
    'verify-hours': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function sessionModel(): LengthDistribution {
  const mean = num(values['session-mean'], 'session-mean', 180, 1);
  const kind = values.session ?? 'weibull';
  if (kind === 'weibull') return { kind, shape: num(values['session-shape'], 'session-shape', 0.6, 0.05, 20), mean };
  if (kind === 'exponential') return { kind, mean };
  if (kind === 'lognormal') return { kind, sigma: num(values['session-sigma'], 'session-sigma', 1, 0.01, 5), mean };
  return fail(`--session must be weibull, exponential or lognormal, got "${kind}"`);
}

function profile(): number[] {
  const p = values.profile ?? 'flat';
  if (p === 'flat') return DEFAULT_TRAFFIC.profile.slice();
  const w = p.split(',').map(Number);
  if (w.length !== 24 || w.some((x) => !(x >= 0)) || Math.max(...w) <= 0) fail('--profile must be "flat" or 24 non-negative weights');
  return w;
}

const traffic: TrafficParams = {
  ratePerHour: num(values.rate, 'rate', DEFAULT_TRAFFIC.ratePerHour, 1, 100_000),
  profile: profile(),
  hours: num(values.hours, 'hours', DEFAULT_TRAFFIC.hours, 1, 10_000),
  warmupHours: DEFAULT_TRAFFIC.warmupHours,
  cooldownHours: DEFAULT_TRAFFIC.cooldownHours,
  session: sessionModel(),
  botShare: num(values['bot-share'], 'bot-share', DEFAULT_TRAFFIC.botShare, 0, 1),
  callShare: num(values['call-share'], 'call-share', DEFAULT_TRAFFIC.callShare, 0, 1),
  inVisitShare: num(values['in-visit-share'], 'in-visit-share', DEFAULT_TRAFFIC.inVisitShare, 0, 1),
  afterDelayMeanS: num(values['after-delay'], 'after-delay', DEFAULT_TRAFFIC.afterDelayMeanS, 1),
  mobileShare: num(values['mobile-share'], 'mobile-share', DEFAULT_TRAFFIC.mobileShare, 0, 1),
  telClickShare: num(values['tel-click-share'], 'tel-click-share', DEFAULT_TRAFFIC.telClickShare, 0, 1),
  repeatShare: num(values['repeat-share'], 'repeat-share', DEFAULT_TRAFFIC.repeatShare, 0, 1),
  leaveBeaconShare: num(values['leave-beacon-share'], 'leave-beacon-share', DEFAULT_TRAFFIC.leaveBeaconShare, 0, 1),
  numberInViewShare: num(values['number-in-view-share'], 'number-in-view-share', DEFAULT_TRAFFIC.numberInViewShare, 0, 1),
  firstInteractionMeanS: num(values['first-interaction'], 'first-interaction', DEFAULT_TRAFFIC.firstInteractionMeanS, 0.01),
  seed: num(values.seed, 'seed', DEFAULT_TRAFFIC.seed, 0, 2 ** 31 - 1),
};

let visits: SimVisit[];
if (values.trace) {
  try {
    visits = parseTrace(readFileSync(values.trace, 'utf8'));
  } catch (err) {
    fail(err instanceof TraceError ? `${values.trace}: ${err.message}` : `cannot read ${values.trace}: ${(err as Error).message}`);
  }
} else {
  visits = generateTraffic(traffic);
}

// The offered-load figures for the search bound come from the traffic itself (a trace has its own rate and lengths).
const counted = visits.filter((v) => v.counted);
// Loops, not spreads: a long trace has more visits than a call can take arguments.
let first = Number.POSITIVE_INFINITY;
let lastStart = Number.NEGATIVE_INFINITY;
for (const v of counted) {
  first = Math.min(first, v.start);
  lastStart = Math.max(lastStart, v.start);
}
const spanH = counted.length ? (lastStart - first) / 3_600_000 : 1;
const busiest = peakRatePerHour(counted);
const meanS = counted.reduce((s, v) => s + (v.end - v.start), 0) / Math.max(1, counted.length) / 1000;

/** Busiest hour's visits per hour (a flat profile gives about --rate). */
function peakRatePerHour(vs: readonly SimVisit[]): number {
  const perHour = new Map<number, number>();
  for (const v of vs) perHour.set(Math.floor(v.start / 3_600_000), (perHour.get(Math.floor(v.start / 3_600_000)) ?? 0) + 1);
  return Math.max(1, ...perHour.values());
}

const storeName = values.store ?? 'memory';
if (!['memory', 'sql', 'redis'].includes(storeName)) fail(`--store takes memory, sql or redis, got "${storeName}"`);
if (storeName === 'redis' && !process.env.REDIS_URL) fail('--store redis needs REDIS_URL');
const wanted = values.policies?.split(',') ?? (storeName === 'memory' ? ['ours', 'lru-hold900', 'random', 'mru'] : ['ours', 'lru-hold900']);
const policies = allPolicies().filter((p) => wanted.includes(p.name));
if (!policies.some((p) => p.name === 'ours')) fail('--policies must include ours');
if (storeName !== 'memory' && policies.some((p) => p.selection !== 'lru'))
  fail('--store sql|redis runs ours and lru-hold900 only: the random and mru orders exist in the in-memory engine alone');
// The real store of --store: every run leases in a pool of its own, on the same virtual clock.
const sweepStore: RealStore | null =
  storeName === 'sql' ? await openSqlStore(process.env.DATABASE_URL) : storeName === 'redis' ? await openRedisStore(process.env.REDIS_URL!) : null;
// Interrupted (Ctrl-C): the current run stops at its next event, then the store closes (the Redis store's keys
// under the run's own prefix go, as at a normal end).
const interrupt = new AbortController();
if (sweepStore) process.once('SIGINT', () => interrupt.abort());
const engineFor = sweepStore
  ? (policy: SimPolicy['lease']) => {
      const pool = { id: newId(), accountId: sweepStore.accountId, policy };
      return { engine: storeEngine(sweepStore.store, sweepStore.db, pool.id), pool };
    }
  : undefined;
const results = new Map<string, Map<number, SizeResult>>();
const bar = new cliProgress.SingleBar(
  { stream: process.stderr, format: 'simulate:pool [{bar}] {value}/{total} runs | {policy} size {size}', noTTYOutput: true, notTTYSchedule: 5000 },
  cliProgress.Presets.shades_classic,
);
// Each policy: its bound, then two bisections (~2·log2(limit)), then the printed grid: an estimate, raised as needed.
const loadRate = values.trace ? busiest : traffic.ratePerHour;
const limits = new Map(policies.map((p) => [p.name, sizeLimit(p, loadRate, meanS)]));
let total = policies.reduce((s, p) => s + 2 * Math.ceil(Math.log2(limits.get(p.name)!)) + 1, 0) + 40;
bar.start(total, 0, { policy: '', size: '' });

const schedules = new Map<SimPolicy, ReturnType<typeof buildSchedule>>();
async function evaluate(policy: SimPolicy, size: number): Promise<SizeResult> {
  let perPolicy = results.get(policy.name);
  if (!perPolicy) {
    perPolicy = new Map();
    results.set(policy.name, perPolicy);
  }
  const hit = perPolicy.get(size);
  if (hit) return hit;
  let schedule = schedules.get(policy);
  if (!schedule) {
    schedule = buildSchedule(visits, policy);
    schedules.set(policy, schedule);
  }
  bar.update({ policy: policy.name, size: String(size) });
  const r = await runSize(visits, schedule, policy, size, {
    seed: traffic.seed,
    signal: interrupt.signal,
    ...(engineFor ? { engine: engineFor } : {}),
  });
  if (interrupt.signal.aborted) {
    bar.stop();
    await sweepStore?.close();
    process.stderr.write('simulate:pool: interrupted\n');
    process.exit(130);
  }
  perPolicy.set(size, r);
  if (bar.getProgress() >= 0.99) {
    total += 10;
    bar.setTotal(total);
  }
  bar.increment();
  return r;
}

const started = Date.now();
const found = new Map<string, { n95: number | null; n99: number | null }>();
for (const p of policies) {
  const limit = limits.get(p.name)!;
  const n95 = await smallestSize((n) => evaluate(p, n), 0.95, limit);
  const n99 = await smallestSize((n) => evaluate(p, n), 0.99, limit);
  found.set(p.name, { n95, n99 });
}

// The printed grid: about 12 sizes up to just past the largest N99 found (or ours' bound).
const top = Math.max(...[...found.values()].map((f) => f.n99 ?? 0), Math.ceil(sizeLimit(policies[0]!, loadRate, meanS) / 2));
const sizes = values.sizes
  ? values.sizes.split(',').map((s) => Math.round(num(s, 'sizes', 1, 1, 100_000)))
  : Array.from({ length: 10 }, (_, i) => Math.max(1, Math.round(((i + 1) * top * 1.25) / 10)));
for (const p of policies) for (const n of sizes) await evaluate(p, n);
bar.setTotal(bar.getProgress() * bar.getTotal());
bar.stop();
await sweepStore?.close();

// Verification: a slice of the same traffic through the real stores, in lockstep with the in-memory engine.
const verifications: Verification[] = [];
const verifyList = (values.verify ?? (process.env.REDIS_URL ? 'sql,redis' : 'sql')).split(',').filter((s) => s && s !== 'none');
const verifyHours = num(values['verify-hours'], 'verify-hours', 1, 0.1, 1000);
const sweepSeconds = (Date.now() - started) / 1000;
for (const name of verifyList) {
  if (name !== 'sql' && name !== 'redis') fail(`--verify takes sql, redis or none, got "${name}"`);
  if (name === 'redis' && !process.env.REDIS_URL) fail('--verify redis needs REDIS_URL');
  process.stderr.write(`simulate:pool: replaying ${verifyHours} h on the ${name} store…\n`);
  const real: RealStore = name === 'sql' ? await openSqlStore(process.env.DATABASE_URL) : await openRedisStore(process.env.REDIS_URL!);
  try {
    for (const p of policies.filter((x) => x.selection === 'lru')) {
      const f = found.get(p.name)!;
      // At the policy's N99 (the size that matters); for ours also at a third of it (exhaustion: reclaims, blocking).
      const at = f.n99 ?? limits.get(p.name)!;
      for (const size of p.name === 'ours' ? [at, Math.max(1, Math.round(at / 3))] : [at]) {
        verifications.push(await verifyOn(real, visits, schedules.get(p) ?? buildSchedule(visits, p), p, size, verifyHours));
      }
    }
  } finally {
    await real.close();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2).padStart(6)} %`;
const secs = (x: number | null) => (x === null ? '     –' : `${Math.round(x)}`.padStart(6));
const out: string[] = [];
out.push(
  values.trace
    ? `trace ${values.trace}: ${counted.length} visits, ${counted.filter((v) => v.call).length} calls over ${spanH.toFixed(1)} h, busiest hour ${busiest} visits, mean visit ${meanS.toFixed(0)} s`
    : `traffic: ${traffic.ratePerHour} visits/h, visits ${traffic.session.kind} mean ${meanS.toFixed(0)} s, ${traffic.inVisitShare * 100} % of calls in the visit, the rest Exp(${traffic.afterDelayMeanS} s) after; ` +
        `bots ${traffic.botShare * 100} %, mobile ${traffic.mobileShare * 100} % (tel: taps ${traffic.telClickShare * 100} %), repeat callers ${traffic.repeatShare * 100} %, leave beacons ${traffic.leaveBeaconShare * 100} %; ` +
        `${counted.length} visits over ${traffic.hours} h, seed ${traffic.seed}`,
);
out.push(
  `lease engine: ${sweepStore ? `the gateway's ${sweepStore.name} store` : "the gateway's in-memory engine (MemoryNumberLeaseStore)"}, attribution: the gateway's matcher (matchCall), on a virtual clock`,
);
for (const p of policies) {
  const f = found.get(p.name)!;
  out.push('');
  out.push(
    `${p.name}: ${p.selection.toUpperCase()}, ${p.lease.activeWindowMs / 1000} s active + ${p.lease.holdMs / 1000} s hold` +
      `${p.onEnd === 'leave-beacon' ? ' after the last heartbeat, released on leave' : ' after the visit'}, ${p.matcher === 'gateway' ? 'gateway matcher' : 'last session given the number'}` +
      `${p.botsLeased ? '' : ', crawlers get no pool number'}`,
  );
  out.push('   size   correct     wrong  ambiguous  unmatched   blocked  reuse gap p50 / p5 (s)');
  const rows = [...new Set([...sizes, ...(f.n95 ? [f.n95] : []), ...(f.n99 ? [f.n99] : [])])].sort((a, b) => a - b);
  for (const n of rows) {
    const r = results.get(p.name)!.get(n)!;
    const mark = n === f.n99 ? ' ← N99' : n === f.n95 ? ' ← N95' : '';
    out.push(
      `${String(n).padStart(7)} ${pct(r.correct)} ${pct(r.wrong)} ${pct(r.ambiguous)} ${pct(r.unmatched)} ${pct(r.blocked)}  ${secs(r.reuseGapMedianS)} / ${secs(r.reuseGapP5S)}${mark}`,
    );
  }
  out.push(`  N95 ${f.n95 ?? `never (≤ ${limits.get(p.name)})`}, N99 ${f.n99 ?? `never (≤ ${limits.get(p.name)})`}`);
}
out.push('');
const ours = found.get('ours')!.n99;
for (const b of ['lru-hold900', 'random', 'mru'].filter((x) => found.has(x))) {
  const n = found.get(b)!.n99;
  out.push(
    `ours / ${b} at 99 %: ${ours !== null && n !== null ? (ours / n).toFixed(3) : n === null ? `${b} never reaches 99 %` : 'ours never reaches 99 %'}`,
  );
}
for (const v of verifications) {
  out.push(
    `verified on ${v.store}: ${v.hours} h at size ${v.size}, ${v.ops} operations, ${v.mismatches} different outcomes, ${v.historyMismatches} different history rows` +
      (v.examples.length ? ` (${v.examples.join('; ')})` : ''),
  );
}
out.push(
  `simulated ${[...results.values()].reduce((s, m) => s + m.size, 0)} runs in ${sweepSeconds.toFixed(1)} s, verification ${((Date.now() - started) / 1000 - sweepSeconds).toFixed(1)} s`,
);

if (values.chart) {
  const svg = accuracyChart(
    policies.map((p) => ({
      name: p.name,
      points: [...results.get(p.name)!.values()].map((r) => ({ size: r.size, correct: r.correct })),
      n99: found.get(p.name)!.n99,
    })),
    values.trace ? `Correct matches by pool size: trace ${values.trace}` : `Correct matches by pool size: ${traffic.ratePerHour} visits/h`,
    { x: 'pool size (numbers)', y: 'calls matched to the right visit' },
    Math.max(...sizes),
  );
  writeFileSync(values.chart, svg);
  out.push(`chart written to ${values.chart}`);
}
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ traffic: values.trace ? { trace: values.trace } : traffic, found: Object.fromEntries(found), results: Object.fromEntries([...results].map(([k, m]) => [k, [...m.values()].sort((a, b) => a.size - b.size)])), verifications }, null, 2)}\n`,
  );
}
const n = (name: string) => found.get(name)?.n99;
out.push(
  `simulate:pool: N99 ours ${n('ours') ?? 'never'}, lru-hold900 ${n('lru-hold900') ?? 'never'}, random ${n('random') ?? 'never'}, mru ${n('mru') ?? 'never'}`,
);
process.stdout.write(`${out.join('\n')}\n`);
const bad = verifications.some((v) => v.mismatches > 0 || v.historyMismatches > 0);
process.exit(bad ? 1 : 0);
