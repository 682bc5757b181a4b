/**
 * The RLS spec: one declarative description of session keys, protected tables, predicates,
 * application roles, database principals and the policy manager, validated with zod.
 * Emitters (`rls/emit/`) turn a parsed spec into T-SQL or PostgreSQL.
 */
import { z } from 'zod';

/** A database identifier (schema, table, column, role, principal). Quoted by the emitters, so any text is safe; NUL is not. */
const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL');

/** A session key name: it becomes a PostgreSQL setting name (`app.<name>`) and a SESSION_CONTEXT key. */
const keyName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and _ (at most 63), starting with a letter or _');

/** An application role value from the token's `roles` claim, e.g. `Orders.Admin`. */
const roleValue = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL')
  // SQL Server's = ignores trailing spaces (https://learn.microsoft.com/sql/t-sql/language-elements/string-comparison-assignment);
  // the T-SQL predicates refuse a caller's role that ends with one, so no listed role may either
  .refine((s) => !s.endsWith(' '), 'must not end with a space');

export const sessionKeyTypes = ['text', 'uuid', 'int', 'bigint', 'json'] as const;
export type SessionKeyType = (typeof sessionKeyTypes)[number];

export const sessionKeySchema = z
  .strictObject({
    name: keyName,
    /** SQL type the key is read as: text → nvarchar(maxLength) / text, json → a JSON array as text */
    type: z.enum(sessionKeyTypes),
    /** maximum length in characters of the value (text and json) */
    maxLength: z.number().int().min(1).max(4000).optional(),
    /**
     * where the value comes from: a claim of the verified token, the request/correlation id, or
     * the W3C trace id of the request's trace (32 lower-case hex digits: https://www.w3.org/TR/trace-context/#trace-id)
     */
    source: z.enum(['claim', 'request-id', 'trace-id']).default('claim'),
    /** the claim name (source `claim`) */
    claim: z.string().min(1).max(256).optional(),
    /** a request without this key is refused before it reaches the database */
    required: z.boolean().default(false),
    /** the claim is an array: stored as a JSON array text (type `json`) */
    multiValued: z.boolean().default(false),
  })
  .superRefine((k, ctx) => {
    if ((k.type === 'text' || k.type === 'json') && k.maxLength === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxLength'], message: `is required for type ${k.type}` });
    }
    if (k.source === 'claim' && k.claim === undefined) {
      ctx.addIssue({ code: 'custom', path: ['claim'], message: 'is required when source is "claim"' });
    }
    if (k.source !== 'claim' && k.claim !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['claim'], message: `must be absent when source is "${k.source}"` });
    }
    if (k.multiValued && k.type !== 'json') {
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'must be "json" for a multi-valued key' });
    }
  });
export type SessionKey = z.output<typeof sessionKeySchema>;

/** One access rule: callers holding any of `roles` may act on rows of their tenant (`tenant`) or only on rows they own (`owner`). */
export const accessRuleSchema = z.strictObject({
  roles: z.array(roleValue).min(1, 'must name at least one role'),
  scope: z.enum(['tenant', 'owner']),
});
export type AccessRule = z.output<typeof accessRuleSchema>;

export const operations = ['select', 'insert', 'update', 'delete'] as const;
export type Operation = (typeof operations)[number];

/** The write checks a table enforces (the T-SQL BLOCK predicate operations). */
export const blockOperations = ['afterInsert', 'afterUpdate', 'beforeUpdate', 'beforeDelete'] as const;
export type BlockOperation = (typeof blockOperations)[number];

const ruleList = z.array(accessRuleSchema).min(1, 'must hold at least one rule (omit the operation for tenant-only access)');

export const columnTypes = ['text', 'uuid', 'int', 'bigint'] as const;

/**
 * A protected column and the session key it is compared with. `type` (and `maxLength` for text)
 * state the column's SQL type: the Azure SQL predicate functions declare their parameters with it
 * (nvarchar(maxLength) / uniqueidentifier / int / bigint), so a column value is never cut or
 * converted on its way into the predicate. It must match the key's type and length (refused
 * otherwise). Absent: the column is taken to have the key's type, and `rls apply` on Azure SQL
 * checks that against the catalog before changing anything.
 */
export const columnRefSchema = z
  .strictObject({
    column: identifier,
    type: z.enum(columnTypes).optional(),
    maxLength: z.number().int().min(1).max(4000).optional(),
    key: keyName,
  })
  .superRefine((c, ctx) => {
    if (c.type === 'text' && c.maxLength === undefined) ctx.addIssue({ code: 'custom', path: ['maxLength'], message: 'is required for type text' });
    if (c.type !== 'text' && c.maxLength !== undefined) ctx.addIssue({ code: 'custom', path: ['maxLength'], message: 'applies to type text only' });
  });
