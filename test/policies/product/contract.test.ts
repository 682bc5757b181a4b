/** The orders API policy comes from the sample RLS spec, and is exactly the chain it was written out as before. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ordersApiPolicy, ORDERS_FORWARDED_CLAIMS, ORDERS_ROLES } from '../../../policies/product/index.js';
import { identityChain } from '../../../policies/presets/identity.js';
import { policyDocument } from '../../../policies/model/document.js';
import { base } from '../../../policies/elements/base.js';
import { namedValue } from '../../../policies/model/values.js';
import { perCallerRateLimit } from '../../../policies/product/orders-api.js';

test('ordersApiPolicy() equals the identity chain written out by hand (the spec-derived build changes nothing)', () => {
  const byHand = policyDocument({
    inbound: [
      base(),
      ...identityChain({
        trust: { openidConfigUrls: [namedValue('entra-openid-config')], issuers: [namedValue('entra-issuer')] },
        audiences: ['api://apim-rls-orders'],
        permissions: { roles: ['Orders.Read', 'Orders.Write', 'Orders.Admin'], match: 'any' },
        allowedTenants: [namedValue('entra-tenant-id')],
        forwardClaims: [
          { claim: 'tid', header: 'X-Identity-Tenant-Id' },
          { claim: 'oid', header: 'X-Identity-Object-Id' },
          { claim: 'sub', header: 'X-Identity-Subject' },
          { claim: 'roles', header: 'X-Identity-Roles' },
        ],
        maxTokenLifetimeSeconds: 3600,
        clockSkewSeconds: 60,
        tokenVariable: 'jwt',
        backendManagedIdentity: { resource: namedValue('orders-backend-resource') },
      }),
      perCallerRateLimit(100, 60),
    ],
    backend: [base()],
    outbound: [base()],
    onError: [base()],
  });
  assert.deepEqual(ordersApiPolicy(), byHand);
  assert.deepEqual(ORDERS_ROLES, ['Orders.Read', 'Orders.Write', 'Orders.Admin']);
  assert.deepEqual(ORDERS_FORWARDED_CLAIMS.map((c) => c.header), ['X-Identity-Tenant-Id', 'X-Identity-Object-Id', 'X-Identity-Subject', 'X-Identity-Roles']);
});
