import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from './lib/gateway-process.js';

const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/simulate-pool.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

/** `npm run simulate:pool -- --trace`: a trace written by hand in the format docs/attribution.md documents. */
describe('simulate:pool on a trace', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pool-sim-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replays every documented column, prints the table and the last line, and draws the chart', () => {
    const chart = path.join(dir, 'out.svg');
    const r = run(['--trace', 'scripts/lib/pool-sim/fixtures/hand-trace.csv', '--sizes', '1,20', '--verify', 'none', '--chart', chart]);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    // 12 rows (ISO and epoch times, duration_s, a crawler, a returning visitor); 8 of them call.
    expect(lines[0]).to.match(/: 12 visits, 8 calls over 0\.8 h, busiest hour 12 visits/);
    const ours = lines.slice(lines.findIndex((l) => l.startsWith('ours:')));
    // 20 numbers for 11 human visits: no number is reused, every call reaches its own visit.
    expect(ours.find((l) => /^\s+20 /.test(l))).to.match(/^\s+20 100\.00 % {3}0\.00 % {3}0\.00 % {3}0\.00 % {3}0\.00 %/);
    // One number: most visits are shown the fallback and their calls go unmatched.
    expect(ours.find((l) => /^\s+1 /.test(l))).to.match(/^\s+1 \s*\d+\.\d+ %.* [1-9]\d*\.\d+ %\s+\d+\.\d+ %/);
    expect(lines.at(-1)).to.match(/^simulate:pool: N99 ours \d+, lru-hold900 \d+, random (\d+|never), mru (\d+|never)$/);
    const svg = readFileSync(chart, 'utf8');
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg.match(/<path /g), 'a line per policy').to.have.length(4);
  });

  it('stops on a malformed trace with the row at fault (exit 2)', () => {
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'session_id,started_at,ended_at\ns1,2026-03-02T09:00:00Z,2026-03-02T09:01:00Z\ns2,soon,2026-03-02T09:01:00Z\n');
    const r = run(['--trace', bad, '--verify', 'none']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/row 3: started_at "soon"/);
  });
});
