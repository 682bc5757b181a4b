/**
 * The `apim-rls rls` commands as a user runs them, against a PGlite directory in a temporary
 * folder and against the private PostgreSQL server: in-process through the CLI's `main`
 * (test/support/cli.ts), and once as a spawned process (exit status and output of a real process).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../../rls/db/open.js';
import { sampleCases, sampleSchemaSql, seedSample } from '../../../rls/sample/index.js';
import { serverDatabaseUrls } from '../../rls/support/backends.js';
import { repoRoot, runCli, spawnCli } from '../../support/cli.js';
import { testPgliteCache } from '../../support/pglite.js';

const spec = join(repoRoot, 'rls', 'sample', 'spec.ts');
const cases = join(repoRoot, 'rls', 'sample', 'cases.ts');
const golden = (name: string) => readFileSync(join(repoRoot, 'test', 'rls', 'golden', name), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'apim-rls-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(['rls', ...args]);
const badSpec = () => {
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, readFileSync(join(repoRoot, 'test', 'rls', 'golden', 'orders.spec.yaml'), 'utf8').replace('key: tenant_id\n    owner:', 'key: tenant\n    owner:'));
  return bad;
};

async function withDb<T>(url: string, fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  // a new PGlite folder from the run's cached dump, as the CLI makes it (not an initdb of its own)
  const db = await openDatabase(url, { pgliteCache: testPgliteCache() });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('rls sql', () => {
  it('as a process: prints the T-SQL script (exit 0); a bad spec exits 2 with the path and reason on stderr, no stack trace', async () => {
    const ms = await spawnCli(['rls', 'sql', spec, '--dialect', 'mssql']);
    assert.equal(ms.code, 0, ms.stderr);
    assert.equal(ms.stdout, golden('orders.mssql.sql'));
    const r = await spawnCli(['rls', 'sql', badSpec(), '--dialect', 'postgres']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^apim-rls: invalid RLS spec .*bad\.yaml:\n {2}tables\.1\.tenant\.key: names no session key "tenant"\n$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '');
  });

  it('prints the T-SQL and PostgreSQL scripts (the golden files)', async () => {
    const ms = await cli('sql', spec, '--dialect', 'mssql');
    assert.equal(ms.code, 0, ms.stderr);
    assert.equal(ms.stdout, golden('orders.mssql.sql'));
    const pgRemove = await cli('sql', spec, '--dialect', 'postgres', '--remove');
    assert.equal(pgRemove.code, 0, pgRemove.stderr);
    assert.equal(pgRemove.stdout, golden('orders.postgres.remove.sql'));
  });

  it('an unknown dialect or a bad spec exits 2 with the path and reason, no stack trace', async () => {
    const d = await cli('sql', spec, '--dialect', 'oracle');
    assert.equal(d.code, 2);
    assert.match(d.stderr, /--dialect must be mssql or postgres/);
    const r = await cli('sql', badSpec(), '--dialect', 'postgres');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tables\.1\.tenant\.key: names no session key "tenant"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '');
  });
});

const targets: { name: string; url: () => Promise<string | null> }[] = [
  { name: 'a PGlite directory', url: async () => `pglite:${mkdtempSync(join(tmp, 'pglite-'))}/db` },
  { name: 'the private PostgreSQL server', url: serverDatabaseUrls() },
];

for (const target of targets) {
  describe(`rls apply | drift | verify on ${target.name}`, () => {
    let url: string | null = null;
    before(async () => {
      url = await target.url();
      if (url) {
        await withDb(url, async (db) => {
          await db.exec(sampleSchemaSql);
          await seedSample(db);
        });
      }
    });

    it('a bad spec is refused with exit 2 and nothing is applied', async (t) => {
      if (!url) return t.skip('PostgreSQL server binaries not installed');
      const bad = join(tmp, 'bad-apply.json');
      writeFileSync(bad, JSON.stringify({ version: 1, name: 'orders', sessionKeys: [], tables: [] }));
      const r = await cli('apply', bad, '--db', url);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /sessionKeys: Too small/i);
      assert.match(r.stderr, /applicationRoles: /);
      const policies = await withDb(url, (db) => db.query("select 1 from pg_policies where schemaname = 'app'"));
      assert.equal(policies.rows.length, 0);
    });

    it('apply, apply again (nothing changes), drift clean, drift after a policy dropped by hand (exit 1), apply repairs it', async (t) => {
      if (!url) return t.skip('PostgreSQL server binaries not installed');
      const first = await cli('apply', spec, '--db', url);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /applied \d+ change\(s\)/);
      const second = await cli('apply', spec, '--db', url, '--format', 'json');
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(JSON.parse(second.stdout), { dialect: 'postgres', changes: [], committed: false });
      const clean = await cli('drift', spec, '--db', url);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /no drift/);
      await withDb(url, (db) => db.exec('drop policy apim_rls_tenant_isolation on app.orders'));
      const drift = await cli('drift', spec, '--db', url);
      assert.equal(drift.code, 1);
      assert.match(drift.stdout, /missing {4}policy "apim_rls_tenant_isolation" on "app"\."orders"/);
      const repaired = await cli('apply', spec, '--db', url);
      assert.equal(repaired.code, 0);
      assert.match(repaired.stdout, /applied 1 change\(s\)\nmissing {4}policy "apim_rls_tenant_isolation"/);
    });

    it('verify prints the truth table (exit 0); a deliberately wrong case exits 1', async (t) => {
      if (!url) return t.skip('PostgreSQL server binaries not installed');
      assert.equal((await cli('apply', spec, '--db', url)).code, 0);
      const ok = await cli('verify', spec, '--db', url, '--cases', cases);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /no session keys: nothing visible, nothing writable +rows app\.orders +0 +0 +ok/);
      assert.match(ok.stdout, /checks, all as expected/);
      const wrongFile = join(tmp, `wrong-${Math.random().toString(36).slice(2)}.json`);
      const wrong = structuredClone(sampleCases);
      const first = wrong[0];
      assert.ok(first);
      first.rows = { 'app.orders': 5 };
      writeFileSync(wrongFile, JSON.stringify({ cases: wrong }));
      const bad = await cli('verify', spec, '--db', url, '--cases', wrongFile, '--no-hardening');
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /rows app\.orders +5 +3 +MISMATCH/);
      assert.match(bad.stdout, /1 of \d+ checks did not match/);
    });
  });
}

describe('rls with Azure SQL', () => {
  it('an unreachable server exits 3 with a clear message', async () => {
    const r = await cli('drift', spec, '--db', 'mssql://127.0.0.1:1/orders');
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot open mssql:\/\/127\.0\.0\.1:1\/orders/);
    assert.match(r.stderr, /managed identity/);
  });

  it('verify runs through mssql too: an unreachable server exits 3 naming it (it no longer refuses Azure SQL with 2)', async () => {
    const r = await cli('verify', spec, '--db', 'mssql://127.0.0.1:1/orders', '--cases', cases);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot open mssql:\/\/127\.0\.0\.1:1\/orders/);
  });
});

describe('rls sample', () => {
  it('creates the sample on a fresh PGlite directory (twice is fine), after which verify and drift pass as the README shows', async () => {
    const url = `pglite:${mkdtempSync(join(tmp, 'sample-'))}/db`;
    const first = await cli('sample', '--db', url);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /the orders sample is in place/);
    const again = await cli('sample', '--db', url);
    assert.equal(again.code, 0, again.stderr);
    const verify = await cli('verify', spec, '--db', url, '--cases', cases);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /checks, all as expected/);
    const drift = await cli('drift', spec, '--db', url);
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);
    const rows = await withDb(url, (db) => db.query('select count(*)::int as n from app.orders'));
    assert.equal(rows.rows[0]?.n, 11);
  });

  it('refuses Azure SQL with exit 2 before connecting', async () => {
    const r = await cli('sample', '--db', 'mssql://127.0.0.1:1/orders');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rls sample supports PostgreSQL/);
  });
});

describe('rls on a fresh database: what is missing and how to go on', () => {
  it('verify names the missing apply, drift and apply the missing tables and rls sample; only apply says nothing was applied', async () => {
    // an empty folder: a fresh database (a folder that does not exist is refused by verify and drift)
    const url = `pglite:${mkdtempSync(join(tmp, 'fresh-'))}`;
    const verify = await cli('verify', spec, '--db', url, '--cases', cases);
    assert.equal(verify.code, 3);
    assert.match(verify.stderr, /role "apim_rls_app" does not exist; the spec has not been applied to this database: run apim-rls rls apply SPEC --db URL first\n$/);
    assert.doesNotMatch(verify.stderr, /nothing was applied/);
    const drift = await cli('drift', spec, '--db', url);
    assert.equal(drift.code, 3);
    assert.match(drift.stderr, /schema "app" does not exist; the spec's tables must exist before RLS can protect them: create them first \(for the orders sample: apim-rls rls sample --db URL\)\n$/);
    assert.doesNotMatch(drift.stderr, /nothing was applied/);
    const apply = await cli('apply', spec, '--db', url);
    assert.equal(apply.code, 3);
    assert.match(apply.stderr, /schema "app" does not exist; nothing was applied; the spec's tables must exist/);
  });

});
