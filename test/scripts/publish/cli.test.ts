import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliError, ExitCode } from '../../../scripts/exit-codes.js';
import { registerPolicyPublish, type PolicyPublishSeams } from '../../../scripts/commands/policy-publish.js';
import { productPolicies } from '../../../policies/product/index.js';
import { buildPolicy } from '../../../policies/model/codec.js';
import { referencedNamedValues } from '../../../scripts/publish/named-values.js';
import { FakeArm, RESOURCE_GROUP, SERVICE, SUBSCRIPTION, TEST_TOKEN, fakeCredential, makeTestCertificate } from './fake-arm.js';

const cert = makeTestCertificate();

/** Runs `policy publish ARGS` the way scripts/cli.ts does, returning exit code and output. */
async function run(args: string[], seams: Omit<PolicyPublishSeams, 'stdout'>): Promise<{ code: number; stdout: string; error: string }> {
  let stdout = '';
  const program = new Command('apim-rls').exitOverride();
  const policy = program.command('policy').exitOverride();
  registerPolicyPublish(policy, { ...seams, stdout: (s) => (stdout += s) });
  try {
    await program.parseAsync(['policy', 'publish', ...args], { from: 'user' });
    return { code: ExitCode.Ok, stdout, error: '' };
  } catch (err) {
    if (err instanceof CliError) return { code: err.exitCode, stdout, error: err.message };
    throw err;
  }
}

const POLICY = `<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
      <openid-config url="https://login.microsoftonline.com/{{tenant-id}}/v2.0/.well-known/openid-configuration" />
      <audiences><audience>api://orders</audience></audiences>
      <issuers><issuer>https://login.microsoftonline.com/{{tenant-id}}/v2.0</issuer></issuers>
    </validate-jwt>
    <set-header name="x-user" exists-action="override">
      <value>@(context.Request.Headers.GetValueOrDefault("Authorization", "").Length > 0 ? "yes" : "no")</value>
    </set-header>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
`;

/** At global scope there is nothing to inherit: `<base />` is an error there (APIM406). */
const GLOBAL_POLICY = POLICY.replace(/<base \/>/g, '');

