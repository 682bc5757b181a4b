import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emitMssql, emitMssqlRemove, msKeyType } from '../../../rls/emit/mssql.js';
import { blockOperations, type RlsSpec } from '../../../rls/spec/schema.js';
import { ordersSpec, ordersSpecInput } from '../../../rls/sample/index.js';
import { parseSpec } from '../../../rls/spec/load.js';
import { RlsError } from '../../../rls/errors.js';
import { hostile, hostileSpec } from './hostile.js';

const golden = (name: string) => readFileSync(join(import.meta.dirname, '..', 'golden', name), 'utf8');

type Token = { kind: 'ident'; value: string } | { kind: 'nstring'; value: string } | { kind: 'guid'; value: string } | { kind: 'word'; value: string } | { kind: 'other'; value: string };

/** A T-SQL tokenizer sufficient for the emitted scripts: [identifiers], N'strings', 'GUIDs', -- comments, words, punctuation. */
function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  const re = /(--[^\n]*)|\[((?:[^\]]|\]\])*)\]|N'((?:[^']|'')*)'|'((?:[^']|'')*)'|(@?[A-Za-z_][A-Za-z0-9_]*)|(\s+)|(.)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(sql)) !== null) {
    if (m[1] !== undefined || m[6] !== undefined) continue;
    if (m[2] !== undefined) out.push({ kind: 'ident', value: m[2].replace(/\]\]/g, ']') });
    else if (m[3] !== undefined) out.push({ kind: 'nstring', value: m[3].replace(/''/g, "'") });
    else if (m[4] !== undefined) out.push({ kind: 'guid', value: m[4] });
    else if (m[5] !== undefined) out.push({ kind: 'word', value: m[5] });
    else out.push({ kind: 'other', value: m[7] ?? '' });
  }
  return out;
}

/** Every bare word the emitter may write: T-SQL keywords, built-ins, its own parameter names and aliases. */
const allowedWords = new Set(
  `SET XACT_ABORT ON BEGIN TRANSACTION COMMIT GO IF SCHEMA_ID IS NULL NOT EXEC CREATE SCHEMA AUTHORIZATION DATABASE_PRINCIPAL_ID ROLE USER FROM
   EXTERNAL PROVIDER WITH OBJECT_ID EXISTS SELECT sys database_role_members AS JOIN database_principals
   WHERE AND ALTER ADD MEMBER REVOKE INSERT UPDATE DELETE OBJECT GRANT TO DENY CONTROL EXECUTE REFERENCES ANY SECURITY POLICY DROP OR FUNCTION
   RETURNS TABLE SCHEMABINDING RETURN CAST SESSION_CONTEXT nvarchar uniqueidentifier int bigint OPENJSON IN FILTER PREDICATE BLOCK AFTER BEFORE STATE
   objects END DROP USER_NAME @tenant @owner N on error exit COLLATE Latin1_General_100_BIN2 DATALENGTH RTRIM
   IDENTITY PRIMARY KEY datetime2 sysname CHECK indexes INDEX TAKE OWNERSHIP IS_MEMBER TRIGGER NOCOUNT DECLARE @op CASE WHEN THEN ELSE
   inserted deleted INTO SYSUTCDATETIME FOR JSON PATH WITHOUT_ARRAY_WRAPPER INCLUDE_NULL_VALUES UNION ALL`.split(/\s+/),
);

function policyPredicates(script: string): { type: string; fn: string; table: string; op: string | undefined }[] {
  const out = [];
  const re = /ADD (FILTER|BLOCK) PREDICATE (\[[^(]+\])\([^)]*\) ON (\[.+?\]\.\[.+?\])(?: (AFTER INSERT|AFTER UPDATE|BEFORE UPDATE|BEFORE DELETE))?(?:,|\n)/g;
  for (const m of script.matchAll(re)) out.push({ type: m[1] ?? '', fn: m[2] ?? '', table: m[3] ?? '', op: m[4] });
  return out;
}

