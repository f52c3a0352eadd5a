/**
 * autocannon driven the way the HTTP benchmarks need it: fixed connections, a browser user agent, a body (or a
 * sequence of requests) built per request, and rounds combined as mean throughput, median p50 and worst p99.
 */
import { createRequire } from 'node:module';

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** One request of a sequence; `setupRequest` may read and write the connection's `context`. */
export interface BenchRequest {
  method?: string;
  path?: string;
  setupRequest?: (req: Record<string, unknown>, context: Record<string, unknown>) => Record<string, unknown>;
  /** Reads the answer into the connection's `context` (autocannon passes the body as a string). */
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

// A browser's user agent: the gateway gives crawlers (and clients without one) no pool number.
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export function drive(opts: {
  url: string;
  connections: number;
  seconds: number;
  requests: readonly BenchRequest[];
  /** Requests per second over all connections (autocannon's overallRate); as fast as answered when absent. */
  rate?: number;
}): Promise<AutocannonResult> {
  return autocannon({
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    url: opts.url,
    method: 'POST',
    connections: opts.connections,
    duration: opts.seconds,
    headers: { 'content-type': 'text/plain', 'user-agent': BROWSER_UA },
    requests: opts.requests.map((r) => ({ method: 'POST', ...r })),
  });
}

/** Rounds together: mean throughput, median p50, worst p99, summed failures. */
export function combine(rs: readonly AutocannonResult[]): AutocannonResult {
  const p50s = rs.map((r) => r.latency.p50).sort((a, b) => a - b);
  return {
    requests: { average: rs.reduce((s, r) => s + r.requests.average, 0) / rs.length, total: rs.reduce((s, r) => s + r.requests.total, 0) },
    latency: {
      p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
      p99: Math.max(...rs.map((r) => r.latency.p99)),
      average: rs.reduce((s, r) => s + r.latency.average, 0) / rs.length,
    },
    non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
    errors: rs.reduce((s, r) => s + r.errors, 0),
    timeouts: rs.reduce((s, r) => s + r.timeouts, 0),
  };
}

export const fmt = (r: AutocannonResult): string =>
  `${String(Math.round(r.requests.average)).padStart(6)} req/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(5)} ms  non-2xx ${r.non2xx}  errors ${r.errors + r.timeouts}`;
