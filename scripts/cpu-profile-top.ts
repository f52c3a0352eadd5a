/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`), as docs/performance.md lists them:
 *   npx tsx scripts/cpu-profile-top.ts <file.cpuprofile> [count]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, count = '20'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpu-profile-top <file.cpuprofile> [count]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const f = byId.get(id)?.callFrame;
  const where = f?.url ? `${f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(gateway|scripts)\//, '$1/')}:${f.lineNumber + 1}` : '';
  const key = `${f?.functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const idle = self.get('(idle)') ?? 0;
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * idle) / total).toFixed(1)} % idle\n`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count)))
  process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}\n`);
