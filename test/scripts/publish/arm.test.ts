import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArmPolicyStore } from '../../../scripts/publish/arm.js';
import { PublishError, PublishErrorCode } from '../../../scripts/publish/errors.js';
import { FakeArm, RESOURCE_GROUP, SERVICE, SUBSCRIPTION, TEST_TOKEN, fakeCredential, makeTestCertificate } from './fake-arm.js';

const cert = makeTestCertificate();
const service = { subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, serviceName: SERVICE };

describe('ArmPolicyStore against a fake ARM endpoint', { skip: cert === null ? 'openssl is not installed: cannot make a TLS certificate for the fake ARM endpoint' : false }, () => {
  let arm: FakeArm;
  let store: ArmPolicyStore;
  before(async () => {
    arm = await new FakeArm(cert!).start();
    store = new ArmPolicyStore({
      credential: fakeCredential,
      service,
      endpoint: arm.endpoint,
      pollIntervalInMs: 1,
      clientOptions: { tlsOptions: { ca: arm.ca }, retryOptions: { maxRetries: 0 } },
    });
  });
  after(() => arm.stop());

  test('an absent policy reads as undefined (404), asking for the raw form', async () => {
    arm.log.length = 0;
    assert.equal(await store.read({ scope: 'api', apiId: 'orders' }), undefined);
    assert.equal(arm.log.length, 1);
    assert.equal(arm.log[0]!.resource, 'apis/orders/policies/policy');
    assert.equal(arm.log[0]!.query.format, 'rawxml');
    assert.ok(arm.log[0]!.query['api-version']);
  });

  test('each scope reads its own ARM path and returns value and ETag', async () => {
    const cases = [
      [{ scope: 'global' }, 'policies/policy'],
      [{ scope: 'product', productId: 'starter' }, 'products/starter/policies/policy'],
      [{ scope: 'api', apiId: 'orders' }, 'apis/orders/policies/policy'],
      [{ scope: 'operation', apiId: 'orders', operationId: 'list' }, 'apis/orders/operations/list/policies/policy'],
      [{ scope: 'fragment', fragmentId: 'auth' }, 'policyFragments/auth'],
    ] as const;
    for (const [target, resource] of cases) {
      const etag = arm.seed(resource, `<policies><!-- ${resource} --></policies>`);
      const got = await store.read(target);
      assert.deepEqual(got, { value: `<policies><!-- ${resource} --></policies>`, etag }, resource);
    }
  });

  test('write sends the value, the format and If-Match', async () => {
    const etag = arm.seed('products/gold/policies/policy', '<policies />');
    arm.log.length = 0;
    await store.write({ scope: 'product', productId: 'gold' }, '<policies><inbound /></policies>', 'rawxml', etag);
    const put = arm.puts()[0]!;
    assert.equal(put.resource, 'products/gold/policies/policy');
    assert.equal(put.ifMatch, etag);
    assert.deepEqual(put.body, { properties: { value: '<policies><inbound /></policies>', format: 'rawxml' } });
    assert.equal(arm.policies.get('products/gold/policies/policy')!.value, '<policies><inbound /></policies>');
  });

  test('a stale ETag fails with PreconditionFailed (412), naming the target', async () => {
    arm.seed('apis/stale/policies/policy', '<policies />');
    await assert.rejects(
      store.write({ scope: 'api', apiId: 'stale' }, '<policies />', 'rawxml', '"not-the-etag"'),
      (e: unknown) => e instanceof PublishError && e.code === PublishErrorCode.PreconditionFailed && e.details.status === 412 && /api stale/.test(e.message),
    );
  });

  test('an ARM error keeps status and ARM code, and never the token', async () => {
    arm.faults.push({ method: 'PUT', resource: 'apis/bad/policies/policy', status: 400, code: 'ValidationError', message: "'set-foo' is not a known policy" });
    const err = await store.write({ scope: 'api', apiId: 'bad' }, '<policies />', 'rawxml', undefined).catch((e: unknown) => e);
    assert.ok(err instanceof PublishError);
    assert.equal(err.code, PublishErrorCode.Arm);
    assert.equal(err.details.status, 400);
    assert.equal(err.details.armCode, 'ValidationError');
    assert.match(err.message, /400 ValidationError: 'set-foo' is not a known policy/);
    assert.ok(!JSON.stringify({ m: err.message, d: err.details }).includes(TEST_TOKEN));
  });

  test('a read failure other than 404 is an ARM failure, not "absent"', async () => {
    arm.faults.push({ method: 'GET', resource: 'policies/policy', status: 403, code: 'AuthorizationFailed', message: 'The client does not have authorization' });
    await assert.rejects(store.read({ scope: 'global' }), (e: unknown) => e instanceof PublishError && e.code === PublishErrorCode.Arm && e.details.armCode === 'AuthorizationFailed');
  });

  test('a fragment is written through the long-running-operation protocol and polled to completion', async () => {
    arm.log.length = 0;
    arm.lroPolls = 2;
    await store.write({ scope: 'fragment', fragmentId: 'forward-identity' }, '<fragment><base /></fragment>', 'rawxml', undefined);
    const seq = arm.log.map((r) => `${r.method} ${r.resource.startsWith('/operationStatuses/') ? 'status' : r.resource}`);
    // polled until Succeeded; the final state is not read back (nothing uses it)
    assert.deepEqual(seq, ['PUT policyFragments/forward-identity', 'GET status', 'GET status', 'GET status']);
    // a create: If-None-Match: *, so a fragment created meanwhile is not overwritten
    assert.equal(arm.log[0]!.ifNoneMatch, '*');
    assert.equal(arm.policies.get('policyFragments/forward-identity')!.value, '<fragment><base /></fragment>');
  });

  test('named values: every page is read, display names are what policies reference', async () => {
    arm.namedValues = [
      { name: 'nv-1', displayName: 'tenant-id' },
      { name: 'nv-2', displayName: 'audience' },
      { name: 'nv-3', displayName: 'issuer' },
    ];
    arm.log.length = 0;
    const names = await store.namedValues();
    assert.deepEqual([...names].sort(), ['audience', 'issuer', 'tenant-id']);
    assert.equal(arm.log.filter((r) => r.resource === 'namedValues').length, 2);
  });

  test('no credential available: an ARM failure that says how to sign in, no request sent', async () => {
    const unavailable = Object.assign(new Error('EnvironmentCredential is unavailable.\nManagedIdentityCredential: no endpoint'), { name: 'CredentialUnavailableError' });
    const other = new ArmPolicyStore({
      credential: { getToken: async () => Promise.reject(unavailable) },
      service,
      endpoint: arm.endpoint,
      clientOptions: { tlsOptions: { ca: arm.ca }, retryOptions: { maxRetries: 0 } },
    });
    arm.log.length = 0;
    const err = await other.read({ scope: 'global' }).catch((e: unknown) => e);
    assert.ok(err instanceof PublishError);
    assert.equal(err.code, PublishErrorCode.Arm);
    assert.equal(err.details.armCode, 'CredentialUnavailable');
    assert.match(err.message, /no token for ARM: EnvironmentCredential is unavailable\. \(sign in/);
    assert.equal(arm.log.length, 0);
  });

  test('the token is asked for the endpoint\'s own scope', async () => {
    const scopes: string[] = [];
    const other = new ArmPolicyStore({
      credential: {
        getToken: async (s: string | string[]) => {
          scopes.push(...(Array.isArray(s) ? s : [s]));
          return { token: TEST_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
        },
      },
      service,
      endpoint: arm.endpoint,
      clientOptions: { tlsOptions: { ca: arm.ca }, retryOptions: { maxRetries: 0 } },
    });
    await other.read({ scope: 'global' });
    assert.deepEqual(scopes, [`${arm.endpoint}/.default`]);
  });

  test('a wrong token is an ARM authentication failure', async () => {
    const other = new ArmPolicyStore({
      credential: { getToken: async () => ({ token: 'someone-else', expiresOnTimestamp: Date.now() + 3_600_000 }) },
      service,
      endpoint: arm.endpoint,
      clientOptions: { tlsOptions: { ca: arm.ca }, retryOptions: { maxRetries: 0 } },
    });
    const err = await other.read({ scope: 'global' }).catch((e: unknown) => e);
    assert.ok(err instanceof PublishError);
    assert.equal(err.details.status, 401);
    assert.ok(!err.message.includes('someone-else'));
  });
});

test('the SDK refuses to send the token over plain http, and that surfaces as an ARM failure', async () => {
  const store = new ArmPolicyStore({ credential: fakeCredential, service, endpoint: 'http://127.0.0.1:9', clientOptions: { retryOptions: { maxRetries: 0 } } });
  const err = await store.read({ scope: 'global' }).catch((e: unknown) => e);
  assert.ok(err instanceof PublishError);
  assert.equal(err.code, PublishErrorCode.Arm);
  assert.match(err.message, /non-TLS|https/i);
});
