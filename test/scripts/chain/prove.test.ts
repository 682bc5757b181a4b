/**
 * `proveChain` on the product's chain — `policy build` output (global + orders-api), the sample
 * RLS spec and verify cases, `local.settings.example.json` — and on the same chain with one
 * mismatch seeded into one layer at a time: the gateway (the policy forwards the wrong claim as
 * the tenant; the request id not forwarded), the backend (its claim map fills the tenant key from
 * the wrong claim), the database (an RLS predicate changed after the truth table), and the
 * audience off by one character (every caller refused: the proof proves nothing).
 * The first proof makes its in-memory PGlite as the product does, from the run's cached initdb dump
 * (rls/db/pglite-cluster.ts), and closes it; the others share one cluster, wiped and checked as new
 * before each proof (test/support/pglite-reuse.ts): a new cluster per proof was half this file's CPU.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testPgliteCache } from '../../support/pglite.js';
import { pgliteLender } from '../../support/pglite-reuse.js';
import { ordersClaimMap } from '../../../functions/identity/claim-map.js';
import { parseCases, type VerifyCaseInput } from '../../../rls/cases.js';
import { ordersSpec, sampleCases } from '../../../rls/sample/index.js';
import { buildPolicies } from '../../../scripts/commands/policy-build.js';
import { issuerOfDiscoveryUrl } from '../../../scripts/chain/prove/identity-provider.js';
import { formatProveReport, proveChain, ProveError, sampleProveDatabase, type ProveInput, type ProveReport, type ProveRow } from '../../../scripts/chain/prove/index.js';

/** 2026-01-01T00:00:00Z for every part: token times, key caches, rate-limit windows. */
const now = () => Date.UTC(2026, 0, 1);
const settings = (JSON.parse(readFileSync('local.settings.example.json', 'utf8')) as { Values: Record<string, string> }).Values;
const caseNamed = (prefix: string): VerifyCaseInput => {
  const c = sampleCases.find((x) => x.name.startsWith(prefix));
  assert.ok(c, prefix);
  return c;
};
const aliceWrites = caseNamed('alice (Orders.Read, Orders.Write)');

