import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../logging/logger.js';
import type { CallEvent, CallEventSink } from '../calls/call-events.js';
import { AnswerGate } from './answer-gate.js';
import { PendingCallEventJournal } from './pending-call-event-journal.js';
import { MAX_GATE_WAIT_MS, RetryingCallEventWriter } from './retrying-call-event-writer.js';

const event = (key: string): CallEvent => ({
  type: 'call.answered',
  provider: 'twilio',
  providerCallId: 'CA1',
  eventKey: key,
  occurredAt: new Date(),
  answeredBy: 'human',
});

class FlakySink implements CallEventSink {
  applied: string[] = [];
  failuresLeft: number;
  running = 0;
  maxRunning = 0;
  constructor(failures: number) {
    this.failuresLeft = failures;
  }
  async apply(e: CallEvent): Promise<void> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await new Promise((r) => setImmediate(r));
      if (this.failuresLeft > 0) {
        this.failuresLeft--;
        throw new Error('database down');
      }
      this.applied.push(e.eventKey);
    } finally {
      this.running--;
    }
  }
}

async function until(fn: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1_000 && !fn(); i++) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RetryingCallEventWriter', () => {
  const logger = createLogger({ level: 'silent' });

  it('retries a failed write until it lands, and reports it pending meanwhile', async () => {
    const sink = new FlakySink(3);
    const w = new RetryingCallEventWriter(sink, logger);
    w.submit(event('a'));
    expect(w.pending).to.equal(1);
    await until(() => sink.applied.length === 1);
    expect(sink.applied).to.deep.equal(['a']);
    await until(() => w.pending === 0);
    await w.stop();
  });

  it('answers applyWithin true when the write lands, false when the database is down (and keeps trying)', async () => {
    const ok = new RetryingCallEventWriter(new FlakySink(0), logger);
    expect(await ok.applyWithin(event('b'), 1_000)).to.equal(true);
    const sink = new FlakySink(2);
    const down = new RetryingCallEventWriter(sink, logger);
    expect(await down.applyWithin(event('c'), 1_000)).to.equal(false);
    await until(() => sink.applied.includes('c'));
    await ok.stop();
    await down.stop();
  });

  it('never runs more writes at once than allowed', async () => {
    const sink = new FlakySink(0);
    const w = new RetryingCallEventWriter(sink, logger, { maxConcurrent: 2 });
    for (let i = 0; i < 20; i++) w.submit(event(`e${i}`));
    await until(() => sink.applied.length === 20);
    expect(sink.maxRunning).to.equal(2);
    await w.stop();
  });
  it('starts no write while a voice answer is being built, and waits for one at most MAX_GATE_WAIT_MS', async () => {
    const sink = new FlakySink(0);
    const gate = new AnswerGate();
    const w = new RetryingCallEventWriter(sink, logger, { gate });
    gate.enter();
    w.submit(event('held'));
    await new Promise((r) => setTimeout(r, 10));
    expect(sink.applied).to.deep.equal([]);
    gate.leave();
    await until(() => sink.applied.length === 1);

    // A gate that is never left delays a write, it never stops one.
    gate.enter();
    w.submit(event('late'));
    await new Promise((r) => setTimeout(r, MAX_GATE_WAIT_MS / 5));
    expect(sink.applied).to.deep.equal(['held']);
    await until(() => sink.applied.length === 2);
    expect(sink.applied).to.deep.equal(['held', 'late']);
    gate.leave();
    await w.stop();
  });
  it('keeps a write that failed on disk, and a restarted writer lands it, then empties the journal', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'journal-')), 'pending.jsonl');
    const down = new FlakySink(1_000);
    const first = new RetryingCallEventWriter(down, logger, { journal: new PendingCallEventJournal(file) });
    first.submit(event('kept'));
    first.submit(event('also-kept'));
    await until(() => down.failuresLeft <= 998);
    await first.stop(10);
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(2);
    // A crash can leave half a line behind.
    appendFileSync(file, '{"a":"cut sho');

    const up = new FlakySink(0);
    const second = new RetryingCallEventWriter(up, logger, { journal: new PendingCallEventJournal(file) });
    expect(second.resume()).to.equal(2);
    await until(() => up.applied.length === 2);
    expect(up.applied.sort()).to.deep.equal(['also-kept', 'kept']);
    const replayed = up.applied.length;
    await second.stop();
    expect(readFileSync(file, 'utf8')).to.equal('');
    // Nothing is replayed twice.
    const third = new RetryingCallEventWriter(up, logger, { journal: new PendingCallEventJournal(file) });
    expect(third.resume()).to.equal(0);
    expect(up.applied).to.have.length(replayed);
    await third.stop();
  });

  it('writes nothing to the journal while the database is healthy', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'journal-')), 'pending.jsonl');
    const sink = new FlakySink(0);
    const w = new RetryingCallEventWriter(sink, logger, { journal: new PendingCallEventJournal(file) });
    for (let i = 0; i < 10; i++) w.submit(event(`ok-${i}`));
    await until(() => sink.applied.length === 10);
    await w.stop();
    expect(() => readFileSync(file)).to.throw(/ENOENT/);
  });
});