export type ColumnRef = z.output<typeof columnRefSchema>;

export const tableSchema = z
  .strictObject({
    schema: identifier,
    name: identifier,
    /** the column holding the row's tenant, compared with a session key */
    tenant: columnRefSchema,
    /** the column holding the row's owner, compared with a session key (for `owner` rules) */
    owner: columnRefSchema.optional(),
    /**
     * Who may do what inside their tenant. An omitted operation is tenant-only (any caller of the
     * tenant); a listed one needs one of its rules to hold. Tenant isolation always applies.
     */
    access: z
      .strictObject({
        select: ruleList.optional(),
        insert: ruleList.optional(),
        update: ruleList.optional(),
        delete: ruleList.optional(),
      })
      .default({}),
    /** which writes are checked; all four unless narrowed */
    block: z
      .array(z.enum(blockOperations))
      .default([...blockOperations])
      .refine((a) => new Set(a).size === a.length, 'must not repeat an operation'),
  })
  .superRefine((t, ctx) => {
    for (const op of operations) {
      const rules = t.access[op];
      if (!rules) continue;
      rules.forEach((r, i) => {
        if (r.scope === 'owner' && !t.owner) {
          ctx.addIssue({ code: 'custom', path: ['access', op, i, 'scope'], message: '"owner" needs the table\'s owner column' });
        }
      });
    }
  });
export type ProtectedTable = z.output<typeof tableSchema>;

export const privileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type Privilege = (typeof privileges)[number];

export const grantSchema = z.strictObject({
  schema: identifier,
  table: identifier,
  privileges: z
    .array(z.enum(privileges))
    .min(1)
    .refine((a) => new Set(a).size === a.length, 'must not repeat a privilege'),
});
export type Grant = z.output<typeof grantSchema>;

/** A database role the application acts as (NOLOGIN, no BYPASSRLS); least privilege: only table DML it is granted. */
export const applicationRoleSchema = z.strictObject({
  name: identifier,
  grants: z.array(grantSchema).default([]),
});
export type ApplicationRole = z.output<typeof applicationRoleSchema>;

const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');

/** A database principal: a managed identity, group or user of the directory (Microsoft Entra ID). */
export const principalSchema = z
  .strictObject({
    name: identifier,
    kind: z.enum(['managed-identity', 'group', 'user']),
    /** the directory object id: the user is created `FROM EXTERNAL PROVIDER WITH OBJECT_ID` (it resolves to no other object) */
    objectId: uuid.optional(),
    /**
     * The principal's display name in Microsoft Entra ID; required with `objectId`. With
     * WITH OBJECT_ID, Azure SQL requires the user name to start with the display name (e.g.
     * `myapp4466e` for `myapp`) and refuses the statement otherwise (error 37545):
     * https://learn.microsoft.com/azure/azure-sql/database/authentication-microsoft-entra-create-users-with-nonunique-names
     */
    displayName: z.string().min(1).max(128).optional(),
    /** application roles (or the policy manager role) this principal joins */
    roles: z.array(identifier).default([]),
  })
  .superRefine((p, ctx) => {
    if (p.objectId === undefined) return;
    if (p.displayName === undefined) {
      ctx.addIssue({ code: 'custom', path: ['displayName'], message: 'is required with objectId: Azure SQL requires the user name to start with it (CREATE USER ... WITH OBJECT_ID, error 37545)' });
    } else if (!p.name.startsWith(p.displayName)) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `must start with the display name "${p.displayName}" (CREATE USER ... WITH OBJECT_ID; Azure SQL refuses it with error 37545 otherwise)` });
    }
  });
export type Principal = z.output<typeof principalSchema>;

export const auditOperations = ['insert', 'update', 'delete'] as const;
export type AuditOperation = (typeof auditOperations)[number];

/** One audited table: which writes leave an audit row, and the columns that name the row. */
export const auditedTableSchema = z.strictObject({
  schema: identifier,
  name: identifier,
  /** the columns that identify a row (its primary key), recorded as a JSON object in `row_key` */
  key: z
    .array(identifier)
    .min(1, 'must name at least one column')
    .refine((a) => new Set(a).size === a.length, 'must not repeat a column'),
  /** the writes that are audited; all three unless narrowed */
  operations: z
    .array(z.enum(auditOperations))
    .min(1, 'must name at least one operation')
    .default([...auditOperations])
    .refine((a) => new Set(a).size === a.length, 'must not repeat an operation'),
});
export type AuditedTable = z.output<typeof auditedTableSchema>;

