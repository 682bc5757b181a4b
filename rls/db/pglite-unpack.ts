/**
 * A new PGlite cluster in an empty folder, unpacked with Node's fs from the cached initdb dump.
 *
 * PGlite's own `loadDataDir` writes the dump's ~1000 files through its emscripten file system
 * into the folder: about 2 s of CPU for the 40 MB dump, four times what the same dump costs in
 * memory. Written with Node's fs the files take about 0.2 s, and PGlite then opens the folder as
 * an existing cluster ("found DB, resuming") — the same files, so the same database.
 *
 * The dump is the tar PGlite's `dumpDataDir('none')` writes (rls/db/pglite-cluster.ts keeps it):
 * ustar entries, folders (type 5) and regular files (type 0), paths relative to the data folder.
 * Anything else — another entry type, a path that leaves the folder, a truncated entry, no
 * PG_VERSION — is refused before a file is written, and the caller falls back to PGlite's loader.
 * Folders are made 0700 and files 0600 (a database is its owner's alone), in a temporary folder
 * renamed into place at the end ({@link unpackDump}).
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

export interface TarEntry {
  /** path inside the data folder, with `/` */
  path: string;
  kind: 'dir' | 'file';
  data: Uint8Array;
}

const BLOCK = 512;

function field(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

/** The entries of a dump, or a reason it is not one this module unpacks. */
export function readDumpEntries(tar: Uint8Array): TarEntry[] | { refused: string } {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (field(header, 257, 6) !== 'ustar') return { refused: `entry at byte ${offset} is not a ustar header` };
    const prefix = field(header, 345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(header, 0, 100);
    const sizeText = field(header, 124, 12).trim();
    if (!/^[0-7]*$/.test(sizeText)) return { refused: `entry ${JSON.stringify(name)} has no valid size` };
    const size = sizeText === '' ? 0 : parseInt(sizeText, 8);
    const type = field(header, 156, 1);
    const kind = type === '5' ? 'dir' : type === '0' || type === '' ? 'file' : undefined;
    if (kind === undefined) return { refused: `entry ${JSON.stringify(name)} is of tar type ${JSON.stringify(type)} (only folders and files are expected)` };
    const path = name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    if (path === '' || path.includes('\\') || isAbsolute(path) || path.split('/').some((p) => p === '..' || p === '.')) {
      return { refused: `entry ${JSON.stringify(name)} does not stay inside the data folder` };
    }
    const start = offset + BLOCK;
    if (start + size > tar.length) return { refused: `entry ${JSON.stringify(name)} is cut short` };
    entries.push({ path, kind, data: tar.subarray(start, start + size) });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (!entries.some((e) => e.kind === 'file' && e.path === 'PG_VERSION')) return { refused: 'no PG_VERSION: not a PostgreSQL data folder' };
  return entries;
}

const tempPrefix = '.apim-rls-unpack-';
/** A temporary folder older than this is left by a process that was killed mid-unpack (an unpack takes seconds). */
export const staleUnpackInMs = 60 * 60_000;

/**
 * Removes what killed unpacks left in `parent`: `.apim-rls-unpack-*` folders (never a link: lstat)
 * of the current user's, older than {@link staleUnpackInMs}. Best effort: a folder that cannot be
 * read or removed is left.
 */
function removeStaleUnpacks(parent: string): void {
  try {
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    for (const name of readdirSync(parent)) {
      if (!name.startsWith(tempPrefix)) continue;
      const path = join(parent, name);
      const st = lstatSync(path);
      if (st.isDirectory() && (uid === undefined || st.uid === uid) && st.mtimeMs < Date.now() - staleUnpackInMs) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // a parent that cannot be read: the unpack below fails or goes on as it may
  }
}

/**
 * Unpacks the dump into a private temporary folder beside `dir` and renames that folder to `dir`.
 * Nothing is ever written through an existing path (review finding: a planted `base -> /elsewhere`
 * symlink in `dir` was followed, and `dir`'s own owner and mode were kept), and a half-written
 * unpack (an error, or the process killed) is a `.apim-rls-unpack-*` folder, never `dir` (review
 * finding: a killed unpack left a folder PGlite could never open); one a killed process left is
 * removed by a later unpack in the same parent folder once it is an hour old.
 *
 * What rename(2) does with a folder (https://man7.org/linux/man-pages/man2/rename.2.html,
 * checked here on Linux): onto a missing path or an *empty* folder it replaces it atomically (the
 * new `dir` is the temporary folder: the current user's, 0700, whoever made the empty one and
 * whatever its mode); onto a folder that holds anything it fails with ENOTEMPTY or EEXIST
 * (another process got there); onto a symbolic link or a file it fails with ENOTDIR (a link is
 * not a folder: it is never followed). The temporary folder is in the same parent, so the rename
 * never crosses file systems (EXDEV).
 *
 * Returns true when `dir` is the unpacked cluster; false, `dir` untouched and nothing left behind,
 * when the dump is refused or `dir` is not missing or an empty folder. Any other error removes the
 * whole temporary folder and is thrown.
 */
export function unpackDump(tar: Uint8Array, dir: string): boolean {
  const entries = readDumpEntries(tar);
  if (!Array.isArray(entries)) return false;
  const target = resolve(dir);
  removeStaleUnpacks(dirname(target));
  // mkdtemp(3) makes the folder 0700 and fails rather than reuse a name
  const tmp = mkdtempSync(join(dirname(target), tempPrefix));
  try {
    chmodSync(tmp, 0o700);
    for (const e of entries) {
      const path = join(tmp, ...e.path.split('/'));
      // readDumpEntries refused '..' and absolute paths: checked again where it is used
      if (!path.startsWith(tmp + sep)) throw new Error(`dump entry ${e.path} leaves ${dir}`);
      // the temporary folder is new and the current user's alone: every path below it is this unpack's
      mkdirSync(e.kind === 'dir' ? path : dirname(path), { recursive: true, mode: 0o700 });
      if (e.kind === 'file') writeFileSync(path, e.data, { mode: 0o600, flag: 'wx' });
    }
    try {
      renameSync(tmp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') {
        rmSync(tmp, { recursive: true, force: true });
        return false;
      }
      throw err;
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return true;
}
