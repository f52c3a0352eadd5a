import { expect } from 'chai';
import { createContainer } from '../src/composition-root.js';
import { createTestConfig } from './helpers/config.js';
import { useTestDatabase } from './helpers/db.js';

describe('first start', () => {
  const t = useTestDatabase();

  it('creates exactly one owner when replicas bootstrap at once, using the configured key and password', async () => {
    const apiKey = `ctk_${'k'.repeat(40)}`;
    const config = createTestConfig({ bootstrap: { email: 'boss@example.com', password: 'a configured password', apiKey } });
    const container = await createContainer(config, { database: t.db, defaultMetrics: false });
    try {
      const results = await Promise.all([container.bootstrap(), container.bootstrap(), container.bootstrap()]);
      const created = results.filter((r) => r !== null);
      expect(created).to.have.length(1);
      expect(created[0]).to.include({ email: 'boss@example.com', generatedPassword: null, generatedApiKey: null });
      expect(await t.db.knex('accounts').count('* as n').first()).to.deep.equal({ n: 1 });
      const principal = await container.services.auth.authenticateApiKey(apiKey);
      expect(principal?.role).to.equal('owner');
      const session = await container.services.auth.login('boss@example.com', 'a configured password', { ip: null, userAgent: null });
      expect(session.principal.role).to.equal('owner');
    } finally {
      await container.stop();
    }
  });
});
