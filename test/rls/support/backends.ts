/**
 * The two PostgreSQL backends the RLS tests run on: embedded PGlite (in memory) and a PostgreSQL
 * server over TCP (the run's shared one, or a private one for a file run alone), a fresh database
 * per test on the server, dropped when the file ends (roles are cluster-wide).
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

const created: TestDatabase[] = [];
// registered when this module is first imported (at the top level of a test file): drops this file's databases after all tests
after(async () => {
  for (const d of created) await d.drop();
});

const serverBackend: Backend = {
  name: 'postgres-server',
  async open() {
    const d = await createTestDatabase();
    if (!d) return { skip: postgresUnavailableReason };
    created.push(d);
    return { db: await openDatabase(d.url), url: d.url };
  },
};

export const backends: Backend[] = [
  {
    name: 'pglite',
    async open() {
      // a fresh in-memory PGlite (loaded from the run's initdb template: test/support/pglite.ts)
      return { db: await freshPgliteDatabase(), url: 'pglite:memory' };
    },
  },
  serverBackend,
];

/**
 * The same two backends, but PGlite is one in-memory cluster for the calling file, wiped and
 * checked as new for each test (test/support/pglite-reuse.ts; a test that holds it when another
 * opens gets a new cluster), closed when the file ends. Call it at the top level of a test file.
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
    serverBackend,
  ];
}

/** The server's superuser URL for a fresh database, or null (skip) — for CLI tests. */
export async function serverDatabaseUrl(): Promise<string | null> {
  const r = await serverBackend.open();
  if ('skip' in r) return null;
  await r.db.close();
  return r.url;
}
