/** Every typed element's spec, by XML name: how the document codec finds the codec for a parsed element. */
import type { ElementSpec } from '../model/schema.js';
import { authenticationManagedIdentitySpec } from './authentication-managed-identity.js';
import { checkHeaderSpec } from './check-header.js';
import { chooseSpec } from './choose.js';
import { corsSpec } from './cors.js';
import { emitMetricSpec } from './emit-metric.js';
import { forwardRequestSpec } from './forward-request.js';
import { includeFragmentSpec } from './include-fragment.js';
import { ipFilterSpec } from './ip-filter.js';
import { limitConcurrencySpec } from './limit-concurrency.js';
import { mockResponseSpec } from './mock-response.js';
import { quotaByKeySpec } from './quota-by-key.js';
import { rateLimitByKeySpec } from './rate-limit-by-key.js';
import { retrySpec } from './retry.js';
import { returnResponseSpec } from './return-response.js';
import { rewriteUriSpec } from './rewrite-uri.js';
import { setBackendServiceSpec } from './set-backend-service.js';
import { setBodySpec } from './set-body.js';
import { setHeaderSpec } from './set-header.js';
import { setQueryParameterSpec } from './set-query-parameter.js';
import { setStatusSpec } from './set-status.js';
import { setVariableSpec } from './set-variable.js';
import { traceSpec } from './trace.js';
import { validateAzureAdTokenSpec } from './validate-azure-ad-token.js';
import { validateJwtSpec } from './validate-jwt.js';

export const ELEMENT_SPECS: ReadonlyMap<string, ElementSpec> = new Map(
  [
    authenticationManagedIdentitySpec,
    checkHeaderSpec,
    chooseSpec,
    corsSpec,
    emitMetricSpec,
    forwardRequestSpec,
    includeFragmentSpec,
    ipFilterSpec,
    limitConcurrencySpec,
    mockResponseSpec,
    quotaByKeySpec,
    rateLimitByKeySpec,
    retrySpec,
    returnResponseSpec,
    rewriteUriSpec,
    setBackendServiceSpec,
    setBodySpec,
    setHeaderSpec,
    setQueryParameterSpec,
    setStatusSpec,
    setVariableSpec,
    traceSpec,
    validateAzureAdTokenSpec,
    validateJwtSpec,
  ].map((s) => [s.name, s]),
);