describe('apim-rls policy publish against a fake ARM endpoint', { skip: cert === null ? 'openssl is not installed: cannot make a TLS certificate for the fake ARM endpoint' : false }, () => {
  let arm: FakeArm;
  let dir: string;
  let seams: Omit<PolicyPublishSeams, 'stdout'>;
  const svc = ['--subscription', SUBSCRIPTION, '--resource-group', RESOURCE_GROUP, '--service', SERVICE];
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  before(async () => {
    arm = await new FakeArm(cert!).start();
    dir = mkdtempSync(join(tmpdir(), 'publish-cli-'));
    seams = {
      credential: () => fakeCredential,
      env: {},
      pollIntervalInMs: 1,
      clientOptions: { tlsOptions: { ca: arm.ca }, retryOptions: { maxRetries: 0 } },
    };
  });
  after(async () => {
    await arm.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    arm.log.length = 0;
    arm.namedValues = [{ name: 'tenant', displayName: 'tenant-id' }];
    arm.beforePut = undefined;
    arm.reformat = (v) => v;
  });

  test('publish creates, then a second publish is a no-op with no PUT', async () => {
    const p = file('orders.xml', POLICY);
    const first = await run([...svc, '--endpoint', arm.endpoint, '--api', 'orders', '--file', p], seams);
    assert.equal(first.code, ExitCode.Ok, first.error);
    assert.match(first.stdout, /api orders: published \(create, format rawxml\)/);
    assert.equal(arm.puts().length, 1);
    const put = arm.puts()[0]!;
    assert.equal(put.resource, 'apis/orders/policies/policy');
    assert.equal(put.ifMatch, undefined);
    // a create says so: If-None-Match: * (a policy created meanwhile is not overwritten)
    assert.equal(put.ifNoneMatch, '*');
    assert.equal((put.body as { properties: { format: string } }).properties.format, 'rawxml');
    // the expression reached APIM byte for byte
    assert.ok((put.body as { properties: { value: string } }).properties.value.includes('@(context.Request.Headers.GetValueOrDefault("Authorization", "").Length > 0 ? "yes" : "no")'));

    arm.log.length = 0;
    const second = await run([...svc, '--endpoint', arm.endpoint, '--api', 'orders', '--file', p], seams);
    assert.equal(second.code, ExitCode.Ok, second.error);
    assert.match(second.stdout, /api orders: unchanged, nothing sent/);
    assert.equal(arm.puts().length, 0);
    assert.deepEqual(arm.log.map((r) => `${r.method} ${r.resource} ${r.query.format ?? ''}`), ['GET apis/orders/policies/policy rawxml']);
  });

  test('APIM re-formatting what it stores does not make the next publish a change', async () => {
    arm.reformat = (v) => v.replace(/>\s+</g, '><').replace('header-name="Authorization" failed-validation-httpcode="401"', 'failed-validation-httpcode="401" header-name="Authorization"');
    const p = file('reformat.xml', POLICY);
    assert.equal((await run([...svc, '--endpoint', arm.endpoint, '--api', 'reformat', '--file', p], seams)).code, ExitCode.Ok);
    assert.notEqual(arm.policies.get('apis/reformat/policies/policy')!.value, POLICY);
    arm.log.length = 0;
    const again = await run([...svc, '--endpoint', arm.endpoint, '--api', 'reformat', '--file', p], seams);
    assert.equal(again.code, ExitCode.Ok);
    assert.equal(arm.puts().length, 0);
  });

  test('--dry-run shows a unified diff, writes nothing and exits 1', async () => {
    const etag = arm.seed('apis/dry/policies/policy', POLICY);
    const p = file('dry.xml', POLICY.replace('"yes"', '"si"'));
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'dry', '--file', p, '--dry-run'], seams);
    assert.equal(r.code, ExitCode.Findings);
    assert.match(r.error, /dry run: 1 policy change\(s\) pending/);
    assert.match(r.stdout, /^--- apim: api dry\n\+\+\+ local: .*dry\.xml\n@@ /m);
    assert.match(r.stdout, /^-.*\? "yes" : "no"\)<\/value>$/m);
    assert.match(r.stdout, /^\+.*\? "si" : "no"\)<\/value>$/m);
    assert.match(r.stdout, /api dry: would update \(dry run/);
    assert.equal(arm.puts().length, 0);
    assert.equal(arm.policies.get('apis/dry/policies/policy')!.etag, etag);
  });

  test('--dry-run with nothing to change exits 0', async () => {
    arm.seed('apis/same/policies/policy', POLICY);
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'same', '--file', file('same.xml', POLICY), '--dry-run'], seams);
    assert.equal(r.code, ExitCode.Ok);
  });

  test('an update sends If-Match with the ETag it compared against', async () => {
    const etag = arm.seed('apis/upd/policies/policy', POLICY);
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'upd', '--file', file('upd.xml', POLICY.replace('"no"', '"nope"'))], seams);
    assert.equal(r.code, ExitCode.Ok, r.error);
    assert.equal(arm.puts()[0]!.ifMatch, etag);
  });

  test('a concurrent change between read and write: 412, exit 3, clear message', async () => {
    arm.seed('apis/race/policies/policy', POLICY);
    arm.beforePut = (resource) => void arm.seed(resource, POLICY.replace('<base />', '<base /><!-- someone else -->'));
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'race', '--file', file('race.xml', POLICY.replace('"no"', '"n"'))], seams);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.match(r.error, /changed in API Management since it was read \(412 PreconditionFailed\)/);
  });

  test('missing named values: exit 2 listing them, nothing written', async () => {
    arm.namedValues = [];
    const p = file('nv.xml', POLICY.replace('</inbound>', '<set-header name="a" exists-action="override"><value>{{api-key}}</value></set-header></inbound>'));
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'nv', '--file', p, '--format', 'json'], seams);
    assert.equal(r.code, ExitCode.BadInput);
    assert.match(r.error, /does not define: api-key, tenant-id/);
    assert.deepEqual(JSON.parse(r.stdout).error.missing, ['api-key', 'tenant-id']);
    assert.equal(JSON.parse(r.stdout).error.code, 'PUBLISH_INPUT_NAMED_VALUES');
    assert.equal(arm.puts().length, 0);
  });

  test('malformed XML: exit 2 with line and column, ARM not called', async () => {
    const p = file('bad.xml', '<policies>\n  <inbound>\n    <base />\n  </outbound>\n</policies>\n');
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'bad', '--file', p], seams);
    assert.equal(r.code, ExitCode.BadInput);
    assert.match(r.error, /bad\.xml:4:\d+: /);
    assert.equal(arm.log.length, 0);
  });

  test('lint errors (the real linter) refuse to publish unless --force; warnings are printed', async () => {
    const p = file('lint.xml', POLICY.replace('<audiences><audience>api://orders</audience></audiences>', ''));
    const refused = await run([...svc, '--endpoint', arm.endpoint, '--api', 'lint', '--file', p], seams);
    assert.equal(refused.code, ExitCode.BadInput);
    assert.match(refused.error, /1 lint error\(s\).*\n.*lint\.xml:4:5 APIM101 validate-jwt has no <audiences>/);
    assert.equal(arm.log.length, 0);
    const forced = await run([...svc, '--endpoint', arm.endpoint, '--api', 'lint', '--file', p, '--force'], seams);
    assert.equal(forced.code, ExitCode.Ok, forced.error);
    assert.match(forced.stdout, /^error APIM101 \(line 4\): validate-jwt has no <audiences>/m);
    assert.equal(arm.puts().length, 1);
  });

  test('the lint hook is told the target', async () => {
    const seen: string[] = [];
    const lint = (_root: unknown, target: { scope: string }) => {
      seen.push(target.scope);
      return [];
    };
    await run([...svc, '--endpoint', arm.endpoint, '--product', 'p1', '--file', file('l2.xml', POLICY), '--dry-run'], { ...seams, lint });
    assert.deepEqual(seen, ['product']);
  });

  test('ARM failure: exit 3 with the ARM error code; the token is never printed', async () => {
    arm.faults.push({ method: 'PUT', resource: 'apis/fail/policies/policy', status: 400, code: 'ValidationError', message: "Error in element 'set-header' on line 7" });
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'fail', '--file', file('fail.xml', POLICY), '--format', 'json'], seams);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.match(r.error, /400 ValidationError: Error in element 'set-header' on line 7/);
    const body = JSON.parse(r.stdout);
    assert.equal(body.error.armCode, 'ValidationError');
    assert.equal(body.error.status, 400);
    assert.ok(!r.stdout.includes(TEST_TOKEN) && !r.error.includes(TEST_TOKEN));
  });

  test('a policy in APIM that cannot be parsed: exit 3, nothing written', async () => {
    arm.seed('apis/garbled/policies/policy', '<policies><inbound></policies>');
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'garbled', '--file', file('garbled.xml', POLICY), '--format', 'json'], seams);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.equal(JSON.parse(r.stdout).error.code, 'PUBLISH_ARM_REMOTE_MALFORMED');
    assert.match(r.error, /the policy of api garbled in API Management cannot be parsed/);
    assert.equal(arm.puts().length, 0);
  });

  test('wire format: xml without expressions to escape, rawxml with them; both read back as unchanged', async () => {
    const plain = '<policies><inbound><base /><set-header name="x-a" exists-action="delete" /></inbound></policies>';
    const quoted = '<policies><inbound><base /><choose><when condition="@(context.Request.Headers.ContainsKey("X-Debug"))"><set-header name="x-debug" exists-action="delete" /></when></choose></inbound></policies>';
    for (const [api, text, format] of [['plain', plain, 'xml'], ['quoted', quoted, 'rawxml']] as const) {
      const p = file(`${api}.xml`, text);
      arm.log.length = 0;
      assert.equal((await run([...svc, '--endpoint', arm.endpoint, '--api', api, '--file', p], seams)).code, ExitCode.Ok);
      const body = arm.puts()[0]!.body as { properties: { value: string; format: string } };
      assert.equal(body.properties.format, format, api);
      if (format === 'rawxml') assert.ok(body.properties.value.includes('condition="@(context.Request.Headers.ContainsKey("X-Debug"))"'));
      arm.log.length = 0;
      assert.equal((await run([...svc, '--endpoint', arm.endpoint, '--api', api, '--file', p], seams)).code, ExitCode.Ok);
      assert.equal(arm.puts().length, 0, api);
    }
  });

  test('a well-formed file equals the same policy stored in the raw form (expressions decoded, then compared byte for byte)', async () => {
    arm.seed('apis/forms/policies/policy', '<policies><inbound><set-variable name="v" value="@(context.Request.Headers.GetValueOrDefault("A", ""))" /></inbound></policies>');
    const wellFormed = file('forms.xml', '<policies>\n  <inbound>\n    <set-variable value="@(context.Request.Headers.GetValueOrDefault(&quot;A&quot;, &quot;&quot;))" name="v"/>\n  </inbound>\n</policies>\n');
    const same = await run([...svc, '--endpoint', arm.endpoint, '--api', 'forms', '--file', wellFormed, '--dry-run'], seams);
    assert.equal(same.code, ExitCode.Ok, same.stdout + same.error);
    const changed = file('forms2.xml', '<policies><inbound><set-variable value="@(context.Request.Headers.GetValueOrDefault(&quot;B&quot;, &quot;&quot;))" name="v"/></inbound></policies>');
    assert.equal((await run([...svc, '--endpoint', arm.endpoint, '--api', 'forms', '--file', changed, '--dry-run'], seams)).code, ExitCode.Findings);
  });

  test('--timeout: ARM that never answers ends the run with exit 3', async () => {
    arm.hang.add('apis/slow/policies/policy');
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'slow', '--file', file('slow.xml', POLICY), '--timeout', '1'], seams);
    arm.hang.clear();
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.match(r.error, /reading api slow: no answer from ARM within 1 s/);
  });

  test('each scope goes to its own ARM path', async () => {
    const cases: Array<[string[], string]> = [
      [['--global'], 'policies/policy'],
      [['--product', 'starter'], 'products/starter/policies/policy'],
      [['--api', 'orders', '--operation', 'list'], 'apis/orders/operations/list/policies/policy'],
    ];
    for (const [sel, resource] of cases) {
      arm.log.length = 0;
      const r = await run([...svc, '--endpoint', arm.endpoint, ...sel, '--file', file('scope.xml', sel[0] === '--global' ? GLOBAL_POLICY : POLICY)], seams);
      assert.equal(r.code, ExitCode.Ok, r.error);
      assert.equal(arm.puts()[0]?.resource, resource);
    }
  });

  test('a fragment is published through the long-running operation, then is unchanged', async () => {
    const frag = '<fragment>\n  <set-header name="x-tenant" exists-action="override"><value>@(context.User.Id)</value></set-header>\n</fragment>\n';
    const p = file('frag.xml', frag);
    const r = await run([...svc, '--endpoint', arm.endpoint, '--fragment', 'forward-tenant', '--file', p], seams);
    assert.equal(r.code, ExitCode.Ok, r.error);
    assert.ok(arm.log.some((l) => l.resource.startsWith('/operationStatuses/')), 'the client polled the operation');
    assert.ok(arm.policies.has('policyFragments/forward-tenant'));
    arm.log.length = 0;
    const again = await run([...svc, '--endpoint', arm.endpoint, '--fragment', 'forward-tenant', '--file', p], seams);
    assert.equal(again.code, ExitCode.Ok);
    assert.equal(arm.puts().length, 0);
  });

  test('a <policies> document is refused for a fragment, and the reverse', async () => {
    const r = await run([...svc, '--endpoint', arm.endpoint, '--fragment', 'f', '--file', file('p.xml', POLICY)], seams);
    assert.equal(r.code, ExitCode.BadInput);
    assert.match(r.error, /fragment f takes a <fragment> document, not <policies>/);
  });

  test("--from-build publishes this product's policy, and a second run sends no PUT", async () => {
    const built = productPolicies().find((p) => p.name === 'orders-api')!;
    const refs = referencedNamedValues(buildPolicy(built.document));
    assert.ok(refs.length > 0, 'the product policy uses named values');
    arm.namedValues = refs.map((n, i) => ({ name: `nv${i}`, displayName: n }));
    const first = await run([...svc, '--endpoint', arm.endpoint, '--from-build', 'orders-api', '--api', 'orders-built'], seams);
    assert.equal(first.code, ExitCode.Ok, first.error);
    assert.match(first.stdout, /\+\+\+ local: build:orders-api/);
    assert.equal(arm.puts().length, 1);
    assert.match((arm.puts()[0]!.body as { properties: { value: string } }).properties.value, /<validate-(jwt|azure-ad-token)/);
    arm.log.length = 0;
    const again = await run([...svc, '--endpoint', arm.endpoint, '--from-build', 'orders-api', '--api', 'orders-built'], seams);
    assert.equal(again.code, ExitCode.Ok, again.error);
    assert.equal(arm.puts().length, 0);
  });

  test('--from-build global needs no target flag; a named value missing from the service is refused', async () => {
    const built = productPolicies().find((p) => p.name === 'global')!;
    const refs = referencedNamedValues(buildPolicy(built.document));
    arm.namedValues = [];
    const r = await run([...svc, '--endpoint', arm.endpoint, '--from-build', 'global', '--dry-run'], seams);
    if (refs.length === 0) {
      assert.equal(r.code, ExitCode.Findings, r.error);
      assert.match(r.stdout, /global policy: would (create|update)/);
    } else {
      assert.equal(r.code, ExitCode.BadInput);
      assert.match(r.error, new RegExp(`does not define: ${refs.join(', ')}`));
    }
    assert.equal(arm.log[0]?.resource, 'policies/policy');
    assert.equal(arm.puts().length, 0);
  });

  test('environment supplies defaults for the service', async () => {
    const r = await run(['--endpoint', arm.endpoint, '--global', '--file', file('env.xml', GLOBAL_POLICY.replace('"no"', '"env"')), '--dry-run'], {
      ...seams,
      env: { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION, AZURE_RESOURCE_GROUP: RESOURCE_GROUP, APIM_SERVICE_NAME: SERVICE },
    });
    assert.equal(r.code, ExitCode.Findings, r.error);
    assert.equal(arm.log[0]?.resource, 'policies/policy');
  });

  test('an API revision (orders;rev=2) and a workspace are addressable (failed before: the id pattern refused `;`, no --workspace)', async () => {
    const p = file('rev.xml', POLICY);
    const rev = await run([...svc, '--endpoint', arm.endpoint, '--api', 'orders;rev=2', '--file', p], seams);
    assert.equal(rev.code, ExitCode.Ok, rev.error);
    assert.ok(arm.policies.has('apis/orders;rev=2/policies/policy'));
    arm.log.length = 0;
    // a workspace policy resolves the workspace's named values
    arm.namedValues.push({ name: 'workspaces/team-a/tenant', displayName: 'tenant-id' });
    const ws = await run([...svc, '--endpoint', arm.endpoint, '--workspace', 'team-a', '--api', 'orders', '--file', p], seams);
    assert.equal(ws.code, ExitCode.Ok, ws.error);
    assert.deepEqual(arm.puts().map((r) => r.resource), ['workspaces/team-a/apis/orders/policies/policy']);
    const bad = await run([...svc, '--endpoint', arm.endpoint, '--api', 'a#b', '--file', p], seams);
    assert.equal(bad.code, ExitCode.BadInput);
    assert.match(bad.error, /--api 'a#b' is not a valid API Management identifier/);
  });

  test('a policy created by someone else between the read and the create is not overwritten (the create carries If-None-Match: *)', async () => {
    const p = file('race.xml', POLICY);
    arm.beforePut = (res) => {
      if (res === 'apis/created-meanwhile/policies/policy' && !arm.policies.has(res)) arm.seed(res, POLICY.replace('"yes"', '"theirs"'));
    };
    const r = await run([...svc, '--endpoint', arm.endpoint, '--api', 'created-meanwhile', '--file', p], seams);
    assert.equal(r.code, ExitCode.RuntimeFailure);
    assert.match(r.error, /changed in API Management since it was read \(412/);
    assert.match(arm.policies.get('apis/created-meanwhile/policies/policy')!.value, /"theirs"/);
    assert.equal(arm.puts().find((x) => x.resource === 'apis/created-meanwhile/policies/policy')!.ifNoneMatch, '*');
  });
});