/**
 * The database audit trail: every insert, update and delete on an audited table writes one row
 * into the audit table in the same transaction, with the session's identity (see docs/audit.md).
 */
export const auditSchema = z.strictObject({
  /** the schema and name of the audit table */
  schema: identifier.default('audit'),
  table: identifier.default('row_changes'),
  /** the session key recorded as the audit row's tenant; tenants read only their own audit rows */
  tenantKey: keyName,
  /** the session key recorded as the caller's object id */
  userKey: keyName,
  /**
   * PostgreSQL: the NOLOGIN role that owns the audit table and the SECURITY DEFINER trigger
   * functions. It gets no members; the application role never owns anything of the audit trail.
   */
  writer: identifier.default('apim_rls_audit_writer'),
  /** the role that reads every audit row (the policy manager does too); principals may join it */
  auditor: identifier.default('apim_rls_auditor'),
  tables: z.array(auditedTableSchema).min(1),
});
export type AuditSpec = z.output<typeof auditSchema>;

export const rlsSpecSchema = z
  .strictObject({
    version: z.literal(1),
    /** a short name; the T-SQL security policy is `[<helperSchema>].[<name>_policy]` */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be letters, digits and _ (at most 63), starting with a letter or _'),
    /** schema for the T-SQL predicate functions and security policy */
    helperSchema: identifier.default('rls'),
    /** PostgreSQL custom setting prefix: keys are read as `current_setting('<prefix>.<key>', true)` */
    settingPrefix: keyName.default('app'),
    /** the session key holding the caller's roles (a JSON array), needed by role rules */
    rolesKey: keyName.optional(),
    sessionKeys: z.array(sessionKeySchema).min(1),
    tables: z.array(tableSchema).min(1),
    applicationRoles: z.array(applicationRoleSchema).min(1),
    principals: z.array(principalSchema).default([]),
    /** the only role that may create, alter or drop the row-level security policy */
    policyManager: z.strictObject({ name: identifier }),
    /** principals that bypass row-level security; none unless named */
    bypass: z.array(identifier).default([]),
    /** the database audit trail; none unless declared */
    audit: auditSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const keys = new Map(s.sessionKeys.map((k) => [k.name, k]));
    const dup = <T>(items: T[], key: (t: T) => string, path: string) => {
      const seen = new Set<string>();
      items.forEach((it, i) => {
        const k = key(it);
        if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [path, i], message: `duplicate "${k}"` });
        seen.add(k);
      });
    };
    dup(s.sessionKeys, (k) => k.name, 'sessionKeys');
    dup(s.tables, (t) => `${t.schema}.${t.name}`, 'tables');
    dup(s.applicationRoles, (r) => r.name, 'applicationRoles');
    dup(s.principals, (p) => p.name, 'principals');

    const anyRoleRule = s.tables.some((t) => operations.some((op) => t.access[op] !== undefined));
    if (s.rolesKey !== undefined) {
      const rk = keys.get(s.rolesKey);
      if (!rk) ctx.addIssue({ code: 'custom', path: ['rolesKey'], message: `names no session key "${s.rolesKey}"` });
      else if (rk.type !== 'json') ctx.addIssue({ code: 'custom', path: ['rolesKey'], message: `session key "${s.rolesKey}" must have type "json"` });
    } else if (anyRoleRule) {
      ctx.addIssue({ code: 'custom', path: ['rolesKey'], message: 'is required when a table has access rules' });
    }
    s.tables.forEach((t, i) => {
      const tk = keys.get(t.tenant.key);
      if (!tk) ctx.addIssue({ code: 'custom', path: ['tables', i, 'tenant', 'key'], message: `names no session key "${t.tenant.key}"` });
      else if (!tk.required) ctx.addIssue({ code: 'custom', path: ['tables', i, 'tenant', 'key'], message: `session key "${t.tenant.key}" must be required` });
      if (t.owner && !keys.has(t.owner.key)) {
        ctx.addIssue({ code: 'custom', path: ['tables', i, 'owner', 'key'], message: `names no session key "${t.owner.key}"` });
      }
      for (const [which, ref] of [['tenant', t.tenant], ['owner', t.owner]] as const) {
        const k = ref ? keys.get(ref.key) : undefined;
        if (!ref || !k || ref.type === undefined || k.type === 'json') continue;
        const col = ref.type === 'text' ? `text(${ref.maxLength ?? '?'})` : ref.type;
        const key = k.type === 'text' ? `text(${k.maxLength ?? '?'})` : k.type;
        if (col !== key) {
          ctx.addIssue({
            code: 'custom',
            path: ['tables', i, which, 'type'],
            message: `column ${t.schema}.${t.name}.${ref.column} is ${col} but session key "${k.name}" is ${key}: the column and its key must have the same type and length`,
          });
        }
      }
      if (tk?.type === 'json' || (t.owner && keys.get(t.owner.key)?.type === 'json')) {
        ctx.addIssue({ code: 'custom', path: ['tables', i], message: 'tenant and owner keys must not have type "json"' });
      }
    });
    const roleNames = new Set([...s.applicationRoles.map((r) => r.name), s.policyManager.name, ...(s.audit ? [s.audit.auditor] : [])]);
    if (s.applicationRoles.some((r) => r.name === s.policyManager.name)) {
      ctx.addIssue({ code: 'custom', path: ['policyManager', 'name'], message: 'must differ from every application role' });
    }
    s.principals.forEach((p, i) => {
      p.roles.forEach((r, j) => {
        if (!roleNames.has(r)) ctx.addIssue({ code: 'custom', path: ['principals', i, 'roles', j], message: `names no application role or policy manager "${r}"` });
      });
      if (roleNames.has(p.name) || p.name === s.audit?.writer) ctx.addIssue({ code: 'custom', path: ['principals', i, 'name'], message: 'must differ from every role name' });
    });
    const principalNames = new Set(s.principals.map((p) => p.name));
    s.bypass.forEach((b, i) => {
      if (!principalNames.has(b)) ctx.addIssue({ code: 'custom', path: ['bypass', i], message: `names no principal "${b}" (only a named principal may bypass)` });
      const p = s.principals.find((x) => x.name === b);
      if (p && p.roles.some((r) => s.applicationRoles.some((a) => a.name === r))) {
        ctx.addIssue({ code: 'custom', path: ['bypass', i], message: `principal "${b}" is a member of an application role and must not bypass` });
      }
    });
    if (s.audit) checkAudit(s, s.audit, keys, ctx);
  });

