import { expect } from 'chai';
import { seedSite } from '../../../test/helpers/call-fixtures.js';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { startTestGateway } from '../../../test/helpers/gateway.js';
import type { TestGateway } from '../../../test/helpers/gateway.js';
import { newId } from '../../shared/ids.js';

describe('inquiries list paging', () => {
  const t = useTestDatabase();
  let gw: TestGateway;
  const ids: string[] = [];

  before(async () => {
    gw = await startTestGateway(t.db);
    const siteId = await seedSite(t.db.knex, gw.accountId);
    // Seven forms in one microsecond (a batch import, one transaction's now()), two older ones apart.
    const rows = [...Array.from({ length: 7 }, () => '2026-03-01T10:00:00.123456Z'), '2026-03-01T09:00:00.000001Z', '2026-03-01T08:00:00Z'].map(
      (at) => ({ id: newId(), account_id: gw.accountId, site_id: siteId, kind: 'form', origin: 'server', received_at: at }),
    );
    await t.db.knex('inquiries').insert(rows);
    ids.push(...rows.map((r) => r.id));
  });
  after(() => gw.stop());

  type Page = { items: { id: string; at: string }[]; nextBefore: string | null };
  const page = async (q: string): Promise<Page> => {
    const res = await gw.api(`/v1/inquiries?${q}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as Page;
  };

  it('walks every row once with pages that end inside a run of equal timestamps', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p: Page = await page(`limit=2${before ? `&before=${encodeURIComponent(before)}` : ''}`);
      seen.push(...p.items.map((x) => x.id));
      before = p.nextBefore;
      if (!before) break;
    }
    expect(seen).to.have.length(ids.length);
    expect(new Set(seen)).to.deep.equal(new Set(ids));
    const times = seen.map((id) => ids.indexOf(id)).map((k) => (k < 7 ? 3 : k === 7 ? 2 : 1));
    expect(times, 'newest first').to.deep.equal([...times].sort((a, b) => b - a));
  });

  it('still takes a date-time (a period end), and refuses a cursor it did not make', async () => {
    const older = await page(`before=${encodeURIComponent('2026-03-01T10:00:00Z')}`);
    expect(older.items.map((x) => x.id)).to.deep.equal([ids[7], ids[8]]);
    for (const bad of ['2026-03-01T10:00:00.123456Z~', 'yesterday', '2026-13-01T10:00:00.123456Z~ABC', `2026-03-01T10:00:00Z~${ids[0]}`]) {
      const res = await gw.api(`/v1/inquiries?before=${encodeURIComponent(bad)}`);
      expect(res.status, bad).to.equal(400);
    }
  });
});
