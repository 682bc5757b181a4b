/** Builders refuse invalid combinations at run time too (for JavaScript callers and casts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateJwt } from '../../../policies/elements/validate-jwt.js';
import { validateAzureAdToken } from '../../../policies/elements/validate-azure-ad-token.js';
import { setHeader } from '../../../policies/elements/set-header.js';
import { setBackendService } from '../../../policies/elements/set-backend-service.js';
import { forwardRequest } from '../../../policies/elements/forward-request.js';
import { setStatus } from '../../../policies/elements/set-status.js';
import { rateLimitByKey } from '../../../policies/elements/rate-limit-by-key.js';
import { quotaByKey } from '../../../policies/elements/quota-by-key.js';
import { returnResponse } from '../../../policies/elements/return-response.js';
import { emitMetric } from '../../../policies/elements/emit-metric.js';
import { comment, raw } from '../../../policies/elements/base.js';
import { expression, namedValue, listNamedValues } from '../../../policies/model/values.js';

const bad = (f: () => unknown, msg: RegExp) => assert.throws(f, (e: unknown) => e instanceof TypeError && msg.test(e.message));

test('validate-jwt: exactly one token source', () => {
  bad(() => validateJwt({} as never), /exactly one of headerName/);
  bad(() => validateJwt({ headerName: 'A', tokenValue: 'x' } as never), /exactly one of headerName/);
  assert.equal(validateJwt({ headerName: 'Authorization' }).headerName, 'Authorization');
});

test('validate-jwt: keys are one form each; claims need a name', () => {
  bad(() => validateJwt({ headerName: 'A', issuerSigningKeys: [{ n: 'x' } as never] }), /needs both n \(modulus\) and e/);
  bad(() => validateJwt({ headerName: 'A', issuerSigningKeys: [{ value: 'a', certificateId: 'c' } as never] }), /exactly one/);
  bad(() => validateJwt({ headerName: 'A', requiredClaims: [{ values: ['x'] } as never] }), /needs a name/);
  bad(() => validateJwt({ headerName: 'A', requiredClaims: [{ name: 'r', match: 'some' as never }] }), /match .*must be one of "all", "any"/);
});

test('validate-azure-ad-token: tenant required, at most one token source', () => {
  bad(() => validateAzureAdToken({} as never), /tenantId is required/);
  bad(() => validateAzureAdToken({ tenantId: 't', headerName: 'a', queryParameterName: 'b', clientApplicationIds: ['c'] } as never), /at most one/);
  bad(() => validateAzureAdToken({ tenantId: 't' } as never), /clientApplicationIds is required/);
  bad(() => validateAzureAdToken({ tenantId: 't', clientApplicationIds: [] } as never), /clientApplicationIds is required/);
});

test('set-header: delete takes no values; others need one', () => {
  bad(() => setHeader({ name: 'X', existsAction: 'delete', values: ['v'] } as never), /takes no values/);
  bad(() => setHeader({ name: 'X', values: [] } as never), /at least one value/);
  bad(() => setHeader({ name: 'X', existsAction: 'remove', values: ['v'] } as never), /must be one of/);
});

test('set-backend-service: base-url xor backend-id; Service Fabric needs backend-id', () => {
  bad(() => setBackendService({} as never), /exactly one of baseUrl and backendId/);
  bad(() => setBackendService({ baseUrl: 'https://a', backendId: 'b' } as never), /exactly one/);
  bad(() => setBackendService({ baseUrl: 'https://a', sfReplicaType: 'primary' } as never), /need backendId/);
});

test('numbers must be integers; timeouts exclusive; status in range; quota needs calls or bandwidth', () => {
  bad(() => rateLimitByKey({ calls: 1.5, renewalPeriod: 60, counterKey: 'k' }), /calls .*integer/);
  bad(() => forwardRequest({ timeout: 1, timeoutMs: 1 } as never), /exclusive/);
  bad(() => setStatus({ code: 99 }), /HTTP status/);
  bad(() => quotaByKey({ renewalPeriod: 1, counterKey: 'k' } as never), /calls and bandwidth/);
});

test('renewal periods the references refuse: rate-limit-by-key above 300 s, quota-by-key below 300 s (not 0)', () => {
  bad(() => rateLimitByKey({ calls: 10, renewalPeriod: 301, counterKey: 'k' }), /renewalPeriod must be between 1 and 300 seconds/);
  bad(() => rateLimitByKey({ calls: 10, renewalPeriod: 0, counterKey: 'k' }), /renewalPeriod must be between 1 and 300 seconds/);
  assert.doesNotThrow(() => rateLimitByKey({ calls: 10, renewalPeriod: 300, counterKey: 'k' }));
  bad(() => quotaByKey({ calls: 10, renewalPeriod: 299, counterKey: 'k' }), /at least 300 seconds/);
  assert.doesNotThrow(() => quotaByKey({ calls: 10, renewalPeriod: 0, counterKey: 'k' }));
});

test('unknown options are refused (a typo never silently drops a setting)', () => {
  bad(() => validateJwt({ headerName: 'A', audience: ['x'] } as never), /unknown option "audience"/);
});

test('nested elements must be built with their builders', () => {
  bad(() => returnResponse({ status: { code: 401 } as never }), /set-status/);
  bad(() => emitMetric({ name: 'm', dimensions: [] as never }), /at least one dimension/);
});

test('named values: typed references, validated names, listed from a document', () => {
  const ref = namedValue('entra-issuer');
  assert.equal(ref, '{{entra-issuer}}');
  assert.throws(() => namedValue('bad name'), RangeError);
  assert.throws(() => namedValue('x}}{{y'), RangeError);
  const v = validateJwt({ headerName: 'A', issuers: [ref], openidConfigs: [{ url: namedValue('oidc') }], audiences: [expression('@("{{aud}}")')] });
  assert.deepEqual(listNamedValues(v).sort(), ['aud', 'entra-issuer', 'oidc']);
});

test('expression(): only whole @(...) / @{...} values', () => {
  assert.deepEqual(expression('@(1)'), { kind: 'expression', code: '@(1)', block: false });
  assert.equal(expression('@{ return 1; }').block, true);
  assert.throws(() => expression('1'), TypeError);
  assert.throws(() => expression('@(1}'), TypeError);
});

test('comment() and raw() refuse what cannot be written', () => {
  assert.throws(() => comment('a -- b'), TypeError);
  assert.throws(() => raw('  '), TypeError);
});

test('cdata(): a set-body holding markup; "]]>" refused', async () => {
  const { cdata } = await import('../../../policies/model/values.js');
  const { setBody } = await import('../../../policies/elements/set-body.js');
  assert.deepEqual(setBody(cdata('<a>&</a>')), { kind: 'set-body', body: { kind: 'cdata', value: '<a>&</a>' } });
  assert.throws(() => cdata('x]]>y'), TypeError);
  bad(() => setBody({ body: { kind: 'cdata', value: ']]>' } }), /CDATA cannot contain/);
});
