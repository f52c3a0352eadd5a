import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/**
 * GATEWAY_WORKERS > 1 (server mode): the process that was started becomes a small primary that forks that many gateway
 * processes sharing the listening socket (node:cluster). Each worker is a full gateway, the same as a replica on
 * another host (leases, locks, leadership and the live feed already go through Redis and PostgreSQL). What is
 * per process and must not collide, a worker names by its index (GATEWAY_WORKER_INDEX): its call-event journal and
 * its consumer name on the lease-history streams.
 *
 * Why: one gateway process is one thread for HTTP, JSON and the write-behind; on a machine with more cores the
 * rest sat idle (docs/performance.md, "Server mode: more than one process").
 */

const READY = 'gateway:ready';
/** worker → primary: the cluster's metrics, please; primary → worker: here they are. */
const METRICS_REQ = 'gateway:metrics-request';
const METRICS_RES = 'gateway:metrics-result';
/** primary → each listening worker: your own metrics; and the answer. */
const COLLECT = 'gateway:metrics-collect';
const COLLECTED = 'gateway:metrics-collected';
const COLLECT_TIMEOUT_MS = 5_000;
/** Restarts of crashed workers allowed within RESTART_WINDOW_MS before the primary gives up and stops all. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;
/** Past each worker's own 9.5 s hard stop. */
const STOP_GRACE_MS = 12_000;

type Metrics = MetricObjectWithValues<MetricValue<string>>[];
type Message = { type?: string; id?: number; text?: string; error?: string; metrics?: Metrics };

/**
 * Runs the primary: forks worker 0 first and waits until it listens, so the first start's one-time work (migrations,
 * the owner, the demo seed) runs once, then the others. A crashed worker is forked again under its index; SIGTERM and
 * SIGINT are passed on, and the primary exits when every worker has (1 if any failed to stop cleanly).
 */
