/**
 * CPU time of processes from /proc (Linux): what a benchmark on a shared machine can compare, where req/s and p99
 * move with everyone else's load. Clock ticks are 10 ms (CLK_TCK 100), so a round must run for seconds.
 */
import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';

const TICK_US = 10_000;

/** User + system CPU of a process, all its threads, in µs; 0 once it is gone. */
export function cpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at its closing parenthesis: utime is the 14th field.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return 0;
  }
}

/** `cpuMicros` of a process and of its children (a gateway of GATEWAY_WORKERS processes: its primary and workers). */
export function treeCpuMicros(pid: number): number {
  let sum = cpuMicros(pid);
  for (const us of childrenCpuMicros(pid).values()) sum += us;
  return sum;
}

/** `cpuMicros` of each child of a process, by pid (empty when it has none, or is gone). */
export function childrenCpuMicros(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    for (const c of children) out.set(c, cpuMicros(c));
  } catch {
    /* gone, or a kernel without the children list */
  }
  return out;
}

/**
 * CPU of the PostgreSQL backends connected to one database, between `start()` and `stop()`. Backends that connect
 * or leave in between are counted from when they are first seen (each call lists them again).
 */
export function pgBackendsCpu(admin: Knex, database: string): { start(): Promise<void>; stop(): Promise<number> } {
  const seen = new Map<number, number>();
  const list = async (): Promise<number[]> =>
    ((await admin.raw('SELECT pid FROM pg_stat_activity WHERE datname = ?', [database])) as { rows: { pid: number }[] }).rows.map((r) => r.pid);
  return {
    async start() {
      seen.clear();
      for (const pid of await list()) seen.set(pid, cpuMicros(pid));
    },
    async stop() {
      let total = 0;
      for (const pid of await list()) if (!seen.has(pid)) seen.set(pid, 0);
      for (const [pid, before] of seen) total += Math.max(0, cpuMicros(pid) - before);
      return total;
    },
  };
}

/**
 * The whole machine's busy CPU so far, µs over all cores (/proc/stat: everything but idle and iowait). With the
 * processes' own figures it accounts for a benchmark's CPU: what none of them spent is the kernel's and everyone else's.
 */
export function machineBusyMicros(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - f[3]! - f[4]!) * TICK_US;
  } catch {
    return 0;
  }
}
