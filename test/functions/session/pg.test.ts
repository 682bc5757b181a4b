import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freshPglite } from '../../support/pglite.js';
import pg from 'pg';
import { HttpError } from '../../../functions/errors.js';
import type { SessionValues } from '../../../functions/identity/claim-map.js';
import { countRoundTrips } from '../../../functions/session/pg-round-trips.js';
import { createPgPool, createPgSession } from '../../../functions/session/pg.js';
import { createPGliteSession, type PGliteLike } from '../../../functions/session/pglite.js';
import { int, sql, text } from '../../../functions/session/statement.js';
import type { IdentitySession } from '../../../functions/session/types.js';
import { createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../../support/postgres-server.js';

// a minimal RLS table of its own, so these driver tests do not depend on the sample
const setupSql = `
do $$ begin create role drv_app nologin; exception when duplicate_object or unique_violation then null; end $$;
create table if not exists drv_notes (tenant text not null, body text not null);
alter table drv_notes enable row level security;
alter table drv_notes force row level security;
drop policy if exists drv_tenant on drv_notes;
create policy drv_tenant on drv_notes using (tenant = nullif(current_setting('app.tenant_id', true), ''))
  with check (tenant = nullif(current_setting('app.tenant_id', true), ''));
grant select, insert on drv_notes to drv_app;
delete from drv_notes;
insert into drv_notes values ('contoso', 'c1'), ('contoso', 'c2'), ('fabrikam', 'f1');
`;

const who = (tenant: string | null, extra: SessionValues = []): SessionValues => [{ key: 'tenant_id', value: tenant }, { key: 'request_id', value: 'r-1' }, ...extra];
const readBack = sql`select current_user as usr, nullif(current_setting('app.tenant_id', true), '') as tenant, nullif(current_setting('app.request_id', true), '') as req, (select count(*)::int4 from drv_notes) as visible`;

function driverContract(name: string, open: () => Promise<{ session: IdentitySession; probe: () => Promise<Record<string, unknown>>; close(): Promise<void> } | null>) {
  describe(name, () => {
    let ctx: Awaited<ReturnType<typeof open>>;
    before(async () => {
      ctx = await open();
    });
    after(async () => {
      await ctx?.close();
    });

    it('runs as the application role with the session keys set, and sees only its tenant', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      const r = await ctx.session.run(who('contoso'), readBack);
      assert.deepEqual(r.rows, [{ usr: 'drv_app', tenant: 'contoso', req: 'r-1', visible: 2 }]);
      const f = await ctx.session.run(who('fabrikam'), readBack);
      assert.equal(f.rows[0]?.['visible'], 1);
    });

    it('no key → no rows (fail closed)', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      const r = await ctx.session.run(who(null), readBack);
      assert.equal(r.rows[0]?.['visible'], 0);
    });

    it('nothing survives the request on the connection', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      await ctx.session.run(who('contoso'), readBack);
      const after = await ctx.probe();
      assert.equal(after['tenant'], null);
      assert.notEqual(after['usr'], 'drv_app');
    });

    it('a hostile value stays a value (escaped or bound by the driver)', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      const hostile = `x', true); drop table drv_notes; --\\'"`;
      const r = await ctx.session.run(who(hostile), sql`select nullif(current_setting('app.tenant_id', true), '') as tenant, ${text(hostile)} as echo, (select count(*)::int4 from drv_notes) as visible`);
      assert.deepEqual(r.rows, [{ tenant: hostile, echo: hostile, visible: 0 }]);
      const still = await ctx.session.run(who('contoso'), readBack);
      assert.equal(still.rows[0]?.['visible'], 2, 'the table is still there');
    });

    it('a failing statement rolls back its writes and leaves the connection clean', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      await assert.rejects(
        ctx.session.run(who('contoso'), sql`insert into drv_notes values ('contoso', 'x'), ('contoso', ${text(null)})`),
        (e: unknown) => e instanceof HttpError && e.status === 400,
      );
      const r = await ctx.session.run(who('contoso'), readBack);
      assert.equal(r.rows[0]?.['visible'], 2);
      assert.equal((await ctx.probe())['tenant'], null);
    });

    it('an RLS WITH CHECK violation → 403', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      await assert.rejects(
        ctx.session.run(who('contoso'), sql`insert into drv_notes values ('fabrikam', ${text('sneaky')})`),
        (e: unknown) => e instanceof HttpError && e.status === 403 && e.code === 'FN_300_FORBIDDEN_BY_POLICY',
      );
    });

    it('a NUL in a value is refused before anything is sent', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      await assert.rejects(ctx.session.run(who('contoso'), sql`select ${text('a\u0000b')} as v`), (e: unknown) => e instanceof HttpError && e.status === 400);
      const r = await ctx.session.run(who('contoso'), readBack);
      assert.equal(r.rows[0]?.['visible'], 2);
    });

    it('binds int values with their type', async (t) => {
      if (!ctx) return t.skip(postgresUnavailableReason);
      const r = await ctx.session.run(who('contoso'), sql`select ${int(7)} + 1 as n, pg_typeof(${int(7)})::text as ty`);
      assert.deepEqual(r.rows, [{ n: 8, ty: 'integer' }]);
    });
  });
}

