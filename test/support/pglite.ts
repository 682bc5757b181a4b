/**
 * A fresh in-memory PGlite for tests, without an initdb each time (docs/testing.md).
 *
 * `new PGlite()` runs initdb inside WebAssembly: seconds per instance, the largest single cost of
 * the suite. `freshPglite()` instead loads a dump of a freshly initialised cluster (PGlite's
 * `loadDataDir`): the same bytes initdb would write, so the database is as fresh as before. The
 * dump is made once per run — by the first file that needs it, written to the file that
 * `npm test` names in APIM_RLS_TEST_PGLITE_TEMPLATE (through a rename, so two files making it at
 * once do not mix) — and once per process for a file run alone.
 */
import { PGlite } from '@electric-sql/pglite';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fromPglite } from '../../rls/db/pglite.js';
import type { Database } from '../../rls/db/types.js';

export const pgliteTemplateEnv = 'APIM_RLS_TEST_PGLITE_TEMPLATE';

let template: Blob | undefined;

/** A new, empty in-memory PGlite (ready). The caller closes it. */
export async function freshPglite(): Promise<PGlite> {
  const file = process.env[pgliteTemplateEnv];
  if (!template && file && existsSync(file)) template = new Blob([readFileSync(file)]);
  if (template) {
    const pg = new PGlite({ loadDataDir: template });
    await pg.waitReady;
    return pg;
  }
  // the first one: initdb as usual, and keep its dump (taken before anyone writes to it)
  const pg = new PGlite();
  await pg.waitReady;
  const dump = await pg.dumpDataDir('none');
  template = dump;
  if (file) {
    const part = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(part, Buffer.from(await dump.arrayBuffer()));
    renameSync(part, file);
  }
  return pg;
}

/** The same as a `Database` (what `openDatabase('pglite:memory')` gives); closing it closes the PGlite. */
export async function freshPgliteDatabase(): Promise<Database> {
  return fromPglite(await freshPglite());
}
