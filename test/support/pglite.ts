/**
 * A fresh in-memory PGlite for tests, without an initdb each time (docs/testing.md).
 *
 * The product's own `newPglite` (rls/db/pglite-cluster.ts) does it: a new cluster is loaded from
 * the cached dump of a fresh initdb. `npm test` points every file — and every CLI a test spawns —
 * at one cache folder for the run (APIM_RLS_PGLITE_CACHE, set by scripts/run-tests.mjs), so the
 * run pays for one initdb; a file run alone uses the same setting as the CLI (docs/local-stack.md).
 */
import type { PGlite } from '@electric-sql/pglite';
import { fromPglite } from '../../rls/db/pglite.js';
import { newPglite, pgliteCacheDirFromEnv } from '../../rls/db/pglite-cluster.js';
import type { Database } from '../../rls/db/types.js';

/** The cache folder the tests use: the run's, else what the CLI would use. */
export const testPgliteCache = (): string | null => pgliteCacheDirFromEnv(process.env);

/** A new, empty in-memory PGlite (ready). The caller closes it. */
export async function freshPglite(): Promise<PGlite> {
  return newPglite(undefined, testPgliteCache());
}

/** The same as a `Database` (what `openDatabase('pglite:memory')` gives); closing it closes the PGlite. */
export async function freshPgliteDatabase(): Promise<Database> {
  return fromPglite(await freshPglite());
}
