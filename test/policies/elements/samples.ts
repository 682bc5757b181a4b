/** Builder calls with every documented option, shared by the element tests. */
import { authenticationManagedIdentity } from '../../../policies/elements/authentication-managed-identity.js';
import { checkHeader } from '../../../policies/elements/check-header.js';
import { choose } from '../../../policies/elements/choose.js';
import { cors } from '../../../policies/elements/cors.js';
import { emitMetric } from '../../../policies/elements/emit-metric.js';
import { forwardRequest } from '../../../policies/elements/forward-request.js';
import { includeFragment } from '../../../policies/elements/include-fragment.js';
import { ipFilter } from '../../../policies/elements/ip-filter.js';
import { limitConcurrency } from '../../../policies/elements/limit-concurrency.js';
import { mockResponse } from '../../../policies/elements/mock-response.js';
import { quotaByKey } from '../../../policies/elements/quota-by-key.js';
import { rateLimitByKey } from '../../../policies/elements/rate-limit-by-key.js';
import { retry } from '../../../policies/elements/retry.js';
import { returnResponse } from '../../../policies/elements/return-response.js';
import { rewriteUri } from '../../../policies/elements/rewrite-uri.js';
import { setBackendService } from '../../../policies/elements/set-backend-service.js';
import { setBody } from '../../../policies/elements/set-body.js';
import { deleteHeader, setHeader } from '../../../policies/elements/set-header.js';
import { setQueryParameter } from '../../../policies/elements/set-query-parameter.js';
import { setStatus } from '../../../policies/elements/set-status.js';
import { setVariable } from '../../../policies/elements/set-variable.js';
import { trace } from '../../../policies/elements/trace.js';
import { validateAzureAdToken } from '../../../policies/elements/validate-azure-ad-token.js';
import { validateJwt } from '../../../policies/elements/validate-jwt.js';
import { base } from '../../../policies/elements/base.js';
import { cdata, expression, namedValue } from '../../../policies/model/values.js';
import type { PolicyNode } from '../../../policies/model/nodes.js';

const cond = expression('@(context.Response.StatusCode == 500)');

