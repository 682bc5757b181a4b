/**
 * The two PostgreSQL backends the RLS tests run on: embedded PGlite (in memory) and a PostgreSQL
 * server over TCP (the run's shared one, or a private one for a file run alone), a fresh database
 * per test on the server, dropped when the file ends (roles are cluster-wide). Each function here
 * is called at the top level of a test file: it registers that file's clean-up (a module-level
 * hook would belong to the first file that imports the module in a test worker only).
 */
import { after } from 'node:test';
import { openDatabase } from '../../../rls/db/open.js';
import type { Database } from '../../../rls/db/types.js';
import { fromPglite } from '../../../rls/db/pglite.js';
import { freshPgliteDatabase } from '../../support/pglite.js';
import { pgliteLender } from '../../support/pglite-reuse.js';
import { createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../../support/postgres-server.js';

export interface Backend {
  name: 'pglite' | 'postgres-server';
  /** opens a fresh, empty database; returns its URL too, or a reason to skip */
  open(): Promise<{ db: Database; url: string } | { skip: string }>;
}

/** The server backend for the calling file: the databases it opens are dropped when the file's tests end. */
function serverBackend(): Backend {
  const created: TestDatabase[] = [];
  after(async () => {
    for (const d of created) await d.drop();
  });
  return {
    name: 'postgres-server',
    async open() {
      const d = await createTestDatabase();
      if (!d) return { skip: postgresUnavailableReason };
      created.push(d);
      return { db: await openDatabase(d.url), url: d.url };
    },
  };
}

/** A new in-memory PGlite cluster (loaded from the run's initdb dump: test/support/pglite.ts) and a new server database for each open(). */
export function freshBackends(): Backend[] {
  return [
    {
      name: 'pglite',
      async open() {
        return { db: await freshPgliteDatabase(), url: 'pglite:memory' };
      },
    },
    serverBackend(),
  ];
}

/**
 * The same two backends, but PGlite is one in-memory cluster for the calling file, wiped and
 * checked as new for each test (test/support/pglite-reuse.ts; a test that holds it when another
 * opens gets a new cluster), closed when the file ends.
 * For tests of the product's SQL, which reads every custom setting through nullif(…, '') — the
 * one difference from a new cluster (see there).
 */
export function backendsReusingPglite(): Backend[] {
  const lender = pgliteLender();
  after(() => lender.close());
  return [
    {
      name: 'pglite',
      async open() {
        return { db: fromPglite(await lender.take()), url: 'pglite:memory' };
      },
    },
    serverBackend(),
  ];
}

/**
 * For CLI tests: a function giving the server's superuser URL of a fresh database (dropped when
 * the calling file's tests end), or null (skip).
 */
export function serverDatabaseUrls(): () => Promise<string | null> {
  const server = serverBackend();
  return async () => {
    const r = await server.open();
    if ('skip' in r) return null;
    await r.db.close();
    return r.url;
  };
}
