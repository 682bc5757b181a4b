/**
 * `apim-rls audit` as a DBA runs it, against a PGlite directory and the private PostgreSQL server,
 * reading the audit rows of one request as the auditor role: in-process through the CLI's `main`
 * (test/support/cli.ts), and once as a spawned process (exit status and output of a real process).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../../rls/db/open.js';
import { sampleUsers, setupSampleDatabase } from '../../../rls/sample/index.js';
import { serverDatabaseUrls } from '../../rls/support/backends.js';
import { runCli, spawnCli } from '../../support/cli.js';
import { testPgliteCache } from '../../support/pglite.js';

const tmp = mkdtempSync(join(tmpdir(), 'apim-rls-audit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const { alice, carol } = sampleUsers;
const trace = '4bf92f3577b34da6a3ce929d0e0e4736';

const cli = (...args: string[]) => runCli(['audit', ...args]);

/** The sample, and three audited writes: two by alice in one request, one by carol. */
async function prepare(url: string): Promise<void> {
  // a new PGlite folder from the run's cached dump, as the CLI makes it (not an initdb of its own)
  const db = await openDatabase(url, { pgliteCache: testPgliteCache() });
  try {
    await setupSampleDatabase(db);
    await db.transaction(async (tx) => {
      const as = async (keys: Record<string, string>) => {
        await tx.query("select set_config('role', 'apim_rls_app', true)");
        for (const [k, v] of Object.entries(keys)) await tx.query('select set_config($1, $2, true)', [`app.${k}`, v]);
      };
      await as({ tenant_id: alice.tid, user_oid: alice.oid, roles: '["Orders.Write"]', request_id: 'req-cli-alice', trace_id: trace });
      await tx.query("update app.orders set quantity = 7 where item in ('alice-1', 'alice-2')");
      await as({ tenant_id: carol.tid, user_oid: carol.oid, roles: '["Orders.Write"]', request_id: 'req-cli-carol', trace_id: '' });
      await tx.query("update app.orders set quantity = 7 where item = 'carol-1'");
    });
  } finally {
    await db.close();
  }
}

const targets: { name: string; url: () => Promise<string | null> }[] = [
  { name: 'a PGlite directory', url: async () => `pglite:${mkdtempSync(join(tmp, 'pglite-'))}/db` },
  { name: 'the private PostgreSQL server', url: serverDatabaseUrls() },
];

for (const [i, target] of targets.entries()) {
  describe(`apim-rls audit on ${target.name}`, () => {
    let url: string | null = null;
    before(async () => {
      url = await target.url();
      if (url) await prepare(url);
    });

    if (i === 0) {
      it('as a process: the rows of one request on stdout (exit 0); a --db folder that does not exist is exit 3 with one line on stderr', async (t) => {
        if (!url) return t.skip('no database');
        const ok = await spawnCli(['audit', '--db', url, '--request-id', 'req-cli-alice']);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /^occurred_at +operation /);
        assert.match(ok.stdout, /\n2 row\(s\)\n$/);
        assert.equal(ok.stderr, '');
        const missing = join(tmp, 'spawned-typo', 'db');
        const bad = await spawnCli(['audit', '--db', `pglite:${missing}`, '--request-id', 'r']);
        assert.equal(bad.code, 3, bad.stderr);
        assert.match(bad.stderr, /^apim-rls: no PGlite database at .*spawned-typo\/db \(the folder does not exist\)[^\n]*\n$/);
        assert.equal(bad.stdout, '');
        assert.equal(existsSync(join(tmp, 'spawned-typo')), false, 'nothing was created');
      });
    }

    it("prints one request's audit rows as a table and as JSON, bounded by --limit", async (t) => {
      if (!url) return t.skip('PostgreSQL server binaries not installed');
      const table = await cli('--db', url, '--request-id', 'req-cli-alice');
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^occurred_at +operation +table +row_key +tenant_id +user_oid +roles +request_id +trace_id$/);
      assert.equal(lines.filter((l) => / update +app\.orders +\{"id":\d+\} +contoso /.test(l)).length, 2);
      assert.ok(!table.stdout.includes('req-cli-carol'));
      assert.match(table.stdout, /\n2 row\(s\)\n$/);

      const json = await cli('--db', url, '--trace-id', trace, '--format', 'json');
      assert.equal(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout) as { rows: Record<string, unknown>[]; truncated: boolean };
      assert.equal(doc.truncated, false);
      assert.equal(doc.rows.length, 2);
      assert.deepEqual(Object.keys(doc.rows[0] ?? {}), ['auditId', 'occurredAt', 'tenantId', 'userOid', 'roles', 'requestId', 'traceId', 'table', 'operation', 'rowKey']);
      assert.deepEqual(doc.rows.map((r) => [r['userOid'], r['roles'], r['requestId'], r['traceId'], r['operation']]), [
        [alice.oid, ['Orders.Write'], 'req-cli-alice', trace, 'update'],
        [alice.oid, ['Orders.Write'], 'req-cli-alice', trace, 'update'],
      ]);

      // the auditor reads across tenants; --limit bounds what is printed and says so
      const both = await cli('--db', url, '--since', '2000-01-01', '--limit', '2', '--format', 'json');
      assert.equal(both.code, 0, both.stderr);
      const limited = JSON.parse(both.stdout) as { rows: unknown[]; truncated: boolean };
      assert.equal(limited.rows.length, 2);
      assert.equal(limited.truncated, true);
      const none = await cli('--db', url, '--oid', 'nobody');
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.stdout, 'no audit rows match\n');
      // a role the login cannot read as: a database error, exit 3
      const role = await cli('--db', url, '--request-id', 'req-cli-alice', '--role', 'no_such_role');
      assert.equal(role.code, 3, role.stderr);
      assert.match(role.stderr, /database error/);
    });
  });
}

describe('apim-rls audit without a database', () => {
  it('bad input exits 2 with one line, before any database is opened', async () => {
    // the URL names a server that does not exist: exit 2 (not 3) proves nothing was opened
    const url = 'postgres://127.0.0.1:1/none';
    for (const [args, message] of [
      [[], /name what to find: --request-id, --trace-id, --oid or --since/],
      [['--trace-id', 'XYZ'], /--trace-id must be 32 lower-case hex digits/],
      [['--trace-id', '0'.repeat(32)], /--trace-id must be 32 lower-case hex digits, not all zero/],
      [['--request-id', 'a b'], /--request-id must be/],
      [['--request-id', 'r', '--limit', '0'], /--limit must be an integer in 1\.\.10000/],
      [['--since', 'yesterday'], /--since must be an ISO 8601 date/],
      [['--request-id', 'r', '--format', 'xml'], /--format must be text or json/],
    ] as const) {
      const r = await cli('--db', url, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  it('an unreachable server exits 3', async () => {
    const r = await cli('--db', 'postgres://127.0.0.1:1/none', '--request-id', 'r');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^apim-rls: /);
  });

  it('a PGlite folder that does not exist exits 3 and is not created (a read-only command makes no empty database)', async () => {
    // regression: audit --db ./typo created an empty database there, then said "apply first"
    const missing = join(tmp, 'typo', 'db');
    const r = await cli('--db', `pglite:${missing}`, '--request-id', 'r');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^apim-rls: no PGlite database at .*typo\/db \(the folder does not exist\)/);
    assert.equal(existsSync(join(tmp, 'typo')), false, 'nothing was created');
  });
});
