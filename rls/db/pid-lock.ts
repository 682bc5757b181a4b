/**
 * A lock file that holds the id of the process that took it: `start --data-dir DIR`'s `DIR.lock`
 * (scripts/commands/start.ts) and the initdb lock beside the cached PGlite dump
 * (pglite-cluster.ts). Taken by creating the file (`wx`: one process wins); a lock whose process
 * is gone is removed and taken. The file is read without following a link or blocking on a FIFO,
 * and only when it is a regular file of the current user's (review finding: a FIFO planted as a
 * lock hung `start`).
 */
import { closeSync, constants, fstatSync, openSync, readSync, rmSync, writeSync } from 'node:fs';

/** Whether a process with this id runs (signal 0 probes without sending; EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock file holds: its pid and age; `gone` when there is none; `foreign` when it is not a regular file of this user's. */
export type LockHolder = { pid: number; mtimeMs: number } | 'gone' | 'foreign';

export function readLockHolder(path: string): LockHolder {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'foreign'; // ELOOP: a link
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (process.getuid !== undefined && st.uid !== process.getuid())) return 'foreign';
    const buf = Buffer.alloc(32);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { pid: Number(buf.subarray(0, n).toString('utf8').trim()), mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

export type PidLock =
  | { kind: 'taken'; release: () => void }
  /** another live process holds it */
  | { kind: 'held'; pid: number }
  /** the path is not a lock file of this user's (a link, a FIFO, a folder, another user's file) */
  | { kind: 'foreign' }
  /** it was removed as stale and came back at once, twice */
  | { kind: 'contested' };

/**
 * Takes the lock at `path` (0600, holding this process's id). A lock is stale, removed and taken,
 * when its process is gone, when it holds no pid, or — with `maxAgeMs` — when it is older than
 * that (its pid may since belong to another process). Errors other than the file existing
 * (a folder that cannot be written) are thrown.
 */
export function takePidLock(path: string, options: { maxAgeMs?: number } = {}): PidLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return { kind: 'taken', release: () => rmSync(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLockHolder(path);
    if (holder === 'foreign') return { kind: 'foreign' };
    if (holder !== 'gone') {
      const fresh = options.maxAgeMs === undefined || holder.mtimeMs > Date.now() - options.maxAgeMs;
      if (fresh && Number.isInteger(holder.pid) && holder.pid > 0 && holder.pid !== process.pid && isAlive(holder.pid)) return { kind: 'held', pid: holder.pid };
      rmSync(path, { force: true }); // stale: its process is gone, or it is too old
    }
  }
  return { kind: 'contested' };
}
