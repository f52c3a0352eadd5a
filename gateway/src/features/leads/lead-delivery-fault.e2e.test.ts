import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { runLeadFaultScenario } from '../../../test/stand-ins/lead-fault-scenario.js';

describe('lead delivery to a CRM without idempotency keys (Bitrix24), under faults, crashes and two workers', function () {
  this.timeout(120_000);
  const t = useTestDatabase();

  it('creates exactly one CRM lead per call, updated by the later event', async () => {
    const f = await runLeadFaultScenario(t.db.knex, 100);
    // biome-ignore lint/suspicious/noConsole: the run's figures are reported, not asserted
    console.log(`bitrix24 lead fault test (${t.db.kind}): ${JSON.stringify(f)}`);
    expect(f.lost).to.equal(0);
    expect(f.duplicates).to.equal(0);
    expect(f.leads).to.equal(f.calls);
    expect(f.updatedWithOutcome).to.equal(f.calls);
    expect(f.crmLeadRows).to.equal(f.calls);
  });

  it('keeps one CRM lead per customer when a third of the calls are repeat calls, under the same faults', async () => {
    const f = await runLeadFaultScenario(t.db.knex, 60, 11, { repeatEvery: 3 });
    // biome-ignore lint/suspicious/noConsole: the run's figures are reported, not asserted
    console.log(`bitrix24 repeat-call fault test (${t.db.kind}): ${JSON.stringify(f)}`);
    // 60 calls, every third a repeat of the caller before: 40 customers.
    expect(f.customers).to.equal(40);
    expect(f.lost).to.equal(0);
    expect(f.duplicates).to.equal(0);
    expect(f.leads).to.equal(40);
    // Every call, repeat or not, has its record row pointing at its lead's CRM lead.
    expect(f.crmLeadRows).to.equal(60);
  });
});
