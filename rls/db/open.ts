/** `openDatabase(url)`: `postgres://…`, `pglite:memory`, `pglite:DIR` or a bare directory, `mssql://SERVER/DB`. */
import type { TokenCredential } from '@azure/identity';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { RlsError } from '../errors.js';
import type { Database } from './types.js';

export type DatabaseTarget =
  | { kind: 'pg'; url: string }
  | { kind: 'pglite'; dir: string | undefined }
  | { kind: 'mssql'; url: string };

/** Classifies a database URL without connecting. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'pg', url };
  if (/^mssql:\/\//i.test(url)) return { kind: 'mssql', url };
  if (/^pglite:/i.test(url)) {
    const rest = url.slice('pglite:'.length);
    if (rest === 'memory') return { kind: 'pglite', dir: undefined };
    // an empty folder name is a mistake, not a request for a throw-away database: say which to write
    if (rest.trim() === '') throw new RlsError('RLS_DB_URL_INVALID', 'pglite: needs a folder (pglite:./.dev/db) or pglite:memory for a database that is gone when the command ends');
    return { kind: 'pglite', dir: rest.replace(/^\/\/(?=\/)/, '') };
  }
  if (isAbsolute(url) || url.startsWith('./') || url.startsWith('../')) return { kind: 'pglite', dir: url };
  throw new RlsError('RLS_DB_URL_INVALID', 'unknown database URL: use postgres://…, pglite:memory, pglite:DIR (or a directory path) or mssql://SERVER/DATABASE');
}

/**
 * A string safe to print for a URL: no password — neither in the user info nor in a query
 * parameter (pg's connection strings take `?password=` and `?sslpassword=`). A URL that does not
 * parse (a password with an unescaped `#` or `/`) loses everything between `scheme://` and its
 * last `@`.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/password/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^]*@/i, '$1***@');
  }
}

export interface OpenDatabaseOptions {
  /** the credential for mssql (managed identity); required for mssql:// URLs */
  credential?: TokenCredential;
  /** pool size for pg */
  max?: number;
  /** PGlite: the folder must hold a database already (commands that only read: verify, drift, audit) — a missing folder is RLS_DB_UNREACHABLE, not a new empty database */
  existing?: boolean;
  /** PGlite: the folder of the cached dump a new cluster is loaded from instead of running initdb (rls/db/pglite-cluster.ts); none: initdb */
  pgliteCache?: string | null;
}

/** Opens a database; throws RlsError RLS_DB_URL_INVALID or RLS_DB_UNREACHABLE (message never includes a password). */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const target = parseDatabaseUrl(url);
  try {
    if (target.kind === 'pglite') {
      if (target.dir !== undefined && existsSync(target.dir) && !statSync(target.dir).isDirectory()) {
        throw new RlsError('RLS_DB_URL_INVALID', `${target.dir} is a file: a PGlite database is a folder (pglite:DIR, created when missing)`);
      }
      if (options.existing && target.dir !== undefined && !existsSync(target.dir)) {
        throw new RlsError('RLS_DB_UNREACHABLE', `no PGlite database at ${target.dir} (the folder does not exist): check the path, or create it with rls apply or rls sample`);
      }
      // created when missing, parents too (PGlite makes only the last folder: pglite:.dev/db failed in a fresh clone)
      if (target.dir !== undefined) mkdirSync(target.dir, { recursive: true });
      const { openPglite } = await import('./pglite.js');
      return await openPglite(target.dir, options.pgliteCache);
    }
    if (target.kind === 'pg') {
      const { openPg } = await import('./pg.js');
      return await openPg(target.url, { max: options.max ?? 4 });
    }
    if (!options.credential) throw new RlsError('RLS_DB_URL_INVALID', 'mssql:// needs a TokenCredential (managed identity)');
    const { openMssql } = await import('./mssql.js');
    return await openMssql(target.url, options.credential);
  } catch (err) {
    if (err instanceof RlsError) throw err;
    // PGlite (emscripten) can throw plain objects: print what they hold, not [object Object]
    const reason = err instanceof Error ? err.message : typeof err === 'object' && err !== null ? JSON.stringify(err) : String(err);
    throw new RlsError('RLS_DB_UNREACHABLE', `cannot open ${redactUrl(url)}: ${reason}`, [], { cause: err });
  }
}