describe('apim-rls policy publish: bad arguments exit 2 before any request', () => {
  const seams: Omit<PolicyPublishSeams, 'stdout'> = { credential: () => fakeCredential, env: {} };
  const svc = ['--subscription', SUBSCRIPTION, '--resource-group', RESOURCE_GROUP, '--service', SERVICE];
  const cases: Array<[string, string[], RegExp]> = [
    ['no service', ['--global', '--file', 'x.xml'], /--subscription .* is required.*--resource-group.*--service/],
    ['no target', [...svc, '--file', 'x.xml'], /choose one target/],
    ['two targets', [...svc, '--global', '--api', 'a', '--file', 'x.xml'], /not --global and --api/],
    ['no file', [...svc, '--global'], /--file/],
    ['unreadable file', [...svc, '--global', '--file', '/nonexistent/policy.xml'], /cannot read \/nonexistent\/policy\.xml: ENOENT/],
    ['http endpoint', [...svc, '--global', '--file', 'x.xml', '--endpoint', 'http://127.0.0.1:1'], /must be https/],
    ['unknown build', [...svc, '--from-build', 'nope'], /no product policy 'nope' \(there are: .*orders-api/],
    ['build at the wrong scope', [...svc, '--from-build', 'orders-api', '--global'], /orders-api is for the api scope; it cannot be published as global policy/],
    ['file and build', [...svc, '--global', '--file', 'x.xml', '--from-build', 'global'], /either --file or --from-build/],
    ['bad timeout', [...svc, '--global', '--file', 'x.xml', '--timeout', 'soon'], /--timeout must be a whole number/],
    ['bad format', [...svc, '--global', '--file', 'x.xml', '--format', 'yaml'], /--format must be text or json/],
  ];
  test('--format json prints the refusal as a coded error', async () => {
    const r = await run([...svc, '--global', '--api', 'a', '--file', 'x.xml', '--format', 'json'], seams);
    assert.equal(r.code, ExitCode.BadInput);
    const body = JSON.parse(r.stdout);
    assert.equal(body.ok, false);
    assert.equal(body.error.code, 'PUBLISH_INPUT_TARGET');
    assert.match(body.error.message, /choose one target/);
  });
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const r = await run(args, seams);
      assert.equal(r.code, ExitCode.BadInput);
      assert.match(r.error, message);
    });
  }
});
