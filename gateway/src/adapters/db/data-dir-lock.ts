import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * PGlite is one in-process PostgreSQL over files: two processes opening the same data directory corrupt it. The
 * first process to open it writes `<dataDir>.lock` (beside it, so the directory itself stays PGlite's); another
 * process — a second gateway or a command-line tool while the gateway runs — is refused with the holder's pid. A lock
 * left by a process that died (no such pid on this host) is taken over.
 */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

interface LockFile {
  pid: number;
  host: string;
  since: string;
  what: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function lockPathOf(dataDir: string): string {
  return `${path.resolve(dataDir).replace(/[/\\]+$/, '')}.lock`;
}

/** Takes the lock or throws DataDirLockedError; returns the release function. */
export function acquireDataDirLock(dataDir: string, what = path.basename(process.argv[1] ?? 'node')): () => void {
  const file = lockPathOf(dataDir);
  const mine: LockFile = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if ((JSON.parse(readFileSync(file, 'utf8')) as LockFile).pid === process.pid) rmSync(file, { force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let held: LockFile | null = null;
      try {
        held = JSON.parse(readFileSync(file, 'utf8')) as LockFile;
      } catch {
        held = null;
      }
      if (held && held.pid !== process.pid && (held.host !== hostname() || alive(held.pid))) {
        throw new DataDirLockedError(
          `The embedded database in ${dataDir} is in use by ${held.what} (pid ${held.pid} on ${held.host}, since ${held.since}); stop it first`,
        );
      }
      if (held?.pid === process.pid) throw new DataDirLockedError(`The embedded database in ${dataDir} is already open in this process`);
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(file, { force: true });
    }
  }
  throw new DataDirLockedError(`Could not lock ${dataDir}`);
}