describe('PostgreSQL identity session drivers', () => {
  let database: TestDatabase | null = null;
  let admin: pg.Client | null = null;
  before(async () => {
    database = await createTestDatabase();
    if (database) {
      admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(setupSql);
    }
  });
  after(async () => {
    await admin?.end();
    await database?.drop();
  });

  driverContract('pg (server, one round trip)', async () => {
    if (!database) return null;
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const session = createPgSession({ pool, role: 'drv_app' });
    return {
      session,
      // with max: 1 the probe runs on the very connection the session used
      probe: async () => (await pool.query("select current_user as usr, nullif(current_setting('app.tenant_id', true), '') as tenant")).rows[0] as Record<string, unknown>,
      close: () => session.close(),
    };
  });

  driverContract('pg (server, one round trip, statements not prepared)', async () => {
    if (!database) return null;
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const session = createPgSession({ pool, role: 'drv_app', preparedStatements: false });
    return {
      session,
      probe: async () => (await pool.query("select current_user as usr, nullif(current_setting('app.tenant_id', true), '') as tenant")).rows[0] as Record<string, unknown>,
      close: () => session.close(),
    };
  });

  driverContract('pg (server, bound: four round trips)', async () => {
    if (!database) return null;
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const session = createPgSession({ pool, role: 'drv_app', mode: 'bound' });
    return {
      session,
      probe: async () => (await pool.query("select current_user as usr, nullif(current_setting('app.tenant_id', true), '') as tenant")).rows[0] as Record<string, unknown>,
      close: () => session.close(),
    };
  });

  driverContract('PGlite (embedded)', async () => {
    const db = await freshPglite();
    await db.exec(setupSql);
    const session = createPGliteSession({ db: db as unknown as PGliteLike, role: 'drv_app', closeDatabase: true });
    return {
      session,
      probe: async () => (await db.query("select current_user as usr, nullif(current_setting('app.tenant_id', true), '') as tenant")).rows[0] as Record<string, unknown>,
      close: () => session.close(),
    };
  });

  it('identity costs no extra round trip on the server: one per request, like the raw query', async (t) => {
    if (!database) return t.skip(postgresUnavailableReason);
    const pool = createPgPool({ connectionString: database.url, max: 2 });
    const counter = countRoundTrips(pool);
    const session = createPgSession({ pool, role: 'drv_app' });
    await session.runWithoutIdentity(sql`select 1`); // connect first
    counter.reset();
    await session.run(who('contoso'), readBack);
    assert.equal(counter.count, 2, 'PREPARE once on this connection, then the request');
    counter.reset();
    for (let i = 0; i < 10; i++) await session.run(who('contoso'), readBack);
    assert.equal(counter.count, 10);
    counter.reset();
    for (let i = 0; i < 10; i++) await session.runWithoutIdentity(readBack);
    assert.equal(counter.count, 10);
    const bound = createPgSession({ pool, role: 'drv_app', mode: 'bound' });
    counter.reset();
    await bound.run(who('contoso'), readBack);
    assert.equal(counter.count, 4, 'BEGIN, set_config, query, COMMIT');
    await session.close();
  });
});

