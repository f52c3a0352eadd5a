import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { newId } from '../../shared/ids.js';

describe('outbox retention (outbox.prune)', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(t.db);
  });
  after(() => gw.stop());

  it('deletes delivered rows past the retention (30 days) and keeps the rest', async () => {
    const day = 86_400_000;
    const ago = (days: number) => new Date(Date.now() - days * day);
    const rows = [
      { tag: 'delivered-old', status: 'delivered', delivered_at: ago(31), created_at: ago(31) },
      { tag: 'delivered-older', status: 'delivered', delivered_at: ago(400), created_at: ago(400) },
      { tag: 'delivered-recent', status: 'delivered', delivered_at: ago(29), created_at: ago(40) },
      { tag: 'dead-old', status: 'dead', delivered_at: null, created_at: ago(90) },
      { tag: 'pending-old', status: 'pending', delivered_at: null, created_at: ago(90) },
      { tag: 'cancelled-old', status: 'cancelled', delivered_at: null, created_at: ago(90) },
    ].map(({ tag, ...r }) => ({
      id: newId(),
      account_id: gw.accountId,
      topic: 'crm.lead',
      dedupe_key: `prune:${tag}:${newId()}`,
      payload: '{}',
      ...r,
    }));
    await t.db.knex('outbox').insert(rows);
    await gw.container.scheduler.runNow('outbox.prune');
    const left = (
      await t.db
        .knex('outbox')
        .whereIn(
          'id',
          rows.map((r) => r.id),
        )
        .select('dedupe_key')
    ).map((r: { dedupe_key: string }) => r.dedupe_key.split(':')[1]);
    expect(left.sort()).to.deep.equal(['cancelled-old', 'dead-old', 'delivered-recent', 'pending-old']);
  });
});
