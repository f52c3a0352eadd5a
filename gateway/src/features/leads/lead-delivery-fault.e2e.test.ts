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
});
