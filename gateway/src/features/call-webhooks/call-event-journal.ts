import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { CallEvent } from '../calls/call-events.js';
import type { InboxEntry } from './call-event-inbox-store.js';

type Line = { a: string; e: CallEvent & { occurredAt: string }; t: number } | { d: string | string[] };

/** Past this size the file is rewritten with only what is still pending (it is emptied whenever nothing is). */
const COMPACT_AT_BYTES = 64 * 1024 * 1024;

/**
 * Every call event the gateway accepted and has not yet written to the database, on local disk: an event is
 * appended (`a`) before its webhook is answered and marked done (`d`, one line per written batch) once its batch is
 * in the database, so neither a stop nor a crash loses a call Twilio was told to connect. A restart replays what is
 * left; the inbox's unique key makes a replay of an event that did land harmless.
 *
 * Lines go to the page cache with one write(2) each (no fsync on the answer's path): they survive a crash of the
 * process (`kill -9`, out of memory), not of the machine.
 */
export class CallEventJournal {
  private fd: number | null = null;
  private pendingCount = 0;

  constructor(private readonly file: string) {}

  private open(): number {
    if (this.fd === null) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    return this.fd;
  }

  /** Events added and not yet done. */
  get size(): number {
    return this.pendingCount;
  }

  add(e: InboxEntry): void {
    writeSync(this.open(), `${JSON.stringify({ a: e.id, e: e.event, t: e.receivedAt })}\n`);
    this.pendingCount++;
  }

  done(ids: readonly string[]): void {
    if (!ids.length) return;
    this.pendingCount = Math.max(0, this.pendingCount - ids.length);
    const fd = this.open();
    if (this.pendingCount === 0) ftruncateSync(fd, 0);
    else {
      writeSync(fd, `${JSON.stringify({ d: ids })}\n`);
      if (fstatSync(fd).size > COMPACT_AT_BYTES) this.compact();
    }
  }

  /**
   * What the file holds as pending (a previous run's leftovers, or events that did not fit the writer's queue), up
   * to `limit`, oldest first; `total` counts them all. Lines cut short by a crash are skipped.
   */
  pending(limit: number): { entries: InboxEntry[]; total: number } {
    const left = this.scan();
    this.pendingCount = left.size;
    const entries: InboxEntry[] = [];
    for (const e of left.values()) {
      if (entries.length >= limit) break;
      entries.push(e);
    }
    return { entries, total: left.size };
  }

  /** Rewrites the file with only its pending events (at start, and when it grew large). */
  compact(): number {
    const left = this.scan();
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, [...left.values()].map((e) => `${JSON.stringify({ a: e.id, e: e.event, t: e.receivedAt })}\n`).join(''));
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    // rename(2) replaces the file in one step: a crash leaves either the old file or the new one, never a mix.
    renameSync(tmp, this.file);
    this.pendingCount = left.size;
    return left.size;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private scan(): Map<string, InboxEntry> {
    const added = new Map<string, InboxEntry>();
    if (!existsSync(this.file)) return added;
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (!text.trim()) continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue; // a line cut short by the crash
      }
      if ('d' in line) for (const id of Array.isArray(line.d) ? line.d : [line.d]) added.delete(id);
      else if (line.a && line.e?.eventKey)
        added.set(line.a, { id: line.a, event: { ...line.e, occurredAt: new Date(line.e.occurredAt) } as CallEvent, receivedAt: line.t });
    }
    return added;
  }
}

/** The journals of one gateway (host and port) start with this; worker n > 0 adds `-w<n>`. */
const journalPrefix = (port: number): string => `pending-call-events-${hostname()}-${port}`;
const journalName = (port: number, index: number): string => `${journalPrefix(port)}${index ? `-w${index}` : ''}.jsonl`;

/** The journal of cluster worker `index` of the gateway on this host and port (0: also a gateway of one process). */
export function journalFileOf(config: { dataDir: string; http: { port: number } }, index: number): string {
  return path.join(config.dataDir, journalName(config.http.port, index));
}

/**
 * Worker 0, at its start (before the other workers are forked): the journals of workers this host's cluster no longer
 * has (GATEWAY_WORKERS lowered since they ran) are appended to its own and removed, so their events are replayed
 * here. Lines are independent (an add or a done by id), so the union is the same set of pending events; a crash
 * between the append and the removal replays them twice, which the inbox's unique key makes harmless.
 */
export function adoptJournals(config: { dataDir: string; http: { port: number } }, workerCount: number): string[] {
  if (!existsSync(config.dataDir)) return [];
  const own = journalFileOf(config, 0);
  const prefix = `${journalPrefix(config.http.port)}-w`;
  const adopted: string[] = [];
  for (const name of readdirSync(config.dataDir)) {
    const m = name.startsWith(prefix) && /^(\d+)\.jsonl$/.exec(name.slice(prefix.length));
    if (!m || Number(m[1]) < workerCount) continue;
    const file = path.join(config.dataDir, name);
    // The leading newline ends a line a crash may have cut short at the end of our own file.
    appendFileSync(own, `\n${readFileSync(file, 'utf8')}`);
    unlinkSync(file);
    adopted.push(name);
  }
  return adopted;
}
