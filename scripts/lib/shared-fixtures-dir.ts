/**
 * Where the shared protocol fixtures (`shared/fixtures`: AMI captures, Twilio's spec and signature vectors, CRM and
 * referrer data) are: `SHARED_FIXTURES_DIR` when set; else a `shared/` directory beside the repository, or beside a
 * directory above it (a git worktree nests deeper); else beside the repository this one was cloned from, when that is
 * a local path (a scratch clone made from the working copy).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

function besideOrAbove(start: string): string | undefined {
  let dir = start;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(path.dirname(dir), 'shared', 'fixtures');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

function clonedFrom(): string | undefined {
  try {
    const origin = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const local = origin.startsWith('file://') ? fileURLToPath(origin) : origin;
    return path.isAbsolute(local) && existsSync(local) ? local : undefined;
  } catch {
    return undefined;
  }
}

let found: string | null | undefined;

/** Absolute path of `shared/fixtures`, or undefined when none can be found. */
export function sharedFixturesRoot(): string | undefined {
  if (found !== undefined) return found ?? undefined;
  const fromEnv = process.env.SHARED_FIXTURES_DIR;
  const origin = clonedFrom();
  found =
    (fromEnv && existsSync(fromEnv) ? path.resolve(fromEnv) : undefined) ??
    besideOrAbove(REPO) ??
    (origin ? besideOrAbove(origin) : undefined) ??
    null;
  return found ?? undefined;
}
