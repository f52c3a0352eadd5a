import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared protocol fixtures live beside the clone (`<repo>/../shared`); a git worktree one level deeper
 * (`<repo>/../../shared`) is accepted too.
 */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function sharedFixturesDir(sub: string): string {
  for (const base of [path.resolve(REPO_ROOT, '../shared'), path.resolve(REPO_ROOT, '../../shared')]) {
    const dir = path.join(base, 'fixtures', sub);
    if (existsSync(dir)) return dir;
  }
  throw new Error(`shared fixtures not found beside ${REPO_ROOT} (expected ../shared/fixtures/${sub})`);
}

export function readSharedFixture(sub: string, name: string): string {
  return readFileSync(path.join(sharedFixturesDir(sub), name), 'utf8');
}

export function listSharedFixtures(sub: string, ext: string): string[] {
  return readdirSync(sharedFixturesDir(sub))
    .filter((f) => f.endsWith(ext))
    .sort();
}
