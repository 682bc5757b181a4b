/**
 * The two PostgreSQL backends the RLS tests run on: embedded PGlite (in memory) and the private
 * PostgreSQL server over TCP, a fresh database per test on the server (roles are cluster-wide).
 */
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../../rls/db/open.js';
import type { Database } from '../../../rls/db/types.js';
import { postgresUnavailableReason, startPostgresServer, type PostgresServer } from '../../support/postgres-server.js';

export interface Backend {
  name: 'pglite' | 'postgres-server';
  /** opens a fresh, empty database; returns its URL too, or a reason to skip */
  open(): Promise<{ db: Database; url: string } | { skip: string }>;
}

let server: Promise<PostgresServer | null> | undefined;
// registered when this module is first imported (at the top level of a test file): stops the server after all tests
after(async () => {
  const s = await server;
  await s?.stop();
});
function sharedServer(): Promise<PostgresServer | null> {
  server ??= startPostgresServer();
  return server;
}

export const backends: Backend[] = [
  {
    name: 'pglite',
    async open() {
      const url = 'pglite:memory';
      return { db: await openDatabase(url), url };
    },
  },
  {
    name: 'postgres-server',
    async open() {
      const s = await sharedServer();
      if (!s) return { skip: postgresUnavailableReason };
      const admin = await openDatabase(s.url);
      const name = `rls_${randomBytes(6).toString('hex')}`;
      try {
        await admin.exec(`create database ${name}`);
      } finally {
        await admin.close();
      }
      const url = s.url.replace(/\/postgres$/, `/${name}`);
      return { db: await openDatabase(url), url };
    },
  },
];

/** The private server's superuser URL for a fresh database, or null (skip) — for CLI tests. */
export async function serverDatabaseUrl(): Promise<string | null> {
  const b = backends[1];
  if (!b) return null;
  const r = await b.open();
  if ('skip' in r) return null;
  await r.db.close();
  return r.url;
}
