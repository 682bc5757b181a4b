/**
 * The two PostgreSQL backends the RLS tests run on: embedded PGlite (in memory) and a PostgreSQL
 * server over TCP (the run's shared one, or a private one for a file run alone), a fresh database
 * per test on the server, dropped when the file ends (roles are cluster-wide).
 */
import { after } from 'node:test';
import { openDatabase } from '../../../rls/db/open.js';
import type { Database } from '../../../rls/db/types.js';
import { freshPgliteDatabase } from '../../support/pglite.js';
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

export const backends: Backend[] = [
  {
    name: 'pglite',
    async open() {
      // a fresh in-memory PGlite (loaded from the run's initdb template: test/support/pglite.ts)
      return { db: await freshPgliteDatabase(), url: 'pglite:memory' };
    },
  },
  {
    name: 'postgres-server',
    async open() {
      const d = await createTestDatabase();
      if (!d) return { skip: postgresUnavailableReason };
      created.push(d);
      return { db: await openDatabase(d.url), url: d.url };
    },
  },
];

/** The server's superuser URL for a fresh database, or null (skip) — for CLI tests. */
export async function serverDatabaseUrl(): Promise<string | null> {
  const b = backends[1];
  if (!b) return null;
  const r = await b.open();
  if ('skip' in r) return null;
  await r.db.close();
  return r.url;
}
