import { expect } from 'chai';
import { useTestDatabase } from '../../test/helpers/db.js';
import { seedDemo } from './demo-seed.js';

describe('demo seed', () => {
  const t = useTestDatabase();

  it('creates the demo site, channel, pools and numbers once, in a Demo account when there is none', async () => {
    const first = await seedDemo(t.db.knex);
    expect(first.created).to.equal(1 + 1 + 1 + 4 + 12);
    const again = await seedDemo(t.db.knex);
    expect(again).to.deep.include({ siteId: first.siteId, accountId: first.accountId, created: 0 });
    expect(((await t.db.knex('accounts').where({ id: first.accountId }).first()) as { name: string }).name).to.equal('Demo');
    const pools = (await t.db.knex('pools').where({ site_id: first.siteId }).orderBy('name')) as { name: string; kind: string }[];
    expect(pools.map((p) => `${p.kind} ${p.name}`)).to.deep.equal([
      'static Google Ads +14155550100',
      'static Google Ads +74951234567',
      'session Website +14155550100',
      'session Website +74951234567',
    ]);
    const numbers = (await t.db.knex('tracking_numbers').where({ site_id: first.siteId })) as { forward_to: string }[];
    expect(numbers).to.have.length(12);
    expect(new Set(numbers.map((n) => n.forward_to))).to.deep.equal(new Set(['+14155550199']));
  });
});
