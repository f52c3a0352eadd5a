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
      'static Google Ads +1 415 555 0100',
      'static Google Ads +7 495 123 45 67',
      'session Website +1 415 555 0100',
      'session Website +7 495 123 45 67',
    ]);
    const numbers = (await t.db.knex('tracking_numbers').where({ site_id: first.siteId })) as { forward_to: string }[];
    expect(numbers).to.have.length(12);
    expect(new Set(numbers.map((n) => n.forward_to))).to.deep.equal(new Set(['+14155550199']));
  });
});
