import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedFixturesRoot } from '../../../scripts/lib/shared-fixtures-dir.js';

function findSharedDir(): string {
  const root = sharedFixturesRoot();
  if (!root) throw new Error('shared/fixtures not found beside the repository (or set SHARED_FIXTURES_DIR)');
  return root;
}

/** Absolute path of a file under shared/fixtures/. */
export function sharedFixturePath(relative: string): string {
  return path.join(findSharedDir(), relative);
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
