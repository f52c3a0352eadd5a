import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../logging/logger.js';
import type { CallEvent } from '../calls/call-events.js';
import { BatchedCallEventWriter } from './batched-call-event-writer.js';
import type { CallEventBatchSink } from './batched-call-event-writer.js';
import type { InboxEntry } from './call-event-inbox-store.js';
import { CallEventJournal } from './call-event-journal.js';

const event = (key: string): CallEvent => ({
  type: 'call.answered',
  provider: 'twilio',
  providerCallId: 'CA1',
  eventKey: key,
  occurredAt: new Date('2026-12-01T10:00:00Z'),
  answeredBy: 'human',
});

/** A stand-in for the inbox table: refuses batches holding a "bad" key (as PostgreSQL does a NUL in jsonb), or fails while `down`. */
class FakeInbox implements CallEventBatchSink {
  rows = new Map<string, InboxEntry>();
  statements = 0;
  down = 0;
  async insertMany(entries: readonly InboxEntry[]): Promise<string[]> {
    this.statements++;
    await new Promise((r) => setImmediate(r));
    if (this.down > 0) {
      this.down--;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }
    if (entries.some((e) => e.event.eventKey.startsWith('bad')))
      throw Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
    const inserted: string[] = [];
    for (const e of entries) {
      if ([...this.rows.values()].some((r) => r.event.eventKey === e.event.eventKey)) continue;
      this.rows.set(e.id, e);
      inserted.push(e.id);
    }
    return inserted;
  }
}

const logger = createLogger({ level: 'silent' });
const journalIn = (dir = mkdtempSync(path.join(tmpdir(), 'writer-'))) => new CallEventJournal(path.join(dir, 'j.jsonl'));

describe('BatchedCallEventWriter', () => {
  it('writes a burst in few statements, journaling each event until its batch landed', async () => {
    const inbox = new FakeInbox();
    const journal = journalIn();
    const writer = new BatchedCallEventWriter({ sink: inbox, logger, journal, batchSize: 100 });
    for (let i = 0; i < 250; i++) writer.submit(event(`k${i}`));
    expect(journal.size).to.equal(250);
    await writer.flush();
    expect(inbox.rows.size).to.equal(250);
    expect(inbox.statements).to.equal(3);
    expect(journal.size).to.equal(0);
    expect(writer.pending).to.equal(0);
  });

  it('writes the good events of a batch with a bad one, and counts the bad one', async () => {
    const inbox = new FakeInbox();
    const rejected: number[] = [];
    const writer = new BatchedCallEventWriter({
      sink: inbox,
      logger,
      journal: journalIn(),
      metrics: { overflowed: () => undefined, rejected: (n) => rejected.push(n) },
    });
    for (let i = 0; i < 40; i++) writer.submit(event(i === 17 ? 'bad17' : `k${i}`));
    await writer.flush();
    expect(inbox.rows.size).to.equal(39);
    expect(writer.totals).to.include({ written: 39, rejected: 1 });
    expect(rejected).to.deep.equal([1]);
  });

  it('retries a batch the database did not take, in order, without losing or doubling', async () => {
    const inbox = new FakeInbox();
    inbox.down = 2;
    const writer = new BatchedCallEventWriter({ sink: inbox, logger, journal: journalIn() });
    for (let i = 0; i < 10; i++) writer.submit(event(`k${i}`));
    for (let i = 0; i < 200 && writer.pending; i++) await new Promise((r) => setTimeout(r, 25));
    expect([...inbox.rows.values()].map((e) => e.event.eventKey)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `k${i}`));
  });

  it('keeps what does not fit the queue on disk only, and writes it once the queue drained', async () => {
    const inbox = new FakeInbox();
    inbox.down = 1;
    const writer = new BatchedCallEventWriter({ sink: inbox, logger, journal: journalIn(), maxQueued: 3 });
    for (let i = 0; i < 12; i++) writer.submit(event(`k${i}`));
    expect(writer.totals.overflowed).to.equal(9);
    expect(writer.pending).to.equal(12);
    for (let i = 0; i < 200 && writer.pending; i++) await new Promise((r) => setTimeout(r, 25));
    expect([...inbox.rows.values()].map((e) => e.event.eventKey)).to.deep.equal(Array.from({ length: 12 }, (_, i) => `k${i}`));
  });

  it('hands what a crashed run left in the journal to the next one, a torn last line skipped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'writer-'));
    const inbox = new FakeInbox();
    inbox.down = 1_000;
    const crashed = new BatchedCallEventWriter({ sink: inbox, logger, journal: journalIn(dir) });
    for (let i = 0; i < 5; i++) crashed.submit(event(`k${i}`));
    const file = path.join(dir, 'j.jsonl');
    // A line cut short by the crash, then the process is gone (no stop).
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, `${text}{"a":"cut","e":{"type":"call.ans`);
    inbox.down = 0;

    const next = new BatchedCallEventWriter({ sink: inbox, logger, journal: journalIn(dir) });
    expect(next.resume()).to.equal(5);
    next.submit(event('k5'));
    await next.flush();
    expect([...inbox.rows.values()].map((e) => e.event.eventKey)).to.deep.equal(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
    expect(readFileSync(file, 'utf8')).to.equal('');
  });

  it('says at stop how many events it wrote and how many it left in the journal', async () => {
    const inbox = new FakeInbox();
    inbox.down = 1_000;
    const journal = journalIn();
    const writer = new BatchedCallEventWriter({ sink: inbox, logger, journal });
    for (let i = 0; i < 4; i++) writer.submit(event(`k${i}`));
    expect(await writer.stop(100)).to.deep.equal({ written: 0, journaled: 4 });
  });
});
