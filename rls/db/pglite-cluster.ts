/**
 * A new PGlite cluster without running initdb every time.
 *
 * `new PGlite()` runs initdb inside WebAssembly: 2–4 s of CPU on a quiet 2-vCPU machine, 5–18 s
 * under load — the largest part of `npm start`'s start-up and of every `--db pglite:NEW-FOLDER`.
 * A cluster initdb has just made holds nothing of the caller's, so its files are the same every
 * time: the first new cluster is made by initdb as before and its files are dumped (PGlite's
 * `dumpDataDir`, about 0.1 s) into a cache folder; every later new cluster — in memory or in an
 * empty folder — is loaded from that dump (PGlite's `loadDataDir`, about 0.5 s of CPU) instead.
 *
 * - The dump is keyed by the PGlite version (a new PGlite makes a new dump), written through a
 *   temporary file and a rename (two processes making it at once never leave half a file), and
 *   used only when the current user owns it and nobody else may write to it or its folder.
 * - A dump that does not load (damaged, or from a PGlite that writes another layout) is removed
 *   and the cluster is made by initdb, which writes a new dump.
 * - Only a new cluster comes from the dump: in memory, or in a folder that is missing or empty. A
 *   folder that holds anything (a cluster, or files of its own) is left to PGlite as before.
 *
 * - One initdb at a time per dump: the process that makes it holds `DUMP.lock` (its pid) meanwhile;
 *   a process that needs a new cluster then waits for that dump (polling, at most
 *   {@link initdbWaitInMs}) and loads it instead of running a second initdb beside the first (the
 *   test workers, or `npm start` and `apim-rls rls apply` on a fresh machine). A lock whose process
 *   is gone, or older than that wait, is taken over; past the wait, or when the lock ends without a
 *   dump, it runs initdb itself.
 *
 * The cache folder is the caller's choice (the CLI and the Functions entry read
 * `APIM_RLS_PGLITE_CACHE`, docs/local-stack.md); without one, every new cluster runs initdb.
 */
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { chmodSync, closeSync, constants, type Stats, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { readDumpEntries } from './pglite-unpack.js';
import { isAlive, readLockHolder, takePidLock } from './pid-lock.js';

/** Where the CLI and the Functions entry keep the dump unless told otherwise: `~/.cache/apim-rls`. */
export function defaultPgliteCacheDir(): string {
  return join(homedir(), '.cache', 'apim-rls');
}

/**
 * The cache folder an entry point uses for this environment: `APIM_RLS_PGLITE_CACHE` (a folder;
 * `off` for none: every new cluster runs initdb), else XDG's cache folder, else the default.
 */
export function pgliteCacheDirFromEnv(env: Readonly<Record<string, string | undefined>>): string | null {
  const set = env.APIM_RLS_PGLITE_CACHE;
  if (set !== undefined && set !== '') return set === 'off' ? null : set;
  const xdg = env.XDG_CACHE_HOME;
  // the XDG spec: a relative path is invalid and ignored
  return xdg && isAbsolute(xdg) ? join(xdg, 'apim-rls') : defaultPgliteCacheDir();
}

let version: string | undefined;
/** The installed PGlite's version (its package.json is not exported: found beside its entry). */
function pgliteVersion(): string {
  if (version !== undefined) return version;
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && typeof pkg.version === 'string') return (version = pkg.version);
    }
    dir = dirname(dir);
  }
  return (version = 'unknown');
}

/** The dump's file in a cache folder (one per PGlite version). */
export function pgliteTemplateFile(cacheDir: string): string {
  return join(cacheDir, `pglite-${pgliteVersion().replace(/[^0-9A-Za-z.-]/g, '_')}-initdb.tar`);
}

/** Whether a file (or folder) with these stats is the current user's and nobody else may write to it. */
function privateToUser(s: Stats): boolean {
  if (typeof process.getuid !== 'function') return true; // Windows: no POSIX owner to compare
  return s.uid === process.getuid() && (s.mode & 0o022) === 0;
}

/** The dump last read, kept while its file is unchanged (a process that makes many clusters reads it once). */
let lastRead: { dev: number; ino: number; size: number; mtimeMs: number; blob: Blob } | undefined;