const quoted = (s: string) => `[${s.replace(/]/g, ']]')}]`;

function structural(spec: RlsSpec, script: string) {
  // every protected table: one FILTER and one BLOCK per declared operation
  const preds = policyPredicates(script);
  for (const t of spec.tables) {
    const table = `${quoted(t.schema)}.${quoted(t.name)}`;
    const mine = preds.filter((p) => p.table === table);
    assert.equal(mine.filter((p) => p.type === 'FILTER').length, 1, `FILTER on ${table}`);
    const sql = { afterInsert: 'AFTER INSERT', afterUpdate: 'AFTER UPDATE', beforeUpdate: 'BEFORE UPDATE', beforeDelete: 'BEFORE DELETE' } as const;
    for (const op of blockOperations) {
      assert.equal(mine.filter((p) => p.type === 'BLOCK' && p.op === sql[op]).length, t.block.includes(op) ? 1 : 0, `BLOCK ${op} on ${table}`);
    }
    // every predicate function is created, schema-bound, before the policy
    for (const p of mine) {
      const at = script.indexOf(`CREATE OR ALTER FUNCTION ${p.fn}(`);
      assert.ok(at >= 0 && at < script.indexOf('CREATE SECURITY POLICY'), `function ${p.fn} created before the policy`);
      assert.match(script.slice(at, at + 400), /RETURNS TABLE\nWITH SCHEMABINDING\nAS\nRETURN/);
    }
  }
  assert.match(script, /WITH \(STATE = ON, SCHEMABINDING = ON\);/);
  // every session read is cast
  const reads = script.match(/SESSION_CONTEXT\(/g) ?? [];
  const cast = script.match(/CAST\(SESSION_CONTEXT\(N'[a-z_][a-z0-9_]*'\) AS (nvarchar\(\d+\)|uniqueidentifier|int|bigint)\)/g) ?? [];
  assert.ok(reads.length > 0);
  assert.equal(cast.length, reads.length, 'every SESSION_CONTEXT read is CAST');
  // every identifier quoted: outside [..], N'..', GUID literals and comments only keywords remain
  const tokens = tokenize(script);
  const bare = tokens.filter((t) => t.kind === 'word' && !allowedWords.has(t.value)).map((t) => t.value);
  assert.deepEqual([...new Set(bare)], [], 'bare words that are not keywords');
  for (const t of tokens.filter((x) => x.kind === 'guid')) assert.match(t.value, /^[0-9a-f-]{36}$/i);
  return tokens;
}

describe('T-SQL emitter', () => {
  it('matches the golden files (apply and remove)', () => {
    assert.equal(emitMssql(ordersSpec).script, golden('orders.mssql.sql'));
    assert.equal(emitMssqlRemove(ordersSpec).script, golden('orders.mssql.remove.sql'));
  });

  it('orders: structure (filter + blocks per table, casts, quoting, least privilege, policy manager)', () => {
    const { script, batches } = emitMssql(ordersSpec);
    structural(ordersSpec, script);
    // the audit table, its indexes and grants, then one batch per function and trigger (CREATE FUNCTION/TRIGGER must start a batch), the policy last
    assert.match(batches[1] ?? '', /^-- audit trail: the audit table/);
    assert.match(batches[2] ?? '', /^IF NOT EXISTS \(SELECT 1 FROM sys\.indexes/);
    assert.match(batches[3] ?? '', /^-- audit trail: the application reads/);
    assert.ok(batches.slice(4, -2).every((b) => b.startsWith('CREATE OR ALTER FUNCTION') || b.startsWith('CREATE OR ALTER TRIGGER')));
    assert.match(batches.at(-2) ?? '', /^CREATE SECURITY POLICY \[rls\]\.\[orders_policy\]/);
    assert.match(batches[0] ?? '', /DROP SECURITY POLICY IF EXISTS \[rls\]\.\[orders_policy\];\s*$/);
    assert.match(script, /CREATE USER \[func-apim-rls-orders\] FROM EXTERNAL PROVIDER WITH OBJECT_ID = '11111111-2222-3333-4444-555555555555';/);
    assert.match(script, /REVOKE INSERT, UPDATE, DELETE ON OBJECT::\[app\]\.\[tenants\] FROM \[apim_rls_app\];/);
    assert.match(script, /GRANT ALTER ANY SECURITY POLICY TO \[apim_rls_policy_manager\];/);
    assert.doesNotMatch(script, /ALTER ANY SECURITY POLICY TO \[apim_rls_app\]/);
    // the tenants table has no role rules: tenant only; orders' read rule names its roles
    assert.match(script, /CREATE OR ALTER FUNCTION \[rls\]\.\[app_tenants_read\]\(@tenant nvarchar\(64\)\)[\s\S]*?AND \(1 = 1\)\);/);
    assert.match(script, /\[app_orders_read\][\s\S]*?IN \(N'Orders\.Read', N'Orders\.Write'\) AND DATALENGTH\(\[r\]\.\[value\]\) = DATALENGTH\(RTRIM\(\[r\]\.\[value\]\)\)\) AND \(@owner = CAST\(SESSION_CONTEXT\(N'user_oid'\) AS nvarchar\(64\)\) COLLATE Latin1_General_100_BIN2/);
  });

  it('audit trail: one trigger per audited table reading inserted/deleted and cast session keys; the app role reads audit rows but may not write, alter or take them', () => {
    const { script, batches } = emitMssql(ordersSpec);
    const triggers = batches.filter((b) => b.startsWith('CREATE OR ALTER TRIGGER'));
    assert.deepEqual(triggers.map((b) => b.split('\n').slice(0, 2).join(' ')), ['CREATE OR ALTER TRIGGER [app].[apim_rls_audit_orders] ON [app].[orders] AFTER INSERT, UPDATE, DELETE']);
    const trigger = triggers[0] ?? '';
    assert.match(trigger, /^ {2}SET NOCOUNT ON;$/m);
    assert.match(trigger, /FROM inserted AS \[i\] WHERE @op <> N'delete'/);
    assert.match(trigger, /FROM deleted AS \[d\] WHERE @op = N'delete'/);
    for (const key of ['tenant_id', 'user_oid', 'roles', 'request_id', 'trace_id']) assert.match(trigger, new RegExp(`CAST\\(SESSION_CONTEXT\\(N'${key}'\\) AS nvarchar\\(\\d+\\)\\)`), key);
    // the trigger comes after the audit table exists and before the policy
    assert.ok(script.indexOf('CREATE TABLE [audit].[row_changes]') < script.indexOf('CREATE OR ALTER TRIGGER'));
    assert.ok(script.indexOf('CREATE OR ALTER TRIGGER') < script.indexOf('CREATE SECURITY POLICY'));
    // tenants read their own audit rows through a FILTER predicate in the same policy
    assert.match(script, /ADD FILTER PREDICATE \[rls\]\.\[audit_row_changes_read\]\(\[tenant_id\]\) ON \[audit\]\.\[row_changes\]\n/);
    assert.doesNotMatch(script, /ADD BLOCK PREDICATE [^\n]* ON \[audit\]/, 'no block predicate: it would refuse the trigger\'s own insert');
    assert.match(script, /GRANT SELECT ON OBJECT::\[audit\]\.\[row_changes\] TO \[apim_rls_app\];/);
    assert.match(script, /DENY INSERT, UPDATE, DELETE, ALTER, REFERENCES, TAKE OWNERSHIP ON OBJECT::\[audit\]\.\[row_changes\] TO \[apim_rls_app\];/);
    assert.match(script, /DENY ALTER, TAKE OWNERSHIP ON OBJECT::\[app\]\.\[orders\] TO \[apim_rls_app\];/);
    // a DENY of CONTROL (or SELECT) would also deny the app's own reads and writes (CONTROL implies them)
    for (const line of script.split('\n').filter((l) => /^DENY .*ON (OBJECT::\[(audit|app)\]|SCHEMA::\[audit\])/.test(l))) {
      assert.doesNotMatch(line, /\b(CONTROL|SELECT)\b/, line);
    }
  });

  it('hostile names stay inside quoted identifiers and N-literals', () => {
    const { script } = emitMssql(hostileSpec);
    const tokens = structural(hostileSpec, script);
    const idents = new Set(tokens.filter((t) => t.kind === 'ident').map((t) => t.value));
    const strings = tokens.filter((t) => t.kind === 'nstring').map((t) => t.value);
    for (const v of [hostile.schema, hostile.table, hostile.tenantColumn, hostile.ownerColumn, hostile.role, hostile.principal]) {
      assert.ok(idents.has(v), `identifier ${v}`);
    }
    assert.ok(strings.includes(hostile.roleValue), 'role value as an N-literal');
    assert.ok(strings.includes(hostile.role) && strings.includes(hostile.principal), 'names in catalog lookups as N-literals');
    // the nested EXEC(N'CREATE SCHEMA [...]') decodes to a quoted identifier too
    const exec = strings.find((s) => s.startsWith('CREATE SCHEMA '));
    assert.deepEqual(tokenize(exec ?? '').filter((t) => t.kind === 'ident').map((t) => t.value), [hostile.helperSchema, 'dbo']);
    // nothing of a hostile payload appears outside a quoted token
    const bare = tokens.filter((t) => t.kind === 'word' || t.kind === 'other').map((t) => t.value).join(' ');
    for (const payload of ['PASSWORD', 'evil', 'DROP TABLE', 'w']) assert.ok(!bare.includes(` ${payload} `), payload);
  });

  it('the remove script drops the policy before its functions, and the schema only when empty', () => {
    const { script } = emitMssqlRemove(ordersSpec);
    tokenize(script);
    const policy = script.indexOf('DROP SECURITY POLICY IF EXISTS [rls].[orders_policy]');
    const fn = script.indexOf('DROP FUNCTION IF EXISTS [rls].[app_orders_read]');
    assert.ok(policy >= 0 && fn > policy);
    assert.match(script, /IF SCHEMA_ID\(N'rls'\) IS NOT NULL AND NOT EXISTS \(SELECT 1 FROM sys\.objects/);
    assert.match(script, /DROP ROLE \[apim_rls_app\]/);
  });

  it('the structural checks catch an unquoted identifier, an uncast read and a missing block predicate', () => {
    const { script } = emitMssql(ordersSpec);
    assert.throws(() => structural(ordersSpec, script.replace('ON OBJECT::[app].[orders]', 'ON OBJECT::app.orders')), /bare words/);
    assert.throws(() => structural(ordersSpec, script.replace("CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64))", "SESSION_CONTEXT(N'user_oid')")), /CAST/);
    assert.throws(() => structural(ordersSpec, script.replace(/,\n {2}ADD BLOCK PREDICATE [^\n]*ON \[app\]\.\[orders\] BEFORE DELETE/, '')), /BLOCK beforeDelete/);
  });

  it('compares exactly (issue 14 item 1): every text comparison with a session key is binary-collated and length-checked; roles too', () => {
    const { script } = emitMssql(ordersSpec);
    const reads = [...script.matchAll(/(@tenant|@owner) = (CAST\(SESSION_CONTEXT\(N'[a-z_]+'\) AS nvarchar\(\d+\)\))( COLLATE Latin1_General_100_BIN2 AND DATALENGTH\(\1\) = DATALENGTH\(\2\))?/g)];
    assert.ok(reads.length > 0);
    for (const m of reads) assert.ok(m[3], `exact comparison: ${m[0]}`);
    const openjson = (script.match(/FROM OPENJSON\(/g) ?? []).length;
    const exact = (script.match(/FROM OPENJSON\(CAST\(SESSION_CONTEXT\(N'roles'\) AS nvarchar\(4000\)\)\) AS \[r\] WHERE \[r\]\.\[value\] COLLATE Latin1_General_100_BIN2 IN \([^)]*\) AND DATALENGTH\(\[r\]\.\[value\]\) = DATALENGTH\(RTRIM\(\[r\]\.\[value\]\)\)\)/g) ?? []).length;
    assert.ok(openjson > 0);
    assert.equal(exact, openjson, 'every role match is binary and refuses a trailing space');
    assert.doesNotMatch(script, /= CAST\(SESSION_CONTEXT\(N'[a-z_]+'\) AS nvarchar\(\d+\)\)(?! COLLATE)/, 'no text comparison without the binary collation');
  });

  it('uuid keys compare as uniqueidentifier; predicate parameters take the column type, not the key\'s (issue 14 items 1, 2)', () => {
    const input = structuredClone(ordersSpecInput) as Record<string, unknown> & typeof ordersSpecInput;
    const keys = input.sessionKeys as unknown as Record<string, unknown>[];
    keys[0] = { name: 'tenant_id', type: 'text', maxLength: 200, claim: 'tid', required: true };
    keys[1] = { name: 'user_oid', type: 'uuid', claim: 'oid', required: true };
    const tables = input.tables as unknown as { tenant: Record<string, unknown>; owner?: Record<string, unknown> }[];
    tables[0]!.tenant = { column: 'id', type: 'text', maxLength: 200, key: 'tenant_id' };
    tables[1]!.tenant = { column: 'tenant_id', type: 'text', maxLength: 200, key: 'tenant_id' };
    tables[1]!.owner = { column: 'owner_oid', type: 'uuid', key: 'user_oid' };
    const { script } = emitMssql(parseSpec(input, 'test'));
    assert.match(script, /\[app_orders_read\]\(@tenant nvarchar\(200\), @owner uniqueidentifier\)/);
    assert.match(script, /@owner = CAST\(SESSION_CONTEXT\(N'user_oid'\) AS uniqueidentifier\)\)/);
    assert.doesNotMatch(script, /@owner = CAST\(SESSION_CONTEXT\(N'user_oid'\) AS uniqueidentifier\) COLLATE/);
    assert.doesNotMatch(script, /nvarchar\(64\)/, 'nothing is cut to the old 64 characters');
  });

  it('a column whose type or length differs from its key is refused with a message naming both (issue 14 item 2)', () => {
    const wider = structuredClone(ordersSpecInput);
    (wider.tables[1] as { tenant: Record<string, unknown> }).tenant = { column: 'tenant_id', type: 'text', maxLength: 128, key: 'tenant_id' };
    assert.throws(() => parseSpec(wider, 'test'), (e: unknown) => e instanceof RlsError && e.code === 'RLS_SPEC_INVALID' && e.issues.some((i) => i.path === 'tables.1.tenant.type' && /app\.orders\.tenant_id is text\(128\) but session key "tenant_id" is text\(64\)/.test(i.reason)));
    const uuid = structuredClone(ordersSpecInput);
    (uuid.tables[1] as { owner: Record<string, unknown> }).owner = { column: 'owner_oid', type: 'uuid', key: 'user_oid' };
    assert.throws(() => parseSpec(uuid, 'test'), (e: unknown) => e instanceof RlsError && e.issues.some((i) => i.path === 'tables.1.owner.type' && /is uuid but session key "user_oid" is text\(64\)/.test(i.reason)));
    const noLength = structuredClone(ordersSpecInput);
    (noLength.tables[0] as { tenant: Record<string, unknown> }).tenant = { column: 'id', type: 'text', key: 'tenant_id' };
    assert.throws(() => parseSpec(noLength, 'test'), (e: unknown) => e instanceof RlsError && e.issues.some((i) => i.path === 'tables.0.tenant.maxLength'));
  });

  it('the policy manager holds what the RLS documentation requires to manage the policy (issue 14 item 3)', () => {
    const { batches } = emitMssql(ordersSpec);
    const grants = (batches.at(-1) ?? '').split('\n').filter((l) => !l.startsWith('--'));
    const pm = '[apim_rls_policy_manager]';
    assert.deepEqual(grants, [
      ...['app_tenants_read', 'app_tenants_insert', 'app_tenants_update', 'app_tenants_delete'].map((f) => `GRANT SELECT, REFERENCES ON OBJECT::[rls].[${f}] TO ${pm};`),
      `GRANT REFERENCES ON OBJECT::[app].[tenants] TO ${pm};`,
      `GRANT REFERENCES ([id]) ON OBJECT::[app].[tenants] TO ${pm};`,
      ...['app_orders_read', 'app_orders_insert', 'app_orders_update', 'app_orders_delete'].map((f) => `GRANT SELECT, REFERENCES ON OBJECT::[rls].[${f}] TO ${pm};`),
      `GRANT REFERENCES ON OBJECT::[app].[orders] TO ${pm};`,
      `GRANT REFERENCES ([tenant_id], [owner_oid]) ON OBJECT::[app].[orders] TO ${pm};`,
      `GRANT SELECT, REFERENCES ON OBJECT::[rls].[audit_row_changes_read] TO ${pm};`,
      `GRANT REFERENCES ON OBJECT::[audit].[row_changes] TO ${pm};`,
      `GRANT REFERENCES ([tenant_id]) ON OBJECT::[audit].[row_changes] TO ${pm};`,
    ]);
    // ALTER ANY SECURITY POLICY in the setup batch; never to the application role
    assert.match(batches[0] ?? '', /GRANT ALTER ANY SECURITY POLICY TO \[apim_rls_policy_manager\];/);
    assert.ok(!batches.join('\n').includes('TO [apim_rls_app]') || !/GRANT (SELECT, REFERENCES|REFERENCES)[^\n]*TO \[apim_rls_app\]/.test(batches.join('\n')));
  });

  it('CREATE USER ... WITH OBJECT_ID: the name must start with the principal\'s display name (issue 14 item 4, error 37545)', () => {
    const wrong = structuredClone(ordersSpecInput);
    (wrong.principals[0] as { displayName: string }).displayName = 'func-other';
    assert.throws(() => parseSpec(wrong, 'test'), (e: unknown) => e instanceof RlsError && e.issues.some((i) => i.path === 'principals.0.name' && /must start with the display name "func-other".*37545/.test(i.reason)));
    const missing = structuredClone(ordersSpecInput) as { principals: Record<string, unknown>[] };
    delete missing.principals[0]!['displayName'];
    assert.throws(() => parseSpec(missing, 'test'), (e: unknown) => e instanceof RlsError && e.issues.some((i) => i.path === 'principals.0.displayName'));
    // a suffix after the display name is what the rule allows (e.g. part of the object id)
    const suffixed = structuredClone(ordersSpecInput);
    (suffixed.principals[0] as { name: string; displayName: string }).displayName = 'func-apim-rls';
    assert.match(emitMssql(parseSpec(suffixed, 'test')).script, /CREATE USER \[func-apim-rls-orders\] FROM EXTERNAL PROVIDER WITH OBJECT_ID = '11111111-2222-3333-4444-555555555555';/);
  });

  it('casts each key type', () => {
    assert.equal(msKeyType({ name: 'a', type: 'uuid', source: 'claim', required: true, multiValued: false }), 'uniqueidentifier');
    assert.equal(msKeyType({ name: 'a', type: 'text', maxLength: 12, source: 'claim', required: true, multiValued: false }), 'nvarchar(12)');
    assert.equal(msKeyType({ name: 'a', type: 'bigint', source: 'claim', required: true, multiValued: false }), 'bigint');
  });
});
