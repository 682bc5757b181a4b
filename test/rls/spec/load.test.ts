import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { RlsError } from '../../../rls/errors.js';
import { loadSpec, parseSpec } from '../../../rls/spec/load.js';
import { ordersSpec, ordersSpecInput } from '../../../rls/sample/index.js';

const dir = mkdtempSync(join(tmpdir(), 'apim-rls-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Loosely typed on purpose: the tests build specs the types forbid. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** A deep copy of the sample input, changed by `edit`. */
function variant(edit: (s: Loose) => void): unknown {
  const s = structuredClone(ordersSpecInput) as Loose;
  edit(s);
  return s;
}

function issues(input: unknown): { path: string; reason: string }[] {
  try {
    parseSpec(input);
  } catch (err) {
    assert.ok(err instanceof RlsError);
    assert.equal(err.code, 'RLS_SPEC_INVALID');
    return [...err.issues];
  }
  assert.fail('expected the spec to be rejected');
}

describe('RLS spec', () => {
  it('the sample parses and gets defaults', () => {
    assert.equal(ordersSpec.tables[0]?.block.length, 4);
    assert.deepEqual(ordersSpec.bypass, []);
    assert.equal(ordersSpec.sessionKeys.find((k) => k.name === 'request_id')?.source, 'request-id');
  });

  const bad: [string, (s: Loose) => void, string, RegExp][] = [
    ['unknown tenant key', (s) => (s.tables[1].tenant.key = 'tenant'), 'tables.1.tenant.key', /names no session key "tenant"/],
    ['tenant key not required', (s) => (s.sessionKeys[0].required = false), 'tables.0.tenant.key', /must be required/],
    ['owner rule without owner column', (s) => delete s.tables[1].owner, 'tables.1.access.select.1.scope', /owner column/],
    ['missing column', (s) => delete s.tables[0].tenant.column, 'tables.0.tenant.column', /expected string/i],
    ['text key without maxLength', (s) => delete s.sessionKeys[1].maxLength, 'sessionKeys.1.maxLength', /required for type text/],
    ['claim key without claim', (s) => delete s.sessionKeys[0].claim, 'sessionKeys.0.claim', /required when source is "claim"/],
    ['bad key name', (s) => (s.sessionKeys[3].name = "x'; drop"), 'sessionKeys.3.name', /lower-case letters/],
    ['unknown block operation', (s) => (s.tables[1].block = ['afterDelete']), 'tables.1.block.0', /invalid option/i],
    ['bypass of an unnamed principal', (s) => (s.bypass = ['dba']), 'bypass.0', /only a named principal may bypass/],
    ['bypass of an application principal', (s) => (s.bypass = ['func-apim-rls-orders']), 'bypass.0', /must not bypass/],
    ['principal joins an unknown role', (s) => (s.principals[0].roles = ['db_owner']), 'principals.0.roles.0', /names no application role/],
    ['bad object id', (s) => (s.principals[0].objectId = 'not-a-guid'), 'principals.0.objectId', /GUID/],
    ['unknown property', (s) => (s.tables[0].filter = 'true'), 'tables.0', /unrecognized key/i],
    ['privilege beyond DML', (s) => (s.applicationRoles[0].grants[0].privileges = ['ALL']), 'applicationRoles.0.grants.0.privileges.0', /invalid option/i],
    ['policy manager is the app role', (s) => (s.policyManager.name = 'apim_rls_app'), 'policyManager.name', /must differ/],
    ['rules without a roles key', (s) => delete s.rolesKey, 'rolesKey', /required when a table has access rules/],
    ['duplicate table', (s) => s.tables.push(structuredClone(s.tables[0])), 'tables.2', /duplicate "app.tenants"/],
  ];
  for (const [name, edit, path, reason] of bad) {
    it(`rejects ${name}, naming ${path}`, () => {
      const found = issues(variant(edit));
      const hit = found.find((i) => i.path === path);
      assert.ok(hit, `no issue at ${path}: ${JSON.stringify(found)}`);
      assert.match(hit.reason, reason);
    });
  }

  it('the error message lists path and reason', () => {
    assert.throws(
      () => parseSpec(variant((s) => (s.tables[1].tenant.key = 'nope')), 'my.yaml'),
      (err: Error) => /invalid RLS spec my\.yaml:\n {2}tables\.1\.tenant\.key: names no session key "nope"/.test(err.message),
    );
  });

  it('loads the same spec from JSON, YAML and TypeScript', async () => {
    const json = join(dir, 'spec.json');
    const yaml = join(dir, 'spec.yaml');
    writeFileSync(json, JSON.stringify(ordersSpecInput));
    writeFileSync(yaml, stringify(ordersSpecInput));
    assert.deepEqual(await loadSpec(json), ordersSpec);
    assert.deepEqual(await loadSpec(yaml), ordersSpec);
    assert.deepEqual(await loadSpec(join(import.meta.dirname, '..', '..', '..', 'rls', 'sample', 'spec.ts')), ordersSpec);
  });

  it('an unreadable or malformed file is RLS_FILE_UNREADABLE; an invalid one RLS_SPEC_INVALID', async () => {
    await assert.rejects(loadSpec(join(dir, 'missing.yaml')), { code: 'RLS_FILE_UNREADABLE' });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"version": 1,');
    await assert.rejects(loadSpec(broken), { code: 'RLS_FILE_UNREADABLE' });
    const txt = join(dir, 'spec.txt');
    writeFileSync(txt, '{}');
    await assert.rejects(loadSpec(txt), /unknown file type/);
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, 'version: 2\n');
    await assert.rejects(loadSpec(invalid), (err: RlsError) => err.code === 'RLS_SPEC_INVALID' && err.issues.some((i) => i.path === 'version'));
  });
});
