import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CallEvent } from '../calls/call-events.js';

export interface JournaledEvent {
  readonly id: string;
  readonly event: CallEvent;
  readonly firstTriedAt: number;
}

type Line = { a: string; e: CallEvent & { occurredAt: string }; t: number } | { d: string };

/**
 * Call events whose write failed, kept on local disk until it lands, so that a restart during a database outage does
 * not lose the calls Twilio was told to connect. Append-only lines (`a`: added, `d`: done); a healthy database never
 * touches the file, and it is emptied whenever nothing is pending. Survives a crash of the process (the lines are in
 * the page cache), not of the machine: nothing is fsynced on the answer's path.
 */
export class PendingCallEventJournal {
  private readonly pending = new Set<string>();

  constructor(private readonly file: string) {}

  /** What a previous run left pending; the file is rewritten with only those. Unreadable lines are skipped. */
  load(): JournaledEvent[] {
    if (!existsSync(this.file)) return [];
    const added = new Map<string, JournaledEvent>();
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (!text.trim()) continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue; // a line cut short by the crash
      }
      if ('d' in line) added.delete(line.d);
      else if (line.a && line.e?.eventKey)
        added.set(line.a, { id: line.a, event: { ...line.e, occurredAt: new Date(line.e.occurredAt) }, firstTriedAt: line.t });
    }
    const left = [...added.values()];
    writeFileSync(this.file, left.map((j) => `${JSON.stringify({ a: j.id, e: j.event, t: j.firstTriedAt })}\n`).join(''));
    for (const j of left) this.pending.add(j.id);
    return left;
  }

  add(j: JournaledEvent): void {
    if (this.pending.has(j.id)) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify({ a: j.id, e: j.event, t: j.firstTriedAt })}\n`);
    this.pending.add(j.id);
  }

  done(id: string): void {
    if (!this.pending.delete(id)) return;
    if (this.pending.size === 0) writeFileSync(this.file, '');
    else appendFileSync(this.file, `${JSON.stringify({ d: id })}\n`);
  }

  get size(): number {
    return this.pending.size;
  }
}