let dir: string;
let policy: string;
let globalPolicy: string;
const cluster = pgliteLender();
/** The proof's database on the file's one cluster, wiped and checked as new first. */
const onSharedCluster = (): Pick<ProveInput, 'openPglite'> => ({ openPglite: () => cluster.take() });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apim-rls-prove-test-'));
  const built = buildPolicies({ outDir: dir, form: 'xml' });
  const text = (name: string) => readFileSync(built.find((b) => b.name === name)!.path, 'utf8');
  policy = text('orders-api');
  globalPolicy = text('global');
});
after(async () => {
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The input without `openPglite`: the proof makes its own cluster as the product does (and closes it). */
function asTheProductDoes(input: ProveInput): ProveInput {
  const { openPglite: _shared, ...own } = input;
  return own;
}

/** The product's chain; the named values point the policy at what the settings trust. */
function chain(overrides: Partial<ProveInput> = {}, tenant = 'contoso'): ProveInput {
  return {
    policy,
    scopes: [globalPolicy],
    namedValues: {
      'entra-openid-config': settings['APIM_RLS_OPENID_CONFIG_URL']!,
      'entra-issuer': issuerOfDiscoveryUrl(settings['APIM_RLS_OPENID_CONFIG_URL']!),
      'entra-tenant-id': tenant,
      'orders-backend-resource': settings['APIM_RLS_GATEWAY_AUDIENCE']!,
    },
    spec: ordersSpec,
    cases: parseCases({ cases: sampleCases }),
    settings,
    now,
    callTimeoutInMs: 60_000,
    // without openPglite (asTheProductDoes): a new in-memory cluster from the run's cached initdb dump
    pgliteCache: testPgliteCache(),
    ...onSharedCluster(),
    ...overrides,
  };
}

const rowOf = (report: ProveReport, c: string, subject: string): ProveRow => {
  const r = report.rows.find((x) => x.case.startsWith(c) && x.subject === subject);
  assert.ok(r, `${c} / ${subject}`);
  return r;
};
const layers = (report: ProveReport) => [...new Set(report.rows.filter((r) => r.outcome === 'mismatch').map((r) => r.layer))];

describe('chain check --prove on the product chain', () => {
  it('runs every verify case end to end and agrees with rls verify (one run per tenant the gateway admits)', async () => {
    const contoso = await proveChain(asTheProductDoes(chain()));
    const fabrikam = await proveChain(chain({ cases: parseCases({ cases: sampleCases.filter((c) => c.claims['tid'] === 'fabrikam') }) }, 'fabrikam'));
    for (const report of [contoso, fabrikam]) {
      assert.equal(report.truth.mismatches, 0, 'rls verify agrees with its cases');
      assert.equal(report.mismatches, 0, formatProveReport(report));
    }
    // every check of the truth table was run through the API in one of the runs, and agreed or has no API operation
    const checks = contoso.truth.rows.filter((t) => t.kind === 'rows' || t.kind === 'write');
    assert.equal(checks.length, sampleCases.reduce((n, c) => n + Object.keys(c.rows ?? {}).length + (c.writes?.length ?? 0), 0));
    const notProven: string[] = [];
    for (const t of checks) {
      const seen = [contoso, fabrikam].flatMap((r) => r.rows.filter((x) => x.case === t.case && x.subject === t.subject && (x.kind === 'rows' || x.kind === 'write')));
      assert.ok(seen.length > 0, `${t.case} / ${t.subject} was not run`);
      for (const s of seen) assert.equal(s.truth, t.actual, `${t.case} / ${t.subject}: the proof compares with the truth table`);
      if (!seen.some((s) => s.outcome === 'agree' || s.outcome === 'unreachable')) notProven.push(`${t.case} / ${t.subject}`);
    }
    // the one check no run can prove: the gateway admits no caller without a role, RLS gives such a caller its tenant row
    assert.deepEqual(notProven, ['tenant but no role: own tenant row, no orders / app.tenants']);
    assert.equal(rowOf(contoso, 'tenant but no role', 'app.tenants').outcome, 'refused');

    // what went through the API
    assert.deepEqual(pick(rowOf(contoso, 'alice (Orders.Read)', 'app.orders')), { operation: 'GET /orders', truth: '3', api: '3', outcome: 'agree' });
    assert.deepEqual(pick(rowOf(contoso, 'bob', 'app.orders')), { operation: 'GET /orders', truth: '5', api: '5', outcome: 'agree' });
    assert.deepEqual(pick(rowOf(contoso, 'alice (Orders.Read, Orders.Write)', 'insert own')), { operation: 'POST /orders', truth: 'allowed', api: 'allowed (201)', outcome: 'agree' });
    assert.equal(rowOf(contoso, 'bob', "delete alice's").api, 'allowed (204)');
    // each allowed write left one audit row with the caller's identity, under the request's id
    assert.deepEqual(pick(rowOf(contoso, 'alice (Orders.Read, Orders.Write)', 'insert own: audit row')), {
      operation: 'POST /orders',
      truth: '1 insert row by "contoso" / "00000000-0000-0000-0000-0000000000a1"',
      api: '1 insert row by "contoso" / "00000000-0000-0000-0000-0000000000a1"',
      outcome: 'agree',
    });
    assert.equal(rowOf(contoso, 'bob', "delete alice's: audit row").api, '1 delete row by "contoso" / "00000000-0000-0000-0000-0000000000b1"');
    assert.match(rowOf(contoso, 'alice (Orders.Read, Orders.Write)', "update bob's").api, /^blocked \(404 from the backend \(FN_110_NOT_FOUND: not_found\)\)$/);
    assert.match(rowOf(contoso, 'bob', 'insert (no Orders.Write)').api, /^blocked \(403 from the backend \(FN_300_FORBIDDEN_BY_POLICY: rls_blocked\)\)$/);
    assert.deepEqual(pick(rowOf(fabrikam, 'carol (fabrikam)', 'app.orders')), { operation: 'GET /orders', truth: '2', api: '2', outcome: 'agree' });
    // the rows no API operation expresses: reported as such, never as passes
    const insertAsBob = rowOf(contoso, 'alice (Orders.Read, Orders.Write)', 'insert as bob');
    assert.equal(insertAsBob.outcome, 'unreachable');
    assert.match(insertAsBob.detail ?? '', /the API refuses the attempt: 422 from the backend \(FN_122_VALIDATION_FAILED/);
    assert.match(rowOf(contoso, 'alice (Orders.Read, Orders.Write)', 'insert a tenant (not granted)').detail ?? '', /the API writes no rows of app\.tenants/);
    assert.equal(rowOf(contoso, 'bob', 'move alice-1 to fabrikam').outcome, 'unreachable');
    // carol is outside the tenant the contoso gateway admits
    assert.equal(rowOf(contoso, 'carol (fabrikam)', 'app.orders').outcome, 'refused');

    // the identity on the way, as the backend received it and the database reported it
    const alice = contoso.cases.find((c) => c.case.startsWith('alice (Orders.Read)'))!;
    assert.equal(alice.forwarded?.headers['x-identity-tenant-id'], 'contoso');
    assert.equal(alice.forwarded?.authorization, 'gateway token');
    assert.deepEqual({ ...alice.sessionKeys, request_id: typeof alice.sessionKeys?.['request_id'] }, { tenant_id: 'contoso', user_oid: '00000000-0000-0000-0000-0000000000a1', roles: ['Orders.Read'], request_id: 'string' });
    assert.equal(alice.sessionKeys?.['request_id'], alice.forwarded?.headers['x-request-id']);
    assert.deepEqual(alice.findings, []);
    assert.match(formatProveReport(contoso), /0 mismatch, \d+ not reachable through the API/);
  });
});

const pick = (r: ProveRow) => ({ operation: r.operation, truth: r.truth, api: r.api, outcome: r.outcome });

describe('chain check --prove: the gateway of each case', () => {
  it("starts each case with empty rate-limit counters (cases are separate callers), and counts a case's calls", async () => {
    const limit = /<rate-limit-by-key calls="100" /;
    assert.match(policy, limit);
    const reads = { ...aliceWrites, rows: { 'app.orders': 3 }, writes: [] };
    const insertOwn = aliceWrites.writes?.find((w) => w.name === 'insert own');
    assert.ok(insertOwn);
    // the same caller (one counter key) three times; two calls allowed per window: GET /me and GET /orders
    const cases = parseCases({ cases: [{ ...reads, name: 'first' }, { ...reads, name: 'second' }, { ...reads, name: 'third, one call too many', writes: [insertOwn] }] });
    const report = await proveChain(chain({ policy: policy.replace(limit, '<rate-limit-by-key calls="2" '), cases }));
    assert.deepEqual(
      report.rows.filter((r) => r.subject === 'app.orders' || r.subject === 'insert own').map((r) => [r.case, r.subject, r.api, r.outcome]),
      [
        ['first', 'app.orders', '3', 'agree'],
        ['second', 'app.orders', '3', 'agree'],
        ['third, one call too many', 'app.orders', '3', 'agree'],
        ['third, one call too many', 'insert own', 'error (429 from the gateway (rate-limit-by-key: RateLimitExceeded))', 'mismatch'],
      ],
    );
  });
});

describe('chain check --prove names the layer of a seeded mismatch', () => {
  const oneCase = (c: VerifyCaseInput) => parseCases({ cases: [c] });

  it('gateway: the policy forwards the caller oid as the tenant header', async () => {
    const header = '<set-header name="X-Identity-Tenant-Id" exists-action="override">\n            <value>@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("tid", "")))</value>';
    assert.ok(policy.includes(header));
    const seeded = policy.replace(header, header.replace('"tid"', '"oid"'));
    const report = await proveChain(chain({ policy: seeded, cases: oneCase(aliceWrites) }));
    assert.deepEqual(layers(report), ['gateway']);
    const forwarded = rowOf(report, 'alice', 'forwarded identity');
    assert.equal(forwarded.outcome, 'mismatch');
    assert.match(forwarded.api, /X-Identity-Tenant-Id carries "00000000-0000-0000-0000-0000000000a1", but the token's tid is "contoso"/);
    // the backend trusted the header: the tenant key in the database is the oid, and alice sees none of her orders
    assert.equal(report.cases[0]?.sessionKeys?.['tenant_id'], '00000000-0000-0000-0000-0000000000a1');
    assert.deepEqual(pick(rowOf(report, 'alice', 'app.orders')), { operation: 'GET /orders', truth: '3', api: '0', outcome: 'mismatch' });
    assert.equal(rowOf(report, 'alice', 'app.orders').layer, 'gateway');
    assert.equal(rowOf(report, 'alice', 'insert own').outcome, 'mismatch');
  });

  it('gateway, caller-token mode: the backend refuses the header that disagrees with the token, still named at the gateway', async () => {
    const header = '<set-header name="X-Identity-Tenant-Id" exists-action="override">\n            <value>@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("tid", "")))</value>';
    const managedIdentity = /<authentication-managed-identity [^>]*\/>/;
    assert.match(policy, managedIdentity);
    const callerToken = { settings: { ...settings, APIM_RLS_AUTH_MODE: 'caller-token' }, cases: oneCase(aliceWrites) };
    // the chain in caller-token mode (no managed-identity token: the caller's token reaches the backend) proves clean
    const clean = await proveChain(chain({ policy: policy.replace(managedIdentity, ''), ...callerToken }));
    assert.equal(clean.mismatches, 0, formatProveReport(clean));
    assert.equal(clean.cases[0]?.forwarded?.authorization, 'caller token');
    const report = await proveChain(chain({ policy: policy.replace(managedIdentity, '').replace(header, header.replace('"tid"', '"oid"')), ...callerToken }));
    assert.deepEqual(layers(report), ['gateway']);
    const orders = rowOf(report, 'alice', 'app.orders');
    assert.equal(orders.api, '0 (refused: 401 from the backend (FN_202_UNPROVEN_IDENTITY_HEADERS: identity_header_mismatch:tid))');
    assert.equal(orders.layer, 'gateway');
  });

  it("gateway: the policy forwards the caller's sub as the object id", async () => {
    const header = '<set-header name="X-Identity-Object-Id" exists-action="override">\n            <value>@(Uri.EscapeDataString(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", "")))</value>';
    assert.ok(policy.includes(header));
    const report = await proveChain(chain({ policy: policy.replace(header, header.replace('"oid"', '"sub"')), cases: oneCase(caseNamed('alice (Orders.Read)')) }));
    assert.deepEqual(layers(report), ['gateway']);
    assert.match(rowOf(report, 'alice', 'forwarded identity').api, /X-Identity-Object-Id carries "pairwise-00000000-0000-0000-0000-0000000000a1", but the token's oid is "00000000-0000-0000-0000-0000000000a1"/);
    assert.deepEqual(pick(rowOf(report, 'alice', 'app.orders')), { operation: 'GET /orders', truth: '3', api: '0', outcome: 'mismatch' });
  });

  it('gateway: a claim not forwarded (the tenant header never set)', async () => {
    const header = /<set-header name="X-Identity-Tenant-Id" exists-action="override">\s*<value>[^<]*<\/value>\s*<\/set-header>/;
    assert.match(policy, header);
    const report = await proveChain(chain({ policy: policy.replace(header, ''), cases: oneCase(caseNamed('alice (Orders.Read)')) }));
    assert.deepEqual(layers(report), ['gateway']);
    assert.match(rowOf(report, 'alice', 'forwarded identity').api, /X-Identity-Tenant-Id was not forwarded \(the backend reads it\): the token's tid "contoso" never reached the backend/);
    const orders = rowOf(report, 'alice', 'app.orders');
    assert.deepEqual({ api: orders.api, layer: orders.layer }, { api: '0 (refused: 403 from the backend (FN_210_CLAIM_MISSING: claim_missing:tid))', layer: 'gateway' });
  });

  it('gateway: the request id is not forwarded (rows agree, the identity check does not)', async () => {
    const header = /<set-header name="X-Request-Id" exists-action="override">\s*<value>@\(context\.RequestId\.ToString\(\)\)<\/value>\s*<\/set-header>/;
    assert.match(policy, header);
    const report = await proveChain(chain({ policy: policy.replace(header, ''), cases: oneCase(caseNamed('bob')) }));
    assert.deepEqual(layers(report), ['gateway']);
    const forwarded = rowOf(report, 'bob', 'forwarded identity');
    assert.match(forwarded.api, /X-Request-Id was not forwarded: the gateway's request id [0-9a-f-]{36} never reached the session/);
    assert.equal(rowOf(report, 'bob', 'app.orders').outcome, 'agree');
  });

  it("backend: the claim map fills the tenant key from the caller's oid", async () => {
    const claimMap = ordersClaimMap.map((r) => (r.key === 'tenant_id' ? { ...r, from: { claim: 'oid' } } : r));
    const report = await proveChain(chain({ claimMap, cases: oneCase(aliceWrites) }));
    assert.deepEqual(layers(report), ['backend']);
    assert.equal(rowOf(report, 'alice', 'forwarded identity').outcome, 'agree');
    const keys = rowOf(report, 'alice', 'session keys');
    assert.equal(keys.outcome, 'mismatch');
    assert.match(keys.api, /session key tenant_id is "00000000-0000-0000-0000-0000000000a1" in the database, but the token gives "contoso"/);
    assert.deepEqual({ ...pick(rowOf(report, 'alice', 'app.orders')), layer: rowOf(report, 'alice', 'app.orders').layer }, { operation: 'GET /orders', truth: '3', api: '0', outcome: 'mismatch', layer: 'backend' });
  });

  it('backend: it reads the identity headers under another name than the gateway forwards them', async () => {
    const report = await proveChain(chain({ settings: { ...settings, APIM_RLS_IDENTITY_HEADER_PREFIX: 'X-Caller-' }, cases: oneCase(caseNamed('alice (Orders.Read)')) }));
    assert.deepEqual(layers(report), ['backend']);
    assert.equal(rowOf(report, 'alice', 'forwarded identity').outcome, 'agree');
    const keys = rowOf(report, 'alice', 'session keys');
    assert.match(keys.api, /the backend reads X-Caller-Tenant-Id, but the gateway forwarded the token's tid as x-identity-tenant-id/);
    assert.match(keys.api, /GET \/me was refused: 403 from the backend \(FN_210_CLAIM_MISSING: claim_missing:tid\)/);
    assert.equal(rowOf(report, 'alice', 'app.orders').layer, 'backend');
  });

  it('database: an RLS predicate changed after the truth table', async () => {
    const report = await proveChain(
      chain({
        cases: oneCase(caseNamed('alice (Orders.Read)')),
        database: { ...sampleProveDatabase, afterTruthTable: (db) => db.exec('alter policy apim_rls_select on app.orders using (true)') },
      }),
    );
    assert.deepEqual(layers(report), ['database']);
    assert.equal(rowOf(report, 'alice', 'forwarded identity').outcome, 'agree');
    assert.equal(rowOf(report, 'alice', 'session keys').outcome, 'agree');
    // the tenant policy still holds: all five contoso orders instead of her three
    assert.deepEqual({ ...pick(rowOf(report, 'alice', 'app.orders')), layer: rowOf(report, 'alice', 'app.orders').layer }, { operation: 'GET /orders', truth: '3', api: '5', outcome: 'mismatch', layer: 'database' });
    assert.equal(report.truth.mismatches, 0, 'the truth table was made before the change');
  });

  it('database: the audit trigger disabled after the truth table (the writes are allowed, their audit rows missing)', async () => {
    const report = await proveChain(
      chain({
        cases: oneCase(aliceWrites),
        database: { ...sampleProveDatabase, afterTruthTable: (db) => db.exec('alter table app.orders disable trigger apim_rls_audit') },
      }),
    );
    assert.deepEqual(layers(report), ['database']);
    const audits = report.rows.filter((r) => r.subject.endsWith(': audit row'));
    assert.deepEqual(audits.map((r) => [r.subject, r.api, r.outcome]), [
      ['insert own: audit row', 'no audit row', 'mismatch'],
      ['update own: audit row', 'no audit row', 'mismatch'],
      ['delete own: audit row', 'no audit row', 'mismatch'],
    ]);
    assert.equal(rowOf(report, 'alice', 'insert own').outcome, 'agree');
  });

  it('the audience off by one character: every caller refused, the proof proves nothing', async () => {
    const report = await proveChain(chain({ settings: { ...settings, APIM_RLS_AUDIENCE: 'api://apim-rls-order' }, cases: oneCase(caseNamed('bob')) }));
    const nothing = report.rows.find((r) => r.kind === 'chain');
    assert.ok(nothing);
    assert.equal(nothing.outcome, 'mismatch');
    assert.equal(nothing.layer, 'gateway');
    assert.match(nothing.api, /401 from the gateway \(validate-jwt: /);
    assert.equal(rowOf(report, 'bob', 'app.orders').outcome, 'refused');
  });
});

describe('chain check --prove refuses bad input before it starts', () => {
  it('a named value not given, bad settings, a case naming an unknown table', async () => {
    const noDatabase = { openPglite: () => assert.fail('bad input must be refused before a database is opened') };
    const partial = { ...(chain().namedValues as Record<string, string>) };
    delete partial['entra-tenant-id'];
    const refused = (pattern: RegExp) => (err: unknown) => err instanceof ProveError && err.code === 'CHAIN_PROVE_INPUT' && pattern.test(err.message);
    await assert.rejects(proveChain(chain({ namedValues: partial, ...noDatabase })), refused(/entra-tenant-id/));
    await assert.rejects(proveChain(chain({ settings: { ...settings, APIM_RLS_AUDIENCE: '' }, ...noDatabase })), refused(/APIM_RLS_AUDIENCE/));
    const cases = parseCases({ cases: [{ name: 'x', claims: {}, rows: { 'app.nope': 0 } }] });
    await assert.rejects(proveChain(chain({ cases, ...noDatabase })), refused(/app\.nope/));
  });
});
