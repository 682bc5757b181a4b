/**
 * `apim-rls publish DIR` against the HTTPS fake ARM, through the real `@azure/arm-apimanagement`
 * client's pipeline: order, idempotence, references, preconditions, retries, partial failure and
 * convergence, prune, revisions and workspaces.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { CliError, ExitCode } from '../../../scripts/exit-codes.js';
import { registerPublish, type PublishSeams } from '../../../scripts/commands/publish.js';
import { registerExtract } from '../../../scripts/commands/extract.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { FakeArm, RESOURCE_GROUP, SERVICE, SUBSCRIPTION, fakeCredential, makeTestCertificate } from './fake-arm.js';

const cert = makeTestCertificate();
const SECRET = 's3cr3t-backend-key-9f2a';

const GLOBAL = `<policies>
  <inbound>
    <include-fragment fragment-id="auth" />
  </inbound>
  <backend>
    <forward-request />
  </backend>
  <outbound />
  <on-error />
</policies>
`;
const FRAGMENT = `<fragment>
  <set-header name="x-tenant" exists-action="override">
    <value>{{tenant-id}}</value>
  </set-header>
</fragment>
`;
const scoped = (header: string, value: string): string => `<policies>
  <inbound>
    <base />
    <set-header name="${header}" exists-action="override">
      <value>${value}</value>
    </set-header>
  </inbound>
  <backend>
    <base />
  </backend>
  <outbound>
    <base />
  </outbound>
  <on-error>
    <base />
  </on-error>
</policies>
`;

/** The estate in APIOps's layout (names as in Azure/apiops SampleArtifacts/). */
function estate(): Record<string, string> {
  return {
    'named values/tenant-id/namedValueInformation.json': JSON.stringify({ properties: { displayName: 'tenant-id', secret: false, tags: ['identity'], value: 'contoso.onmicrosoft.com' } }, null, 2),
    'named values/backend-key/namedValueInformation.json': JSON.stringify({ properties: { displayName: 'backend-key', secret: true, tags: [] } }, null, 2),
    'policy fragments/auth/policy.xml': FRAGMENT,
    'policy fragments/auth/policyFragmentInformation.json': JSON.stringify({ properties: { description: 'tenant header' } }),
    'policy.xml': GLOBAL,
    'products/starter/policy.xml': scoped('x-backend-key', '{{backend-key}}'),
    'products/starter/productInformation.json': '{ "properties": { "displayName": "Starter" } }',
    'apis/orders/policy.xml': scoped('x-api', 'orders'),
    'apis/orders/apiInformation.json': '{ "properties": { "path": "orders" } }',
    'apis/orders/operations/list/policy.xml': scoped('x-op', 'list'),
    'apis/orders;rev=2/policy.xml': scoped('x-api', 'orders-rev-2'),
    'apis/orders;rev=2/apiInformation.json': '{ "properties": { "path": "orders", "apiRevision": "2" } }',
  };
}

const PARENTS = ['products/starter', 'apis/orders', 'apis/orders/operations/list', 'apis/orders;rev=2'];

