import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { CallEvent } from '../calls/call-events.js';
import { CallEventJournal, adoptJournals, journalFileOf } from './call-event-journal.js';

const event = (key: string): CallEvent => ({
  type: 'call.answered',
  provider: 'twilio',
  providerCallId: 'CA1',
  eventKey: key,
  occurredAt: new Date('2026-12-01T10:00:00Z'),
  answeredBy: 'human',
});

describe('call-event journals of a cluster', () => {
  it('names one file per worker, the first as a single process always has', () => {
    const config = { dataDir: '/d', http: { port: 3000 } };
    expect(path.basename(journalFileOf(config, 0))).to.match(/^pending-call-events-.+-3000\.jsonl$/);
    expect(path.basename(journalFileOf(config, 2))).to.match(/^pending-call-events-.+-3000-w2\.jsonl$/);
  });

  it("replays in worker 0 what workers the cluster no longer has left pending, and leaves the running workers' files alone", () => {
    const config = { dataDir: mkdtempSync(path.join(tmpdir(), 'journals-')), http: { port: 3000 } };
    const own = new CallEventJournal(journalFileOf(config, 0));
    own.add({ id: 'a0', event: event('k0'), receivedAt: 1 });
    own.close();
    const kept = new CallEventJournal(journalFileOf(config, 1));
    kept.add({ id: 'b1', event: event('k1'), receivedAt: 2 });
    kept.close();
    const gone = new CallEventJournal(journalFileOf(config, 3));
    gone.add({ id: 'c1', event: event('k2'), receivedAt: 3 });
    gone.add({ id: 'c2', event: event('k3'), receivedAt: 4 });
    gone.done(['c1']);
    gone.close();
    // Another port's journal is another gateway's.
    const other = new CallEventJournal(journalFileOf({ ...config, http: { port: 3001 } }, 5));
    other.add({ id: 'd1', event: event('k4'), receivedAt: 5 });
    other.close();

    expect(adoptJournals(config, 2).map((n) => n.replace(/^.*-w/, 'w'))).to.deep.equal(['w3.jsonl']);
    expect(existsSync(journalFileOf(config, 3))).to.equal(false);
    expect(existsSync(journalFileOf(config, 1))).to.equal(true);
    expect(existsSync(journalFileOf({ ...config, http: { port: 3001 } }, 5))).to.equal(true);
    const pending = new CallEventJournal(journalFileOf(config, 0)).pending(10);
    expect(pending.entries.map((e) => e.id)).to.deep.equal(['a0', 'c2']);
    expect(pending.entries[1]!.event.occurredAt).to.be.instanceOf(Date);
  });
});
