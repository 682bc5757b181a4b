/**
 * The orders sample on both PostgreSQL backends, for handler tests: PGlite (embedded) and the
 * PostgreSQL server over TCP (a fresh database on the run's shared server, dropped on close). Schema, RLS and seed come from the RLS engineer's
 * `setupSampleDatabase`; the session is this app's driver on the same database.
 */
import { fromPglite, openDatabase } from '../../../rls/db/index.js';
import { seedSample, setupSampleDatabase } from '../../../rls/sample/index.js';
import { createPgPool, createPgSession } from '../../../functions/session/pg.js';
import { createPGliteSession, type PGliteLike } from '../../../functions/session/pglite.js';
import type { IdentitySession } from '../../../functions/session/types.js';
import { freshPglite } from '../../support/pglite.js';
import { createTestDatabase, postgresUnavailableReason } from '../../support/postgres-server.js';

export interface SampleBackend {
  session: IdentitySession;
  /** superuser access for assertions outside RLS */
  adminQuery(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** back to the seeded rows (as the superuser: RLS does not apply) */
  reseed(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendFactory {
  name: string;
  /** null (with a reason) when the backend is not available here */
  open(options?: { poolMax?: number }): Promise<SampleBackend | { skip: string }>;
}

export const sampleBackends: BackendFactory[] = [
  {
    name: 'PGlite',
    async open() {
      const pg = await freshPglite();
      const admin = fromPglite(pg);
      await setupSampleDatabase(admin);
      const session = createPGliteSession({ db: pg as unknown as PGliteLike, role: 'apim_rls_app', closeDatabase: true });
      return {
        session,
        adminQuery: async (sql, params) => (await pg.query(sql, params)).rows as Record<string, unknown>[],
        async reseed() {
          await admin.exec('delete from app.orders');
          await seedSample(admin);
        },
        close: () => session.close(),
      };
    },
  },
  {
    name: 'PostgreSQL server',
    async open(options) {
      const database = await createTestDatabase();
      if (!database) return { skip: postgresUnavailableReason };
      const setup = await openDatabase(database.url);
      await setupSampleDatabase(setup);
      const pool = createPgPool({ connectionString: database.url, max: options?.poolMax ?? 4 });
      const session = createPgSession({ pool, role: 'apim_rls_app' });
      return {
        session,
        adminQuery: async (sql, params) => (await pool.query(sql, params)).rows as Record<string, unknown>[],
        async reseed() {
          await setup.exec('delete from app.orders');
          await seedSample(setup);
        },
        async close() {
          await setup.close();
          await session.close();
          await database.drop();
        },
      };
    },
  },
];