export function runPrimary(count: number, log: (line: string) => void): Promise<never> {
  // Each worker accepts from the shared socket itself. With node's default on Linux (the primary accepts and hands
  // each connection over IPC) a burst of 200 voice webhooks on fresh connections had p99 117-260 ms against bare
  // node:http's 83-130 ms in the same runs; accepting in the workers, 68-126 ms against 106-132 (bench:voice, two
  // workers, four and three runs). bench:dni's 50 kept-alive connections ran as fast, spread evenly (45-55 % of the
  // work each). NODE_CLUSTER_SCHED_POLICY=rr, when set, is kept.
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;
  const indexOf = new Map<number, number>();
  /** Workers that listen: only they are asked for their metrics (one still starting would not answer). */
  const listening = new Set<Worker>();
  const restarts: number[] = [];
  let stopping = false;
  /** The primary's exit status: 1 once a worker failed to stop cleanly, the first worker's own when it could not start. */
  let status = 0;
  let allUp = false;

  let nextCollect = 0;
  const collecting = new Map<number, { pending: Set<Worker>; got: Metrics[]; finish: () => void }>();
  // prom-client's own cluster support asks every connected worker, and times out on one that has not started yet.
  const clusterMetrics = async (): Promise<string> => {
    const id = nextCollect++;
    const got: Metrics[] = [];
    await new Promise<void>((finish) => {
      const pending = new Set(listening);
      collecting.set(id, { pending, got, finish });
      for (const w of pending) w.send({ type: COLLECT, id });
      // A worker that does not answer in time is left out of this answer rather than failing it.
      setTimeout(finish, COLLECT_TIMEOUT_MS).unref();
      if (pending.size === 0) finish();
    });
    collecting.delete(id);
    return AggregatorRegistry.aggregate(got).metrics();
  };
  const collected = (w: Worker, m: Message): void => {
    const c = m.id === undefined ? undefined : collecting.get(m.id);
    if (!c?.pending.delete(w)) return;
    if (m.metrics) c.got.push(m.metrics);
    if (c.pending.size === 0) c.finish();
  };

  return new Promise<never>(() => {
    const exitWhenAllGone = (): void => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(status);
    };
    const fork = (index: number): Worker => {
      const w = cluster.fork({ GATEWAY_WORKER_INDEX: String(index) });
      indexOf.set(w.id, index);
      w.on('message', (m: Message) => {
        if (m?.type === READY) {
          listening.add(w);
          if (listening.size === count && !allUp) {
            allUp = true;
            log(`all ${count} gateway processes are listening`);
          }
        } else if (m?.type === COLLECTED) collected(w, m);
        else if (m?.type === METRICS_REQ)
          clusterMetrics().then(
            (text) => w.send({ type: METRICS_RES, id: m.id, text }),
            (err: unknown) => w.send({ type: METRICS_RES, id: m.id, error: String((err as Error).message ?? err) }),
          );
      });
      return w;
    };
    const stopAll = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
      setTimeout(() => {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        process.exit(1);
      }, STOP_GRACE_MS).unref();
      exitWhenAllGone();
    };
    process.on('SIGTERM', () => stopAll('SIGTERM'));
    process.on('SIGINT', () => stopAll('SIGINT'));

    cluster.on('exit', (w, code, signal) => {
      const index = indexOf.get(w.id) ?? -1;
      indexOf.delete(w.id);
      listening.delete(w);
      for (const c of collecting.values()) if (c.pending.delete(w) && c.pending.size === 0) c.finish();
      if (stopping) {
        // Ended by the stop signal itself: a worker still loading, before it handles signals, with nothing to drain.
        if (code !== 0 && !(code === null && (signal === 'SIGTERM' || signal === 'SIGINT'))) status = 1;
        return exitWhenAllGone();
      }
      const now = Date.now();
      while (restarts.length && now - restarts[0]! > RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length >= MAX_RESTARTS) {
        log(`gateway worker ${index} exited (${signal ?? code}); ${MAX_RESTARTS} restarts within a minute, stopping`);
        status = 1;
        return stopAll('SIGTERM');
      }
      restarts.push(now);
      log(`gateway worker ${index} exited (${signal ?? code}); starting it again`);
      setTimeout(() => {
        if (!stopping) fork(index);
      }, RESTART_DELAY_MS).unref();
    });

    const first = fork(0);
    // The first worker failing to start (bad configuration, no database) ends the primary with it: restarting would
    // fail the same way.
    const onFirstExit = (code: number | null): void => {
      stopping = true;
      status = code || 1;
      exitWhenAllGone();
    };
    const onFirst = (m: Message): void => {
      if (m?.type !== READY) return;
      first.off('message', onFirst);
      first.off('exit', onFirstExit);
      for (let i = 1; i < count; i++) fork(i);
    };
    first.on('message', onFirst);
    first.once('exit', onFirstExit);
  });
}

/** In a worker: tells the primary this process is listening (the next workers may start). */
export function reportReady(): void {
  if (cluster.isWorker) process.send?.({ type: READY });
}

/** In a worker: answers the primary's requests for this process's metrics. */
export function shareMetrics(registry: Registry): void {
  if (!cluster.isWorker) return;
  process.on('message', (m: Message) => {
    if (m?.type !== COLLECT) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: COLLECTED, id: m.id, metrics }),
      () => process.send?.({ type: COLLECTED, id: m.id }),
    );
  });
}

let nextRequest = 0;
const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
let answersHeard = false;

/**
 * The metrics text of the whole cluster when this process is a worker of one (the primary sums counters and
 * histograms over the workers and takes the largest of gauges of shared state), else this registry's own.
 */
export function metricsText(registry: Registry): Promise<string> {
  if (!cluster.isWorker || !process.send) return registry.metrics();
  if (!answersHeard) {
    answersHeard = true;
    process.on('message', (m: Message) => {
      if (m?.type !== METRICS_RES || m.id === undefined) return;
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve(m.text ?? '');
    });
  }
  const id = nextRequest++;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('the cluster primary did not answer with the metrics'));
    }, COLLECT_TIMEOUT_MS + 1_000);
    waiting.set(id, {
      resolve: (t) => {
        clearTimeout(timer);
        resolve(t);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
    process.send?.({ type: METRICS_REQ, id });
  });
}