describe('pg session: prepared statements under RLS', () => {
  let database: TestDatabase | null = null;
  let admin: pg.Client | null = null;
  before(async () => {
    database = await createTestDatabase();
    if (database) {
      admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(setupSql);
    }
  });
  after(async () => {
    await admin?.end();
    await database?.drop();
  });
  const visible = sql`select nullif(current_setting('app.tenant_id', true), '') as tenant, (select count(*)::int4 from drv_notes where body <> ${text('x')}) as visible`;

  it('one cached statement on one connection serves each tenant only its rows', async (t) => {
    if (!database) return t.skip(postgresUnavailableReason);
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const session = createPgSession({ pool, role: 'drv_app' });
    // more than 5 executions: PostgreSQL switches to the generic (cached) plan after five custom plans
    for (let i = 0; i < 8; i++) {
      assert.deepEqual((await session.run(who('contoso'), visible)).rows[0], { tenant: 'contoso', visible: 2 });
      assert.deepEqual((await session.run(who('fabrikam'), visible)).rows[0], { tenant: 'fabrikam', visible: 1 });
      assert.deepEqual((await session.run(who(null), visible)).rows[0], { tenant: null, visible: 0 });
    }
    const prepared = (await pool.query("select count(*)::int4 as n from pg_prepared_statements where name like 'apim_rls_%'")).rows[0] as { n: number };
    assert.equal(prepared.n, 1);
    await session.close();
  });

  it('two app instances sharing one server connection (as behind a pooler) each run their own statement', async (t) => {
    if (!database) return t.skip(postgresUnavailableReason);
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const first = createPgSession({ pool, role: 'drv_app' });
    const second = createPgSession({ pool, role: 'drv_app' });
    const bodies = sql`select string_agg(body, ',' order by body) as bodies from drv_notes`;
    // each instance prepares a different statement first: a name must never stand for another text
    assert.deepEqual((await first.run(who('contoso'), visible)).rows[0], { tenant: 'contoso', visible: 2 });
    assert.deepEqual((await second.run(who('contoso'), bodies)).rows[0], { bodies: 'c1,c2' });
    assert.deepEqual((await second.run(who('fabrikam'), visible)).rows[0], { tenant: 'fabrikam', visible: 1 });
    assert.deepEqual((await first.run(who('fabrikam'), bodies)).rows[0], { bodies: 'f1' });
    await pool.end();
  });

  it('a policy changed while the statement is cached takes effect on the next request', async (t) => {
    if (!database || !admin) return t.skip(postgresUnavailableReason);
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const session = createPgSession({ pool, role: 'drv_app' });
    try {
      for (let i = 0; i < 7; i++) assert.equal((await session.run(who('contoso'), visible)).rows[0]?.['visible'], 2);
      await admin.query(`alter policy drv_tenant on drv_notes using (tenant = nullif(current_setting('app.tenant_id', true), '') and body = 'c1')`);
      assert.equal((await session.run(who('contoso'), visible)).rows[0]?.['visible'], 1);
    } finally {
      await admin.query(`alter policy drv_tenant on drv_notes using (tenant = nullif(current_setting('app.tenant_id', true), ''))`);
      await session.close();
    }
  });

  it('a table changed under a cached statement (a migration adds a column) still answers, and the statement is prepared anew', async (t) => {
    if (!database || !admin) return t.skip(postgresUnavailableReason);
    await admin.query(`drop table if exists drv_wide; create table drv_wide (tenant text not null, a int not null);
      alter table drv_wide enable row level security; alter table drv_wide force row level security;
      create policy drv_wide_tenant on drv_wide using (tenant = nullif(current_setting('app.tenant_id', true), ''));
      grant select on drv_wide to drv_app; insert into drv_wide values ('contoso', 1), ('fabrikam', 2);`);
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const session = createPgSession({ pool, role: 'drv_app' });
    const all = sql`select * from drv_wide where a > ${int(0)}`;
    try {
      assert.deepEqual((await session.run(who('contoso'), all)).rows, [{ tenant: 'contoso', a: 1 }]);
      await admin.query('alter table drv_wide add column b int not null default 7');
      // PostgreSQL refuses the old statement (0A000 cached plan must not change result type)
      assert.deepEqual((await session.run(who('fabrikam'), all)).rows, [{ tenant: 'fabrikam', a: 2, b: 7 }]);
      assert.deepEqual((await session.run(who('contoso'), all)).rows, [{ tenant: 'contoso', a: 1, b: 7 }]);
      const prepared = (await pool.query("select count(*)::int4 as n from pg_prepared_statements")).rows[0] as { n: number };
      assert.equal(prepared.n, 1, 'prepared again after the change');
    } finally {
      await session.close();
      await admin.query('drop table if exists drv_wide');
    }
  });

  it('a connection that lost its prepared statements (DEALLOCATE ALL, a pooler) still answers, unprepared from then on', async (t) => {
    if (!database) return t.skip(postgresUnavailableReason);
    const pool = createPgPool({ connectionString: database.url, max: 1 });
    const session = createPgSession({ pool, role: 'drv_app' });
    assert.equal((await session.run(who('contoso'), visible)).rows[0]?.['visible'], 2);
    await pool.query('deallocate all');
    assert.deepEqual((await session.run(who('fabrikam'), visible)).rows[0], { tenant: 'fabrikam', visible: 1 });
    assert.deepEqual((await session.run(who('contoso'), visible)).rows[0], { tenant: 'contoso', visible: 2 });
    const prepared = (await pool.query("select count(*)::int4 as n from pg_prepared_statements")).rows[0] as { n: number };
    assert.equal(prepared.n, 0, 'turned off after 26000');
    await session.close();
  });
});

describe('Azure Database for PostgreSQL: Entra token as the password', () => {
  it('asks the shared credential for the ossrdbms scope for each new connection, over TLS', async () => {
    const scopes: (string | string[])[] = [];
    const credential = { getToken: async (s: string | string[]) => (scopes.push(s), { token: `entra-token-${scopes.length}`, expiresOnTimestamp: 0 }) };
    const pool = createPgPool({ connectionString: 'postgres://func-apim-rls-orders@server.postgres.database.azure.com/orders', max: 2, credential });
    const options = (pool as unknown as { options: { password: () => Promise<string>; ssl: unknown } }).options;
    assert.equal(typeof options.password, 'function');
    assert.equal(await options.password(), 'entra-token-1');
    assert.equal(await options.password(), 'entra-token-2', 'asked per connection: the credential caches and refreshes');
    assert.deepEqual(scopes, ['https://ossrdbms-aad.database.windows.net/.default', 'https://ossrdbms-aad.database.windows.net/.default']);
    assert.equal(options.ssl, true);
    await pool.end();
  });
});