function checkAudit(s: { tables: ProtectedTable[]; applicationRoles: ApplicationRole[]; policyManager: { name: string } }, a: AuditSpec, keys: Map<string, SessionKey>, ctx: z.RefinementCtx): void {
  const tenant = keys.get(a.tenantKey);
  if (!tenant) ctx.addIssue({ code: 'custom', path: ['audit', 'tenantKey'], message: `names no session key "${a.tenantKey}"` });
  else if (!tenant.required) ctx.addIssue({ code: 'custom', path: ['audit', 'tenantKey'], message: `session key "${a.tenantKey}" must be required` });
  else if (tenant.type === 'json') ctx.addIssue({ code: 'custom', path: ['audit', 'tenantKey'], message: 'must not have type "json"' });
  const user = keys.get(a.userKey);
  if (!user) ctx.addIssue({ code: 'custom', path: ['audit', 'userKey'], message: `names no session key "${a.userKey}"` });
  else if (user.type === 'json') ctx.addIssue({ code: 'custom', path: ['audit', 'userKey'], message: 'must not have type "json"' });
  const known = new Set([...s.tables.map((t) => `${t.schema}.${t.name}`), ...s.applicationRoles.flatMap((r) => r.grants.map((g) => `${g.schema}.${g.table}`))]);
  const seen = new Set<string>();
  a.tables.forEach((t, i) => {
    const name = `${t.schema}.${t.name}`;
    if (!known.has(name)) ctx.addIssue({ code: 'custom', path: ['audit', 'tables', i], message: `"${name}" is neither protected nor granted by the spec` });
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['audit', 'tables', i], message: `duplicate "${name}"` });
    seen.add(name);
  });
  if (known.has(`${a.schema}.${a.table}`)) ctx.addIssue({ code: 'custom', path: ['audit', 'table'], message: 'must not be a protected or granted table' });
  const others = new Set([...s.applicationRoles.map((r) => r.name), s.policyManager.name]);
  if (others.has(a.writer)) ctx.addIssue({ code: 'custom', path: ['audit', 'writer'], message: 'must differ from every application role and the policy manager' });
  if (others.has(a.auditor)) ctx.addIssue({ code: 'custom', path: ['audit', 'auditor'], message: 'must differ from every application role and the policy manager' });
  if (a.writer === a.auditor) ctx.addIssue({ code: 'custom', path: ['audit', 'auditor'], message: 'must differ from the writer' });
}

/** A spec as written (defaults optional). */
export type RlsSpecInput = z.input<typeof rlsSpecSchema>;
/** A parsed spec (defaults filled). */
export type RlsSpec = z.output<typeof rlsSpecSchema>;