/**
 * The cached dump when there is a usable one (the user's own, nobody else may write it or its
 * folder), else undefined. The file is opened once (never through a symbolic link) and its owner
 * and mode are read from that open file: a folder renamed in between cannot swap in another
 * user's file (review finding: statSync by name, then readFileSync by name, raced).
 */
export function readTemplate(file: string): Blob | undefined {
  let fd: number | undefined;
  try {
    if (!existsSync(file) || !privateToUser(statSync(dirname(file)))) return undefined;
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile() || !privateToUser(st)) return undefined;
    if (lastRead && lastRead.dev === st.dev && lastRead.ino === st.ino && lastRead.size === st.size && lastRead.mtimeMs === st.mtimeMs) return lastRead.blob;
    const blob = new Blob([readFileSync(fd)]);
    lastRead = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, blob };
    return blob;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the dump through a temporary file and a rename; a cache that cannot be written is skipped (the cluster is made either way). */
function writeTemplate(file: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (!privateToUser(statSync(dirname(file)))) return;
    const part = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(part, bytes, { mode: 0o600 });
      renameSync(part, file);
    } finally {
      // a full disk: no half-written part left behind (review finding)
      rmSync(part, { force: true });
    }
  } catch {
    // a read-only home, a full disk: the next new cluster runs initdb again
  }
}

/** The longest a new cluster waits for another process's initdb to leave the dump (initdb takes 2–18 s, above). */
export const initdbWaitInMs = 60_000;
const initdbPollInMs = 100;

/** This process's initdb in progress, per dump file (a second cluster of the same process waits for it too). */
const making = new Map<string, Promise<void>>();

/**
 * Takes `FILE.lock` for this process's initdb (pid-lock.ts): the release function, or undefined
 * while another live process holds it. A lock of a process that is gone, or older than the longest
 * wait, is taken over. A cache that cannot be written, or a lock that is not a file of this
 * user's: a release that does nothing (initdb all the same).
 */
function lockInitdb(file: string): (() => void) | undefined {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // a folder others may write to: its dump is never used (readTemplate), so nobody is waited for either
    if (!privateToUser(statSync(dirname(file)))) return () => undefined;
    // older than the longest wait: left behind (its pid may since belong to another process)
    const lock = takePidLock(`${file}.lock`, { maxAgeMs: initdbWaitInMs });
    if (lock.kind === 'held') return undefined;
    return lock.kind === 'taken' ? lock.release : () => undefined;
  } catch {
    return () => undefined;
  }
}

/**
 * Waits while another process makes the dump: the dump once it is there, or undefined when the
 * other process stopped without one, or the wait ran out (the caller then runs initdb).
 */
async function dumpMadeByOthers(file: string): Promise<Blob | undefined> {
  const deadline = Date.now() + initdbWaitInMs;
  while (Date.now() < deadline) {
    const mine = making.get(file);
    if (mine) await mine;
    const template = readTemplate(file);
    if (template !== undefined) return template;
    if (!existsSync(`${file}.lock`)) return undefined;
    // the holder is gone (this process's own lock without an initdb in progress: left by nobody alive)
    const holder = readLockHolder(`${file}.lock`);
    const lockPid = typeof holder === 'object' ? holder.pid : NaN;
    if (Number.isInteger(lockPid) && lockPid > 0 && (lockPid === process.pid ? !making.has(file) : !isAlive(lockPid))) return undefined;
    await new Promise((resolve) => setTimeout(resolve, initdbPollInMs));
  }
  return undefined;
}

/**
 * A ready PGlite: in memory (`dir` undefined), or in `dir` (created with its parents when missing;
 * opened as it is when it holds a cluster, else a new cluster is made there). With a `cacheDir`, a new cluster comes from the
 * cached dump of a fresh initdb (made on first use).
 */
