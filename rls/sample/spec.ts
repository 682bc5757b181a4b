/** The orders sample's RLS spec (see /work/notes/sample-contract.md and the README section "rls"). */
import { parseSpec } from '../spec/load.js';
import type { RlsSpec, RlsSpecInput } from '../spec/schema.js';

/** As written: the input form, defaults omitted. */
export const ordersSpecInput = {
  version: 1,
  name: 'orders',
  helperSchema: 'rls',
  settingPrefix: 'app',
  rolesKey: 'roles',
  sessionKeys: [
    { name: 'tenant_id', type: 'text', maxLength: 64, claim: 'tid', required: true },
    { name: 'user_oid', type: 'text', maxLength: 64, claim: 'oid', required: true },
    { name: 'roles', type: 'json', maxLength: 4000, claim: 'roles', multiValued: true },
    { name: 'request_id', type: 'text', maxLength: 128, source: 'request-id' },
    { name: 'trace_id', type: 'text', maxLength: 32, source: 'trace-id' },
  ],
  tables: [
    {
      schema: 'app',
      name: 'tenants',
      tenant: { column: 'id', type: 'text', maxLength: 64, key: 'tenant_id' },
    },
    {
      schema: 'app',
      name: 'orders',
      tenant: { column: 'tenant_id', type: 'text', maxLength: 64, key: 'tenant_id' },
      owner: { column: 'owner_oid', type: 'text', maxLength: 64, key: 'user_oid' },
      access: {
        select: [
          { roles: ['Orders.Admin'], scope: 'tenant' },
          { roles: ['Orders.Read', 'Orders.Write'], scope: 'owner' },
        ],
        insert: [{ roles: ['Orders.Write'], scope: 'owner' }],
        update: [
          { roles: ['Orders.Admin'], scope: 'tenant' },
          { roles: ['Orders.Write'], scope: 'owner' },
        ],
        delete: [
          { roles: ['Orders.Admin'], scope: 'tenant' },
          { roles: ['Orders.Write'], scope: 'owner' },
        ],
      },
      block: ['afterInsert', 'afterUpdate', 'beforeUpdate', 'beforeDelete'],
    },
  ],
  applicationRoles: [
    {
      name: 'apim_rls_app',
      grants: [
        { schema: 'app', table: 'tenants', privileges: ['SELECT'] },
        { schema: 'app', table: 'orders', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
      ],
    },
  ],
  principals: [
    {
      name: 'func-apim-rls-orders',
      kind: 'managed-identity',
      objectId: '11111111-2222-3333-4444-555555555555',
      displayName: 'func-apim-rls-orders',
      roles: ['apim_rls_app'],
    },
  ],
  policyManager: { name: 'apim_rls_policy_manager' },
  bypass: [],
  audit: {
    schema: 'audit',
    table: 'row_changes',
    tenantKey: 'tenant_id',
    userKey: 'user_oid',
    writer: 'apim_rls_audit_writer',
    auditor: 'apim_rls_auditor',
    tables: [{ schema: 'app', name: 'orders', key: ['id'], operations: ['insert', 'update', 'delete'] }],
  },
} satisfies RlsSpecInput;

/** The parsed, validated spec. */
export const ordersSpec: RlsSpec = parseSpec(ordersSpecInput, 'rls/sample/spec.ts');

export default ordersSpec;