export function elementSamples(): PolicyNode[] {
  return [
    base(),
    validateJwt({
      headerName: 'Authorization',
      failedValidationHttpCode: 401,
      failedValidationErrorMessage: 'Unauthorized',
      requireExpirationTime: true,
      requireScheme: 'Bearer',
      requireSignedTokens: true,
      clockSkew: 60,
      outputTokenVariableName: 'jwt',
      openidConfigs: [{ url: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration' }, { url: namedValue('second-oidc') }],
      issuerSigningKeys: [{ value: 'c2lnbmluZy1rZXk=', id: 'k1' }, { certificateId: 'my-cert' }, { n: 'modulus', e: 'AQAB', id: 'k3' }],
      decryptionKeys: [{ value: 'ZGVjcnlwdA==' }, { certificateId: 'dec-cert' }],
      audiences: ['api://orders'],
      issuers: ['https://sts.windows.net/tid/'],
      requiredClaims: [
        { name: 'roles', match: 'any', values: ['Orders.Read', 'Orders.Write'] },
        { name: 'scp', match: 'all', separator: ' ', values: ['read'] },
      ],
    }),
    validateJwt({ queryParameterName: 'access_token', audiences: ['a'] }),
    validateJwt({ tokenValue: expression('@(context.Variables.GetValueOrDefault<string>("t"))'), issuers: ['i'] }),
    validateAzureAdToken({
      tenantId: '11111111-2222-3333-4444-555555555555',
      headerName: 'Authorization',
      authenticationEndpoint: 'https://login.microsoftonline.us',
      failedValidationHttpCode: 403,
      failedValidationErrorMessage: 'Forbidden',
      outputTokenVariableName: 'aad',
      clientApplicationIds: ['client-1', 'client-2'],
      backendApplicationIds: ['backend-1'],
      audiences: ['api://orders'],
      requiredClaims: [{ name: 'tid', values: ['t1'] }],
      decryptionKeys: [{ certificateId: 'c' }],
    }),
    validateAzureAdToken({ tenantId: namedValue('tenant'), queryParameterName: 'token', clientApplicationIds: [namedValue('client-app')] }),
    validateAzureAdToken({
      tenantId: 't',
      clientApplicationIds: ['c'],
      tokenValue: expression('@(context.Request.Headers.GetValueOrDefault("X-Token", ""))'),
      requiredClaims: [{ name: 'roles', match: 'any', values: ['a', 'b'] }, { name: 'scp', match: 'all', separator: ' ', values: ['x'] }],
    }),
    checkHeader({ name: 'X-Version', failedCheckHttpCode: 400, failedCheckErrorMessage: 'bad version', ignoreCase: true, values: ['1', '2'] }),
    setHeader({ name: 'X-A', existsAction: 'override', values: ['a', expression('@(context.RequestId.ToString())')] }),
    setHeader({ name: 'X-B', existsAction: 'skip', values: ['b'] }),
    setHeader({ name: 'X-C', existsAction: 'append', values: ['c1', 'c2'] }),
    deleteHeader('X-D'),
    setQueryParameter({ name: 'api-version', existsAction: 'override', values: ['2024-01-01'] }),
    setQueryParameter({ name: 'q', existsAction: 'skip', values: ['1'] }),
    setQueryParameter({ name: 'r', existsAction: 'append', values: ['2'] }),
    setQueryParameter({ name: 'secret', existsAction: 'delete' }),
    rewriteUri({ template: '/orders/{id}', copyUnmatchedParams: false }),
    setBackendService({ baseUrl: 'https://orders.example.net/api' }),
    setBackendService({ backendId: 'sf-backend', sfPartitionKey: expression('@(1)'), sfReplicaType: 'primary', sfResolveCondition: cond, sfServiceInstanceName: 'fabric:/app/svc', sfListenerName: 'l' }),
    setBackendService({ backendId: 'dapr', daprAppId: 'orders', daprMethod: 'list', daprNamespace: 'ns' }),
    setBackendService({ backendId: 'sf2', sfReplicaType: 'secondary' }),
    authenticationManagedIdentity({ resource: 'api://orders-backend', clientId: 'cid', outputTokenVariableName: 'mi', ignoreError: false }),
    rateLimitByKey({
      calls: 100,
      renewalPeriod: 60,
      counterKey: expression('@(context.Subscription.Id)'),
      incrementCondition: expression('@(context.Response.StatusCode == 200)'),
      incrementCount: 1,
      retryAfterHeaderName: 'Retry-After',
      retryAfterVariableName: 'retryAfter',
      remainingCallsHeaderName: 'X-Remaining',
      remainingCallsVariableName: 'remaining',
      totalCallsHeaderName: 'X-Total',
    }),
    quotaByKey({ calls: 10000, bandwidth: 40000, renewalPeriod: 3600, counterKey: 'k', incrementCondition: true, firstPeriodStart: '2024-01-01T00:00:00Z' }),
    cors({
      allowCredentials: true,
      terminateUnmatchedRequest: false,
      allowedOrigins: ['https://contoso.com'],
      allowedMethods: { preflightResultMaxAge: 300, methods: ['GET', 'POST'] },
      allowedHeaders: ['Content-Type'],
      exposeHeaders: ['X-Request-Id'],
    }),
    returnResponse({
      responseVariableName: 'existing',
      status: setStatus({ code: 401, reason: 'Unauthorized' }),
      headers: [setHeader({ name: 'WWW-Authenticate', values: ['Bearer'] })],
      body: setBody({ template: 'none', body: '{"title":"Unauthorized"}' }),
    }),
    setStatus({ code: 200 }),
    setBody(cdata('<order id="1">a &amp; b</order>')),
    setBody({ template: 'liquid', xsiNil: 'blank', parseDate: false, body: '{"a": "{{body.a}}"}' }),
    setBody({ xsiNil: 'null', body: expression('@(context.Request.Body.As<string>())') }),
    setVariable({ name: 'v', value: expression('@(context.Request.Method)') }),
    choose({ when: [{ condition: cond, policies: [setStatus({ code: 502 })] }, { condition: expression('@(true)'), policies: [] }], otherwise: [base()] }),
    includeFragment('cors-fragment'),
    ipFilter({ action: 'allow', addresses: ['10.0.0.1'], addressRanges: [{ from: '10.1.0.0', to: '10.1.255.255' }] }),
    ipFilter({ action: 'forbid', addresses: ['13.66.201.169'] }),
    forwardRequest({ httpVersion: '2or1', timeout: 60, continueTimeout: 5, followRedirects: true, bufferRequestBody: true, bufferResponse: false, failOnErrorStatusCode: true }),
    forwardRequest({ httpVersion: '1', timeoutMs: 500 }),
    forwardRequest({ httpVersion: '2' }),
    retry({ condition: cond, count: 3, interval: 1, maxInterval: 10, delta: 1, firstFastRetry: true, policies: [forwardRequest()] }),
    mockResponse({ statusCode: 200, contentType: 'application/json', index: 0 }),
    trace({ source: 'orders', severity: 'information', message: 'hello', metadata: [{ name: 'k', value: 'v' }] }),
    trace({ source: 'orders', severity: 'verbose', message: 'v' }),
    trace({ source: 'orders', severity: 'error', message: 'e' }),
    emitMetric({ name: 'Request', value: '1', namespace: 'orders', dimensions: [{ name: 'API ID' }, { name: 'Client IP', value: expression('@(context.Request.IpAddress)') }] }),
    limitConcurrency({ key: 'backend', maxCount: 4, policies: [forwardRequest({ timeout: 30 })] }),
  ];
}