export async function newPglite(dir: string | undefined, cacheDir: string | null | undefined): Promise<PGlite> {
  // loaded here, not at the top: the CLI reads the cache setting without loading PGlite
  const { PGlite } = await import('@electric-sql/pglite');
  // a symbolic link to a folder: PGlite opens its target (review finding: PGlite's file system
  // failed on the link itself with a raw `ErrnoError {errno: 44}`)
  if (dir !== undefined && existsSync(dir)) dir = realpathSync(dir);
  // only a new cluster in memory or in an empty (or missing) folder comes from the dump
  const empty = dir === undefined || !existsSync(dir) || readdirSync(dir).length === 0;
  // PGlite makes only the last folder of the path: the parents too (pglite:.dev/db in a fresh clone)
  if (dir !== undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // a new cluster's folder is its owner's alone, as initdb leaves it ("initdb therefore revokes
  // access permissions from everyone but the PostgreSQL user, and optionally, group":
  // https://www.postgresql.org/docs/current/creating-cluster.html); PGlite's file system does not,
  // so an empty folder others may write to is made 0700 here, and one of another user's is refused
  // (chmod fails with EPERM). Review finding: an empty 0777 folder stayed 0777 with the cluster in it
  if (dir !== undefined && empty) {
    try {
      chmodSync(dir, 0o700);
    } catch (err) {
      throw new Error(`${dir} cannot be made private to this user (${(err as NodeJS.ErrnoException).code ?? String(err)}): a new PGlite cluster needs a folder of its own`, { cause: err });
    }
  }
  // The dump is taken from a running cluster (as PGlite's own clone() does), so a loaded cluster —
  // like any folder not closed cleanly — starts with PostgreSQL's crash recovery, which arms its
  // startup-progress timer (log_startup_progress_interval, 10 s); PGlite's single-user mode never
  // disarms it — a ref'd setTimeout every 10 s that kept a process that does not close the
  // database (the Functions app in test mode) from ever exiting. Off on every start here: it is a
  // logging setting, for this start only.
  // shared_buffers 16MB, not PostgreSQL's default 128MB: the buffer pool is set up on every start in
  // WebAssembly memory, most of a start's CPU (measured, one process, the same dump loaded 9 times
  // each way: about 0.5 s of CPU per start at 128MB, 0.35 s at 16MB). PGlite's files are in memory
  // or the page cache, and a single session uses a few MB of buffers; the pool is a size, not a
  // behaviour (https://www.postgresql.org/docs/current/runtime-config-resource.html).
  const startParams = [...PGlite.defaultStartParams, '-c', 'log_startup_progress_interval=0', '-c', 'shared_buffers=16MB'];
  const open = async (options: PGliteOptions): Promise<PGlite> => {
    const pg = dir === undefined ? new PGlite(options) : new PGlite(dir, options);
    await pg.waitReady;
    return pg;
  };
  if (!empty || !cacheDir) return open({ startParams });
  const file = pgliteTemplateFile(cacheDir);
  let template = readTemplate(file);
  // no dump yet: another process (or call) may be making it; wait for it rather than run a second initdb
  let unlock: (() => void) | undefined;
  if (template === undefined && !making.has(file)) unlock = lockInitdb(file);
  if (template === undefined && unlock === undefined) template = await dumpMadeByOthers(file);
  if (template !== undefined) {
    try {
      return await open({ loadDataDir: template, startParams });
    } catch {
      // what the failed load wrote into the folder (it was empty) goes first
      if (dir !== undefined) for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
      // a damaged dump: gone (where the cache can be written), and this cluster is made by initdb
      // (which writes a new dump). Removed only when the dump is at fault: one that reads as a
      // complete dump, loaded into a folder, may have failed for the folder's sake (review
      // finding: a symbolic link as the folder deleted the good dump)
      lastRead = undefined;
      const complete = Array.isArray(readDumpEntries(new Uint8Array(await template.arrayBuffer())));
      if (dir === undefined || !complete) {
        try {
          rmSync(file, { force: true });
        } catch {
          // a read-only cache: initdb all the same (review finding: this threw)
        }
      }
    }
  }
  unlock ??= lockInitdb(file) ?? (() => undefined);
  let done!: () => void;
  making.set(file, new Promise<void>((resolve) => (done = resolve)));
  try {
    const pg = await open({ startParams });
    // dumped before anyone writes to it: the files of a fresh initdb
    const dump = await pg.dumpDataDir('none');
    writeTemplate(file, new Uint8Array(await dump.arrayBuffer()));
    return pg;
  } finally {
    making.delete(file);
    done();
    unlock();
  }
}
