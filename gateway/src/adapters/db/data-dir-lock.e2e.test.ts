import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DataDirLockedError, acquireDataDirLock, lockPathOf } from './data-dir-lock.js';

describe('data directory lock', () => {
  const dir = () => path.join(mkdtempSync(path.join(tmpdir(), 'gw-lock-')), 'pgdata');

  it('lets one process hold it, and frees it on release', () => {
    const d = dir();
    const release = acquireDataDirLock(d, 'gateway');
    expect(() => acquireDataDirLock(d, 'tool')).to.throw(DataDirLockedError);
    release();
    expect(existsSync(lockPathOf(d))).to.equal(false);
    acquireDataDirLock(d, 'tool')();
  });

  it('refuses while another live process holds it, naming its pid, and takes over a dead one’s', async function () {
    this.timeout(60_000);
    const d = dir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      writeFileSync(lockPathOf(d), JSON.stringify({ pid: holder.pid, host: hostname(), since: new Date().toISOString(), what: 'gateway' }));
      expect(() => acquireDataDirLock(d, 'tool')).to.throw(DataDirLockedError, new RegExp(`gateway \\(pid ${holder.pid}`));
      // A command-line tool says so and stops, before it touches the database.
      const tool = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts', 'latest'], {
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && k !== 'REDIS_URL')),
          DATA_DIR: path.dirname(d),
        },
        encoding: 'utf8',
      });
      expect(tool.status).to.not.equal(0);
      expect(`${tool.stdout}${tool.stderr}`).to.match(/in use by gateway/);
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((r) => holder.once('exit', r));
    acquireDataDirLock(d, 'tool')();
  });
});
