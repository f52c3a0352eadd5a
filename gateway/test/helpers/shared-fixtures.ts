import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared protocol fixtures live in a `shared/` directory beside the repository (`<repo>/../shared`); a working
 * copy nested deeper (a git worktree) finds it further up. Searched upwards from the repository root.
 */
function findSharedDir(): string {
  let dir = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(path.dirname(dir), 'shared', 'fixtures');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('shared/fixtures not found beside the repository');
}

let sharedDir: string | null = null;

/** Absolute path of a file under shared/fixtures/. */
export function sharedFixturePath(relative: string): string {
  sharedDir ??= findSharedDir();
  return path.join(sharedDir, relative);
}

export function readSharedJson<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(sharedFixturePath(relative), 'utf8')) as T;
}

/** Absolute path of a directory under shared/fixtures/. */
export function sharedFixturesDir(sub: string): string {
  return sharedFixturePath(sub);
}

export function readSharedFixture(sub: string, name: string): string {
  return readFileSync(path.join(sharedFixturesDir(sub), name), 'utf8');
}

export function listSharedFixtures(sub: string, ext: string): string[] {
  return readdirSync(sharedFixturesDir(sub))
    .filter((f) => f.endsWith(ext))
    .sort();
}
