/** The embedded PostgreSQL (PGlite) behind the Database interface. Its only user is a superuser: RLS needs SET ROLE. */
import type { PGlite } from '@electric-sql/pglite';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { newPglite, pgliteTemplateFile, readTemplate } from './pglite-cluster.js';
import { unpackDump } from './pglite-unpack.js';
import type { Database, Executor, QueryResult, TransactionOptions } from './types.js';

interface PgliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

function executor(db: PgliteLike): Executor {
  return {
    dialect: 'postgres',
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const r = await db.query<R>(sql, [...params]);
      return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('rollback');
  }
}

/** Wraps an open PGlite instance (the caller keeps ownership unless `close` is called). */
export function fromPglite(pg: PGlite): Database {
  const base = executor(pg as unknown as PgliteLike);
  return {
    ...base,
    kind: 'pglite',
    async transaction<T>(fn: (tx: Executor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      try {
        return await pg.transaction(async (tx) => {
          const value = await fn(executor(tx as unknown as PgliteLike));
          if (options.rollback) throw new Rollback(value);
          return value;
        });
      } catch (err) {
        if (err instanceof Rollback) return err.value as T;
        throw err;
      }
    },
    async close() {
      await pg.close();
    },
  };
}

/**
 * Opens PGlite in memory (`dir` undefined) or in a directory (created when missing). With
 * `cacheDir`, a new cluster is loaded from the cached dump of a fresh initdb (pglite-cluster.ts).
 */
export async function openPglite(dir?: string, cacheDir?: string | null): Promise<Database> {
  // a symbolic link to a folder: its target (review finding: PGlite's file system failed on the
  // link with a raw `ErrnoError {errno: 44}`, and the unpack's rename never goes through a link)
  if (dir !== undefined && existsSync(dir)) dir = realpathSync(dir);
  if (dir !== undefined && cacheDir && (await unpackedFromDump(dir, cacheDir))) {
    try {
      return fromPglite(await newPglite(dir, cacheDir));
    } catch {
      // the unpacked cluster does not start (a dump PGlite's loader would refuse too): the folder
      // is emptied again and PGlite's own loader runs, which removes a damaged dump and runs initdb
      for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
  return fromPglite(await newPglite(dir, cacheDir));
}

/**
 * A new cluster in a missing or empty folder, unpacked from the cached dump with Node's fs
 * (pglite-unpack.ts: a quarter of the CPU of PGlite's loader; into a temporary folder renamed
 * onto `dir`, so the cluster is 0700 and the user's own). False, nothing written, when the folder
 * holds anything, there is no usable dump, or it is not one this unpacks.
 */
async function unpackedFromDump(dir: string, cacheDir: string): Promise<boolean> {
  if (existsSync(dir) && readdirSync(dir).length > 0) return false;
  const template = readTemplate(pgliteTemplateFile(cacheDir));
  if (template === undefined) return false;
  const bytes = new Uint8Array(await template.arrayBuffer());
  // the parents only: the unpacked folder is renamed onto `dir` (missing or empty)
  mkdirSync(dirname(resolve(dir)), { recursive: true, mode: 0o700 });
  try {
    return unpackDump(bytes, dir);
  } catch {
    return false;
  }
}