describe('apim-rls publish DIR against a fake ARM endpoint', { skip: cert === null ? 'openssl is not installed: cannot make a TLS certificate for the fake ARM endpoint' : false }, () => {
  let arm: FakeArm;
  let root: string;
  let sleeps: number[];
  const svc = ['--subscription', SUBSCRIPTION, '--resource-group', RESOURCE_GROUP, '--service', SERVICE];

  function folder(files: Record<string, string>): string {
    const dir = mkdtempSync(join(root, 'estate-'));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    return dir;
  }

  async function run(args: string[], env: Record<string, string> = { APIM_NAMED_VALUE_BACKEND_KEY: SECRET }): Promise<{ code: number; stdout: string; error: string }> {
    let stdout = '';
    const seams: PublishSeams = {
      credential: () => fakeCredential,
      env,
      stdout: (s) => (stdout += s),
      arm: { clientOptions: { tlsOptions: { ca: arm.ca }, retryOptions: { maxRetries: 0 } }, pollIntervalInMs: 0, sleep: async (ms) => void sleeps.push(ms) },
    };
    const program = new Command('apim-rls').exitOverride();
    registerPublish(program, seams);
    registerExtract(program, seams);
    try {
      await program.parseAsync([args[0] === 'extract' ? 'extract' : 'publish', ...(args[0] === 'extract' ? args.slice(1) : args), ...svc, '--endpoint', arm.endpoint], { from: 'user' });
      return { code: ExitCode.Ok, stdout, error: '' };
    } catch (err) {
      if (err instanceof CliError) return { code: err.exitCode, stdout, error: err.message };
      throw err;
    }
  }
  const writes = () => arm.log.filter((r) => r.method === 'PUT' || r.method === 'DELETE').map((r) => `${r.method} ${r.resource}`);

  before(async () => {
    arm = await new FakeArm(cert!).start();
    arm.lroPolls = 1;
    root = mkdtempSync(join(tmpdir(), 'estate-test-'));
  });
  after(async () => {
    await arm.stop();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    arm.log.length = 0;
    arm.policies.clear();
    arm.namedValues = [];
    arm.existing.clear();
    for (const p of PARENTS) arm.existing.add(p);
    arm.faults.length = 0;
    arm.beforePut = undefined;
    sleeps = [];
  });

  test('first publish writes everything in order, with If-None-Match: * on every create; a second writes nothing', async () => {
    const dir = folder(estate());
    const first = await run([dir]);
    assert.equal(first.code, ExitCode.Ok, first.error);
    assert.deepEqual(writes(), [
      'PUT namedValues/backend-key',
      'PUT namedValues/tenant-id',
      'PUT policyFragments/auth',
      'PUT policies/policy',
      'PUT products/starter/policies/policy',
      'PUT apis/orders/policies/policy',
      'PUT apis/orders;rev=2/policies/policy',
      'PUT apis/orders/operations/list/policies/policy',
    ]);
    for (const put of arm.log.filter((r) => r.method === 'PUT')) {
      assert.equal(put.ifNoneMatch, '*', `${put.resource} is created with If-None-Match: *`);
      assert.equal(put.ifMatch, undefined);
    }
    // the secret reached ARM (from the environment) but never the output
    assert.equal(arm.namedValues.find((n) => n.name === 'backend-key')?.value, SECRET);
    assert.ok(!first.stdout.includes(SECRET));
    assert.match(first.stdout, /applied 8, not applied 0/);
    // the fragment kept its description
    assert.match(JSON.stringify(arm.log.find((r) => r.resource === 'policyFragments/auth')?.body), /tenant header/);

    arm.log.length = 0;
    const second = await run([dir]);
    assert.equal(second.code, ExitCode.Ok, second.error);
    assert.deepEqual(writes(), []);
    assert.match(second.stdout, /plan: 0 to create, 0 to update, 0 to delete, 8 unchanged/);
    assert.ok(!second.stdout.includes(SECRET));
    // the secret was compared through listValue, never printed
    assert.ok(arm.log.some((r) => r.method === 'POST' && r.resource === 'namedValues/backend-key/listValue'));
  });

  test('--plan: one line per resource, a diff per changed policy, exit 1; one changed policy is one write with If-Match', async () => {
    const files = estate();
    const dir = folder(files);
    assert.equal((await run([dir])).code, ExitCode.Ok);
    writeFileSync(join(dir, 'apis/orders/operations/list/policy.xml'), scoped('x-op', 'list-v2'));
    const etag = arm.policies.get('apis/orders/operations/list/policies/policy')!.etag;
    arm.log.length = 0;
    const plan = await run([dir, '--plan']);
    assert.equal(plan.code, ExitCode.Findings);
    assert.deepEqual(writes(), []);
    assert.match(plan.stdout, /^update {4}operation orders\/list$/m);
    assert.match(plan.stdout, /^unchanged global policy$/m);
    assert.match(plan.stdout, /^-\s+<value>list<\/value>$/m);
    assert.match(plan.stdout, /^\+\s+<value>list-v2<\/value>$/m);
    assert.match(plan.stdout, /plan: 0 to create, 1 to update, 0 to delete, 7 unchanged/);

    const json = await run([dir, '--plan', '--format', 'json']);
    assert.equal(json.code, ExitCode.Findings);
    const parsed = JSON.parse(json.stdout) as { plan: { items: Array<{ path: string; action: string; diff: string }> } };
    assert.deepEqual(parsed.plan.items.filter((i) => i.action !== 'unchanged').map((i) => `${i.action} ${i.path}`), ['update apis/orders/operations/list/policies/policy']);
    assert.ok(!json.stdout.includes(SECRET));

    arm.log.length = 0;
    const apply = await run([dir]);
    assert.equal(apply.code, ExitCode.Ok, apply.error);
    assert.deepEqual(writes(), ['PUT apis/orders/operations/list/policies/policy']);
    assert.equal(arm.log.find((r) => r.method === 'PUT')!.ifMatch, etag);
    assert.equal((await run([dir, '--plan'])).code, ExitCode.Ok);
  });

  test('a fragment the global policy includes is created before the global policy', async () => {
    const dir = folder({ 'policy.xml': GLOBAL, 'policy fragments/auth/policy.xml': FRAGMENT.replace('{{tenant-id}}', 'fixed') });
    assert.equal((await run([dir])).code, ExitCode.Ok);
    assert.deepEqual(writes(), ['PUT policyFragments/auth', 'PUT policies/policy']);
  });

  test('a missing named value, fragment or parent aborts with nothing written', async () => {
    const noNv = folder({ 'policy fragments/auth/policy.xml': FRAGMENT, 'policy.xml': GLOBAL });
    const r1 = await run([noNv]);
    assert.equal(r1.code, ExitCode.BadInput);
    assert.match(r1.error, /named values neither the folder nor the service define: tenant-id \(in policy fragments\/auth\/policy\.xml\)/);
    const noFrag = folder({ 'policy.xml': GLOBAL });
    const r2 = await run([noFrag, '--format', 'json']);
    assert.equal(r2.code, ExitCode.BadInput);
    assert.equal((JSON.parse(r2.stdout) as { error: { code: string } }).error.code, 'ESTATE_INPUT_FRAGMENTS');
    const noApi = folder({ 'apis/payments/policy.xml': scoped('x', 'y') });
    const r3 = await run([noApi]);
    assert.equal(r3.code, ExitCode.BadInput);
    assert.match(r3.error, /apis\/payments does not exist in the service/);
    assert.deepEqual(writes(), []);
  });

  test('a named value the service already defines resolves without being in the folder', async () => {
    arm.namedValues = [{ name: 'tenant-id', displayName: 'tenant-id', value: 'x' }];
    const dir = folder({ 'policy fragments/auth/policy.xml': FRAGMENT });
    assert.equal((await run([dir])).code, ExitCode.Ok);
    assert.deepEqual(writes(), ['PUT policyFragments/auth']);
  });

  test('with --prune a reference must resolve in the folder: a named value only the service has would be deleted under it', async () => {
    arm.namedValues = [{ name: 'tenant-id', displayName: 'tenant-id', value: 'x' }];
    const dir = folder({ 'policy fragments/auth/policy.xml': FRAGMENT });
    const r = await run([dir, '--prune']);
    assert.equal(r.code, ExitCode.BadInput);
    assert.match(r.error, /named values the folder does not define \(--prune would delete them from the service\): tenant-id/);
    assert.deepEqual(writes(), []);
    assert.equal(arm.namedValues.length, 1);
  });

  test('lint errors at a policy\'s scope stop the run unless --force', async () => {
    // <base /> at global scope has nothing to inherit (APIM406, an error)
    const dir = folder({ 'policy.xml': scoped('x', 'y') });
    const r = await run([dir]);
    assert.equal(r.code, ExitCode.BadInput);
    assert.match(r.error, /lint errors .*policy\.xml/);
    assert.deepEqual(writes(), []);
    assert.equal((await run([dir, '--force'])).code, ExitCode.Ok);
    assert.deepEqual(writes(), ['PUT policies/policy']);
  });

  test('a secret value in the folder, or a secret without its environment variable, is refused', async () => {
    const inGit = folder({ 'named values/k/namedValueInformation.json': JSON.stringify({ properties: { displayName: 'k', secret: true, value: 'leaked' } }) });
    const r1 = await run([inGit]);
    assert.equal(r1.code, ExitCode.BadInput);
    assert.match(r1.error, /has its value in the folder/);
    assert.ok(!r1.error.includes('leaked'));
    const j = await run([inGit, '--format', 'json']);
    assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'ESTATE_INPUT_SECRET');
    assert.ok(!j.stdout.includes('leaked'));
    const dir = folder(estate());
    const r2 = await run([dir], {});
    assert.equal(r2.code, ExitCode.BadInput);
    assert.match(r2.error, /APIM_NAMED_VALUE_BACKEND_KEY/);
    assert.deepEqual(writes(), []);
  });

  test('a Key Vault named value is sent as a reference, never a value', async () => {
    const dir = folder({ 'named values/kv/namedValueInformation.json': JSON.stringify({ properties: { displayName: 'kv', secret: true, keyVault: { secretIdentifier: 'https://v.vault.azure.net/secrets/kv' } } }) });
    assert.equal((await run([dir])).code, ExitCode.Ok);
    const body = arm.log.find((r) => r.method === 'PUT')!.body as { properties: Record<string, unknown> };
    assert.deepEqual(body.properties.keyVault, { secretIdentifier: 'https://v.vault.azure.net/secrets/kv' });
    assert.equal(body.properties.value, undefined);
    arm.log.length = 0;
    assert.equal((await run([dir, '--plan'])).code, ExitCode.Ok);
  });

  test('412 on a concurrent change is reported as such, exit 3', async () => {
    const dir = folder({ 'apis/orders/policy.xml': scoped('x-api', 'mine') });
    arm.seed('apis/orders/policies/policy', scoped('x-api', 'theirs'));
    arm.beforePut = (res) => {
      if (res === 'apis/orders/policies/policy') arm.seed(res, scoped('x-api', 'someone else'));
    };
    const r = await run([dir, '--format', 'json']);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.match(r.error, /concurrent change/);
    const out = JSON.parse(r.stdout) as { result: { failure: { code: string; status: number } } };
    assert.equal(out.result.failure.code, 'ESTATE_ARM_PRECONDITION');
    assert.equal(out.result.failure.status, 412);
  });

  test('a policy created concurrently is not overwritten: If-None-Match: * gets 412', async () => {
    const dir = folder({ 'apis/orders/policy.xml': scoped('x-api', 'mine') });
    arm.beforePut = (res) => {
      if (!arm.policies.has(res)) arm.seed(res, scoped('x-api', 'created meanwhile'));
    };
    const r = await run([dir]);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.match(r.error, /412/);
    assert.match(arm.policies.get('apis/orders/policies/policy')!.value, /created meanwhile/);
  });

  test('429 with Retry-After and 409 PessimisticConcurrencyConflict are retried, honouring Retry-After', async () => {
    const dir = folder({ 'apis/orders/policy.xml': scoped('x-api', 'a') });
    arm.faults.push(
      { method: 'PUT', resource: 'apis/orders/policies/policy', status: 429, code: 'TooManyRequests', message: 'throttled', headers: { 'retry-after': '7' } },
      { method: 'PUT', resource: 'apis/orders/policies/policy', status: 409, code: 'PessimisticConcurrencyConflict', message: 'Operation on the API is in progress', headers: { 'retry-after': '3' } },
    );
    const r = await run([dir]);
    assert.equal(r.code, ExitCode.Ok, r.error);
    assert.deepEqual(sleeps.filter((ms) => ms > 0), [7000, 3000]);
    assert.equal(writes().length, 3);
    assert.ok(arm.policies.has('apis/orders/policies/policy'));
  });

  test('a Retry-After longer than the bound is not waited out: the run fails at once', async () => {
    const dir = folder({ 'apis/orders/policy.xml': scoped('x-api', 'a') });
    arm.faults.push({ method: 'PUT', resource: 'apis/orders/policies/policy', status: 429, code: 'TooManyRequests', message: 'throttled', headers: { 'retry-after': '600' } });
    const r = await run([dir]);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.match(r.error, /429 TooManyRequests/);
    assert.deepEqual(sleeps.filter((ms) => ms > 0), []);
    assert.equal(writes().length, 1);
  });

  test('a folder with several layout problems names them all, and nothing is read from ARM', async () => {
    const dir = folder({
      'named values/a/namedValueInformation.json': '{ not json',
      'named values/b/namedValueInformation.json': JSON.stringify({ properties: { displayName: 'b' } }),
      'policy fragments/bad id/policy.xml': FRAGMENT,
    });
    const r = await run([dir, '--format', 'json']);
    assert.equal(r.code, ExitCode.BadInput);
    const body = JSON.parse(r.stdout) as { error: { code: string; problems: string[] } };
    assert.equal(body.error.code, 'ESTATE_INPUT_LAYOUT');
    assert.equal(body.error.problems.length, 3);
    assert.match(body.error.problems.join('\n'), /named values\/a\/namedValueInformation\.json: not JSON/);
    assert.match(body.error.problems.join('\n'), /named value 'b' has no properties\.value/);
    assert.match(body.error.problems.join('\n'), /policy fragment 'bad id' is not a valid/);
    assert.equal(arm.log.length, 0);
  });

  test('a 409 that is not a lock conflict is not retried', async () => {
    const dir = folder({ 'apis/orders/policy.xml': scoped('x-api', 'a') });
    arm.faults.push({ method: 'PUT', resource: 'apis/orders/policies/policy', status: 409, code: 'Conflict', message: 'no' });
    const r = await run([dir]);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.equal(writes().length, 1);
  });

  test('a 500 that persists mid-run reports applied and not applied; a re-run converges', async () => {
    const dir = folder(estate());
    for (let i = 0; i < 5; i++) arm.faults.push({ method: 'PUT', resource: 'products/starter/policies/policy', status: 500, code: 'InternalServerError', message: 'boom' });
    const r = await run([dir, '--format', 'json']);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    const out = JSON.parse(r.stdout) as { result: { applied: Array<{ path: string }>; notApplied: Array<{ path: string }>; failure: { path: string; status: number } } };
    assert.deepEqual(out.result.applied.map((i) => i.path), ['namedValues/backend-key', 'namedValues/tenant-id', 'policyFragments/auth', 'policies/policy']);
    assert.deepEqual(out.result.notApplied.map((i) => i.path), ['products/starter/policies/policy', 'apis/orders/policies/policy', 'apis/orders;rev=2/policies/policy', 'apis/orders/operations/list/policies/policy']);
    assert.equal(out.result.failure.status, 500);
    // bounded: four retries without Retry-After, backing off exponentially, then the failure (the 0 ms waits are polls)
    assert.deepEqual(sleeps.filter((ms) => ms > 0), [1000, 2000, 4000, 8000]);
    assert.ok(!r.stdout.includes(SECRET));

    arm.log.length = 0;
    const again = await run([dir]);
    assert.equal(again.code, ExitCode.Ok, again.error);
    assert.deepEqual(writes(), ['PUT products/starter/policies/policy', 'PUT apis/orders/policies/policy', 'PUT apis/orders;rev=2/policies/policy', 'PUT apis/orders/operations/list/policies/policy']);
    assert.equal((await run([dir, '--plan'])).code, ExitCode.Ok);
  });

  test('--prune deletes only what the folder no longer has, in reverse order, with If-Match', async () => {
    const files = estate();
    const dir = folder(files);
    assert.equal((await run([dir])).code, ExitCode.Ok);
    rmSync(join(dir, 'apis/orders/operations/list/policy.xml'));
    rmSync(join(dir, 'products/starter/policy.xml'));
    const etag = arm.policies.get('products/starter/policies/policy')!.etag;
    arm.log.length = 0;
    const plain = await run([dir]);
    assert.equal(plain.code, ExitCode.Ok);
    assert.deepEqual(writes(), []);
    assert.match(plain.stdout, /kept {6}product starter \(not in the folder; --prune deletes it\)/);
    const plan = await run([dir, '--plan', '--prune']);
    assert.equal(plan.code, ExitCode.Findings);
    assert.match(plan.stdout, /^delete {4}operation orders\/list$/m);
    const r = await run([dir, '--prune']);
    assert.equal(r.code, ExitCode.Ok, r.error);
    assert.deepEqual(writes(), ['DELETE apis/orders/operations/list/policies/policy', 'DELETE products/starter/policies/policy']);
    assert.equal(arm.log.find((x) => x.resource === 'products/starter/policies/policy' && x.method === 'DELETE')!.ifMatch, etag);
    assert.ok(arm.policies.has('apis/orders/policies/policy'));
    assert.equal((await run([dir, '--plan', '--prune'])).code, ExitCode.Ok);
  });

  test('revisions: apis/orders;rev=2 is its own API, percent-encoded on the wire like the SDK does', async () => {
    const dir = folder({ 'apis/orders;rev=2/policy.xml': scoped('x-api', 'rev2') });
    assert.equal((await run([dir])).code, ExitCode.Ok);
    assert.deepEqual(writes(), ['PUT apis/orders;rev=2/policies/policy']);
    assert.match(arm.log.find((r) => r.method === 'PUT')!.rawPath, /\/apis\/orders%3Brev%3D2\/policies\/policy$/);
    assert.ok(!arm.policies.has('apis/orders/policies/policy'));
  });

  test('ids ARM refuses are refused before anything is read', async () => {
    const dir = folder({ 'apis/a:b/policy.xml': scoped('x', 'y') });
    const r = await run([dir]);
    assert.equal(r.code, ExitCode.BadInput);
    assert.match(r.error, /api 'a:b' is not a valid API Management identifier/);
    assert.equal(arm.log.length, 0);
  });

  test('--workspace publishes workspaces/<id>/ under the workspace path', async () => {
    arm.existing.add('workspaces/team-a/apis/orders');
    const dir = folder({
      'workspaces/team-a/policy fragments/auth/policy.xml': FRAGMENT.replace('{{tenant-id}}', 'ws'),
      'workspaces/team-a/apis/orders/policy.xml': scoped('x-api', 'ws'),
      'apis/orders/policy.xml': scoped('x-api', 'service'),
    });
    const r = await run([dir, '--workspace', 'team-a']);
    assert.equal(r.code, ExitCode.Ok, r.error);
    assert.deepEqual(writes(), ['PUT workspaces/team-a/policyFragments/auth', 'PUT workspaces/team-a/apis/orders/policies/policy']);
    const missing = await run([dir, '--workspace', 'team-b']);
    assert.equal(missing.code, ExitCode.BadInput);
    assert.match(missing.error, /no workspaces\/team-b\//);
  });

  /** Every file below dir, folder-relative, sorted. */
  function listFiles(dir: string, sub = ''): string[] {
    return readdirSync(join(dir, sub), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, join(sub, e.name)) : [join(sub, e.name)])).sort();
  }

  test('extract writes the estate in APIOps layout, secrets without values; publish --plan then shows no change', async () => {
    arm.namedValues = [
      { name: 'tenant-id', displayName: 'tenant-id', value: 'contoso.onmicrosoft.com', tags: ['identity'] },
      { name: 'backend-key', displayName: 'backend-key', value: SECRET, secret: true },
      { name: 'kv', displayName: 'kv', secret: true, keyVault: { secretIdentifier: 'https://v.vault.azure.net/secrets/kv' } },
    ];
    arm.seed('policyFragments/auth', FRAGMENT);
    arm.seed('policies/policy', GLOBAL);
    arm.seed('products/starter/policies/policy', scoped('x-backend-key', '{{backend-key}}'));
    arm.seed('apis/orders;rev=2/policies/policy', scoped('x-api', 'rev2'));
    arm.seed('apis/orders/operations/list/policies/policy', scoped('x-op', '@(context.Request.Headers.GetValueOrDefault("a", "b") == "c" ? "<" : ">")'));
    const out = mkdtempSync(join(root, 'extract-'));
    const r = await run(['extract', '--out', out]);
    assert.equal(r.code, ExitCode.Ok, r.error);
    assert.deepEqual(listFiles(out), [
      'apis/orders/operations/list/policy.xml',
      'apis/orders;rev=2/policy.xml',
      'named values/backend-key/namedValueInformation.json',
      'named values/kv/namedValueInformation.json',
      'named values/tenant-id/namedValueInformation.json',
      'policy fragments/auth/policy.xml',
      'policy fragments/auth/policyFragmentInformation.json',
      'policy.xml',
      'products/starter/policy.xml',
    ]);
    for (const f of listFiles(out)) assert.ok(!readFileSync(join(out, f), 'utf8').includes(SECRET), `${f} holds no secret`);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'named values/backend-key/namedValueInformation.json'), 'utf8')), { properties: { displayName: 'backend-key', secret: true, tags: [] } });
    // raw form: the expression is written as APIM exports it, unescaped
    assert.match(readFileSync(join(out, 'apis/orders/operations/list/policy.xml'), 'utf8'), /"c" \? "<" : ">"/);
    arm.log.length = 0;
    const plan = await run([out, '--plan']);
    assert.equal(plan.code, ExitCode.Ok, plan.stdout + plan.error);
    assert.match(plan.stdout, /plan: 0 to create, 0 to update, 0 to delete, 8 unchanged/);
    assert.deepEqual(writes(), []);
  });

  test("a folder laid out by APIOps's extractor (SampleArtifacts' layout, with its non-policy files) publishes, and extract → plan shows no change", async () => {
    for (const p of ['products/product1', 'apis/basic-api', 'apis/basic-api/operations/get-items', 'apis/revisioned-api;rev=2']) arm.existing.add(p);
    const dir = folder({
      'policy.xml': GLOBAL.replace('auth', 'policyFragment1'),
      'named values/environment-name/namedValueInformation.json': JSON.stringify({ properties: { displayName: 'environment-name', secret: false, tags: ['environment'], value: 'scenario' } }, null, 2),
      'policy fragments/policyFragment1/policy.xml': FRAGMENT.replace('tenant-id', 'environment-name'),
      'policy fragments/policyFragment1/policyFragmentInformation.json': JSON.stringify({ properties: { description: 'Adds a header.' } }),
      'products/product1/policy.xml': scoped('X-Product', 'product1'),
      'products/product1/productInformation.json': JSON.stringify({ properties: { displayName: 'product1', state: 'published' } }),
      'products/product1/apis/basic-api/productApiInformation.json': '{}',
      'apis/basic-api/apiInformation.json': JSON.stringify({ properties: { path: 'basic', displayName: 'basic-api' } }),
      'apis/basic-api/specification.yaml': 'openapi: 3.0.1\n',
      'apis/basic-api/policy.xml': scoped('X-Api', 'basic'),
      'apis/basic-api/operations/get-items/policy.xml': scoped('X-Op', 'get-items'),
      'apis/basic-api/diagnostics/azuremonitor/diagnosticInformation.json': '{}',
      'apis/revisioned-api;rev=2/apiInformation.json': JSON.stringify({ properties: { path: 'revisioned-api', apiRevision: '2' } }),
      'apis/revisioned-api;rev=2/policy.xml': scoped('X-Rev', '2'),
      'backends/backend1/backendInformation.json': '{}',
      'tags/tag1/tagInformation.json': '{}',
      'version sets/versionSet1/versionSetInformation.json': '{}',
    });
    const first = await run([dir]);
    assert.equal(first.code, ExitCode.Ok, first.error);
    assert.match(first.stdout, /applied 7, not applied 0/);
    assert.equal((await run([dir, '--plan'])).code, ExitCode.Ok);
    const out = mkdtempSync(join(root, 'extract-'));
    assert.equal((await run(['extract', '--out', out])).code, ExitCode.Ok);
    assert.ok(existsSync(join(out, 'apis/revisioned-api;rev=2/policy.xml')));
    arm.log.length = 0;
    const plan = await run([out, '--plan', '--prune']);
    assert.equal(plan.code, ExitCode.Ok, plan.stdout);
    assert.deepEqual(writes(), []);
  });

  test('extract --workspace writes into workspaces/<id>/', async () => {
    arm.seed('workspaces/team-a/policies/policy', GLOBAL.replace('<include-fragment fragment-id="auth" />', ''));
    const out = mkdtempSync(join(root, 'extract-'));
    assert.equal((await run(['extract', '--out', out, '--workspace', 'team-a'])).code, ExitCode.Ok);
    assert.deepEqual(listFiles(out), ['workspaces/team-a/policy.xml']);
    assert.equal((await run([out, '--workspace', 'team-a', '--plan'])).code, ExitCode.Ok);
  });
});
