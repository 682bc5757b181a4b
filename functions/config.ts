/**
 * App settings, validated once at start-up with zod and frozen. Only the Functions entry
 * (`functions/app.ts`), the CLI and tests call `loadConfig`, passing the settings in: nothing
 * here reads `process.env`.
 */
import { z } from 'zod';

export const authModes = ['caller-token', 'gateway-token', 'either'] as const;
/**
 * - `caller-token`: the caller's JWT (forwarded by the gateway in `Authorization`) is verified
 *   again; identity comes only from its claims (identity headers are ignored).
 * - `gateway-token`: `Authorization` holds the gateway's managed-identity token (audience = this
 *   app, client id in the allow-list); identity comes from the forwarded identity headers.
 * - `either`: a verified token whose client id is an allowed gateway is treated as gateway proof,
 *   any other verified token as the caller's token.
 * There is no mode without proof.
 */
export type AuthMode = (typeof authModes)[number];

const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const positiveInt = (def: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(def);

/**
 * The request deadline: every database wait of one request (pool checkout, connect, statement,
 * lock) ends by then, with 503 FN_510_DEADLINE_EXCEEDED and the write rolled back. It must stay
 * below host.json's `functionTimeout` (30 s here; a test checks the default against it): past
 * `functionTimeout` the host abandons the invocation with no answer while the statement may still
 * commit. The default leaves 5 s of the 30 s for the token check, the answer, the audit line
 * and the driver's own cancellation (PostgreSQL's cancel, the client-side grace of
 * `pgClientGraceInMs`, a TDS attention). The maximum is the 230 s after which Azure's load
 * balancer answers an HTTP-triggered function's caller itself, whatever `functionTimeout` says:
 * https://learn.microsoft.com/azure/azure-functions/functions-scale#timeout
 */
export const defaultRequestDeadlineMs = 25_000;
export const minRequestDeadlineMs = 100;
export const maxRequestDeadlineMs = 230_000;

const databaseUrl = z
  .string({ error: 'required (postgres://..., pglite:memory, pglite:DIR or mssql://SERVER/DATABASE)' })
  .refine((s) => /^(postgres(ql)?:\/\/|pglite:|mssql:\/\/)/.test(s), {
    message: 'must start with postgres://, pglite: or mssql://',
  });

const settingsSchema = z.object({
  APIM_RLS_DB: databaseUrl,
  APIM_RLS_AUTH_MODE: z.enum(authModes).default('caller-token'),
  APIM_RLS_OPENID_CONFIG_URL: z.url({ error: 'required: the OpenID configuration URL (https://login.microsoftonline.com/TENANT/v2.0/.well-known/openid-configuration)' }),
  APIM_RLS_ISSUER: z.string().min(1).optional(),
  APIM_RLS_AUDIENCE: z.string({ error: 'required: the audience of tokens for this app (e.g. api://apim-rls-orders)' }).min(1),
  APIM_RLS_GATEWAY_AUDIENCE: z.string().min(1).optional(),
  APIM_RLS_GATEWAY_CLIENT_IDS: csv.optional(),
  APIM_RLS_GATEWAY_OBJECT_IDS: csv.optional(),
  APIM_RLS_IDENTITY_HEADER_PREFIX: z.string().regex(/^[A-Za-z0-9-]+$/).default('X-Identity-'),
  APIM_RLS_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
  APIM_RLS_MANAGED_IDENTITY_CLIENT_ID: z.string().min(1).optional(),
  APIM_RLS_PG_ENTRA_AUTH: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  APIM_RLS_DB_ROLE: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier').default('apim_rls_app'),
  APIM_RLS_DB_POOL_MAX: positiveInt(10, 200),
  APIM_RLS_DB_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  APIM_RLS_DB_RETRY_DELAY_MS: z.coerce.number().int().min(1).max(60_000).default(100),
  APIM_RLS_MAX_BODY_BYTES: positiveInt(16_384, 1_048_576),
  APIM_RLS_REQUEST_DEADLINE_MS: z.coerce.number().int().min(minRequestDeadlineMs).max(maxRequestDeadlineMs).default(defaultRequestDeadlineMs),
});

export interface AppConfig {
  readonly databaseUrl: string;
  readonly authMode: AuthMode;
  readonly openidConfigUrl: string;
  /** expected `iss`; when absent, the issuer from the OpenID configuration */
  readonly issuer: string | undefined;
  readonly audience: string;
  readonly gatewayAudience: string;
  readonly gatewayClientIds: readonly string[];
  /** object ids (`oid`) of the gateway's managed identity; when not empty, a gateway token must carry one of them */
  readonly gatewayObjectIds: readonly string[];
  readonly identityHeaderPrefix: string;
  readonly clockToleranceSeconds: number;
  readonly managedIdentityClientId: string | undefined;
  readonly pgEntraAuth: boolean;
  readonly dbRole: string;
  readonly dbPoolMax: number;
  readonly dbMaxRetries: number;
  readonly dbRetryDelayMs: number;
  readonly maxBodyBytes: number;
  /** every database wait of a request ends within this (see `defaultRequestDeadlineMs`) */
  readonly requestDeadlineMs: number;
}

/** Thrown at start-up; `problems` lists every bad setting, one line each. */
export class ConfigError extends Error {
  readonly code = 'FN_CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`invalid app settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates app settings (e.g. `process.env` at the entry) into a frozen config. */
export function loadConfig(settings: Readonly<Record<string, string | undefined>>): AppConfig {
  // only the keys the schema knows; empty strings count as absent
  const picked: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const v = settings[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = settingsSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`));
  }
  const s = parsed.data;
  const problems: string[] = [];
  const gatewayClientIds = s.APIM_RLS_GATEWAY_CLIENT_IDS ?? [];
  if (s.APIM_RLS_AUTH_MODE !== 'caller-token' && gatewayClientIds.length === 0) {
    problems.push(`APIM_RLS_GATEWAY_CLIENT_IDS: required when APIM_RLS_AUTH_MODE is ${s.APIM_RLS_AUTH_MODE} (the client ids of the gateway's managed identity)`);
  }
  if (s.APIM_RLS_PG_ENTRA_AUTH && !/^postgres(ql)?:\/\//.test(s.APIM_RLS_DB)) {
    problems.push('APIM_RLS_PG_ENTRA_AUTH: only applies to a postgres:// database');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    databaseUrl: s.APIM_RLS_DB,
    authMode: s.APIM_RLS_AUTH_MODE,
    openidConfigUrl: s.APIM_RLS_OPENID_CONFIG_URL,
    issuer: s.APIM_RLS_ISSUER,
    audience: s.APIM_RLS_AUDIENCE,
    gatewayAudience: s.APIM_RLS_GATEWAY_AUDIENCE ?? s.APIM_RLS_AUDIENCE,
    gatewayClientIds: Object.freeze([...gatewayClientIds]),
    gatewayObjectIds: Object.freeze([...(s.APIM_RLS_GATEWAY_OBJECT_IDS ?? [])]),
    identityHeaderPrefix: s.APIM_RLS_IDENTITY_HEADER_PREFIX,
    clockToleranceSeconds: s.APIM_RLS_CLOCK_TOLERANCE_SECONDS,
    managedIdentityClientId: s.APIM_RLS_MANAGED_IDENTITY_CLIENT_ID,
    pgEntraAuth: s.APIM_RLS_PG_ENTRA_AUTH,
    dbRole: s.APIM_RLS_DB_ROLE,
    dbPoolMax: s.APIM_RLS_DB_POOL_MAX,
    dbMaxRetries: s.APIM_RLS_DB_MAX_RETRIES,
    dbRetryDelayMs: s.APIM_RLS_DB_RETRY_DELAY_MS,
    maxBodyBytes: s.APIM_RLS_MAX_BODY_BYTES,
    requestDeadlineMs: s.APIM_RLS_REQUEST_DEADLINE_MS,
  });
}

/** The setting names, for documentation and the example settings file. */
export const settingNames = Object.freeze(Object.keys(settingsSchema.shape));
