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
 * Folders are made 0700 and files 0600 (a database is its owner's alone).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';

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

/**
 * Writes the dump's files into the existing folder `dir`; never replaces a file (another process
 * unpacking into the same folder makes this one fail, not mix the two). Returns false, writing
 * nothing, when the dump is refused; on a write error removes what it wrote and throws.
 */
export function unpackDump(tar: Uint8Array, dir: string): boolean {
  const entries = readDumpEntries(tar);
  if (!Array.isArray(entries)) return false;
  const root = normalize(dir);
  const made: string[] = [];
  try {
    for (const e of entries) {
      const target = join(root, ...e.path.split('/'));
      // readDumpEntries refused '..' and absolute paths: checked again where it is used
      if (!target.startsWith(root + sep)) throw new Error(`dump entry ${e.path} leaves ${dir}`);
      const parent = join(target, '..');
      if (parent !== root && !existsSync(parent)) {
        mkdirSync(parent, { recursive: true, mode: 0o700 });
        made.push(parent);
      }
      if (e.kind === 'dir') {
        if (existsSync(target)) continue;
        mkdirSync(target, { mode: 0o700 });
      } else writeFileSync(target, e.data, { mode: 0o600, flag: 'wx' });
      made.push(target);
    }
  } catch (err) {
    for (const p of made.reverse()) rmSync(p, { recursive: true, force: true });
    throw err;
  }
  return true;
}
