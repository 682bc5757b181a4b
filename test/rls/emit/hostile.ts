/** A spec whose names try to break out of SQL quoting: every one must stay inside a quoted token. */
import { parseSpec } from '../../../rls/spec/load.js';

export const hostile = {
  schema: "s'q]\"x",
  table: 'x]; DROP TABLE y--',
  tenantColumn: "t'; DELETE FROM z; --",
  ownerColumn: 'o"]w',
  role: "app]'; GRANT CONTROL TO [evil]--",
  roleValue: "Admin'); DROP TABLE w; --]\\",
  principal: "mi'] WITH PASSWORD = 'p'--",
  manager: 'pm"; DROP ROLE postgres; --',
  helperSchema: 'h]"s',
} as const;

export const hostileSpec = parseSpec({
  version: 1,
  name: 'hostile',
  helperSchema: hostile.helperSchema,
  rolesKey: 'roles',
  sessionKeys: [
    { name: 'tenant_id', type: 'text', maxLength: 64, claim: 'tid', required: true },
    { name: 'user_oid', type: 'text', maxLength: 64, claim: 'oid', required: true },
    { name: 'roles', type: 'json', maxLength: 4000, claim: 'roles', multiValued: true },
  ],
  tables: [
    {
      schema: hostile.schema,
      name: hostile.table,
      tenant: { column: hostile.tenantColumn, key: 'tenant_id' },
      owner: { column: hostile.ownerColumn, key: 'user_oid' },
      access: { select: [{ roles: [hostile.roleValue], scope: 'owner' }], insert: [{ roles: [hostile.roleValue], scope: 'tenant' }] },
    },
  ],
  applicationRoles: [{ name: hostile.role, grants: [{ schema: hostile.schema, table: hostile.table, privileges: ['SELECT', 'INSERT'] }] }],
  principals: [{ name: hostile.principal, kind: 'managed-identity', objectId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', displayName: hostile.principal.slice(0, 3), roles: [hostile.role] }],
  policyManager: { name: hostile.manager },
});
