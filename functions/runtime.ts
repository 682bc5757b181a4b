/**
 * Builds the app's long-lived parts once, from a validated config: the key source (OpenID
 * discovery + JWKS), the trust boundary, the claim map, the database pool and identity session,
 * the dialect's statements, and the handlers. The credential is passed in (created once at the
 * entry); nothing here reads the environment.
 */
import type { AppConfig } from './config.js';
import { healthTimeoutInMs } from './handlers/health.js';
import { createHandlers, type BoundHandler, type OperationName } from './handlers/index.js';
import { checkClaimMap, ordersClaimMap, type ClaimMap } from './identity/claim-map.js';
import { createOpenIdKeySource, type OpenIdKeySource } from './identity/keys.js';
import { createTrustBoundary } from './identity/trust-boundary.js';
import type { HandlerDeps } from './pipeline/types.js';
import { mssqlOrdersQueries } from './queries/orders-mssql.js';
import { postgresOrdersQueries } from './queries/orders-postgres.js';
import type { MssqlPoolLike, TokenCredentialLike } from './session/mssql.js';
import { createPgPool, createPgSession } from './session/pg.js';
import { createPGliteSession, type PGliteLike } from './session/pglite.js';
import type { IdentitySession } from './session/types.js';
import type { config as MssqlConfig } from 'mssql';
import type { Tracer } from '@opentelemetry/api';

export interface RuntimeOptions {
  config: AppConfig;
  /** the ONE credential for Azure SQL / Azure Database for PostgreSQL (see `createCredential`) */
  credential?: TokenCredentialLike;
  claimMap?: ClaimMap;
  /** default: discovery from `config.openidConfigUrl` */
  keys?: OpenIdKeySource;
  /** fixed clock for token times (tests) */
  now?: () => Date;
  /** an already-open database session (tests, the local stack sharing one PGlite) */
  session?: IdentitySession;
  /** an already-open PGlite for `pglite:` URLs */
  pglite?: PGliteLike;
  /** `pglite:` URLs: the folder of the cached dump a new cluster is loaded from instead of running initdb (rls/db/pglite-cluster.ts); none: initdb */
  pgliteCache?: string | null;
  /** records the request spans; default the global OpenTelemetry tracer */
  tracer?: Tracer;
  /** test seam: builds the mssql pool from its config */
  mssqlPoolFactory?: (config: MssqlConfig) => MssqlPoolLike;
}

export interface Runtime {
  readonly deps: HandlerDeps;
  readonly handlers: Record<OperationName, BoundHandler>;
  close(): Promise<void>;
}

/** the request session, and health's own (server databases: a pool of one connection) */
interface Sessions {
  session: IdentitySession;
  health?: IdentitySession;
}

async function openSession(options: RuntimeOptions, claimMap: ClaimMap): Promise<Sessions> {
  const { config } = options;
  const url = config.databaseUrl;
  if (url.startsWith('pglite:')) {
    if (options.pglite) return { session: createPGliteSession({ db: options.pglite, role: config.dbRole }) };
    const { newPglite } = await import('../rls/db/pglite-cluster.js');
    const dir = url.slice('pglite:'.length);
    const db = await newPglite(dir === 'memory' || dir === '' ? undefined : dir, options.pgliteCache);
    return { session: createPGliteSession({ db: db as unknown as PGliteLike, role: config.dbRole, closeDatabase: true }) };
  }
  if (url.startsWith('mssql:')) {
    if (!options.credential) throw new TypeError('an mssql:// database needs the shared credential (managed identity)');
    // the mssql driver (and tedious) is loaded only for an mssql:// database: a PostgreSQL or PGlite app does not pay for it
    const { buildMssqlPoolConfig, createMssqlSession, parseMssqlUrl } = await import('./session/mssql.js');
    const target = parseMssqlUrl(url);
    const poolConfig = buildMssqlPoolConfig({ ...target, credential: options.credential, max: config.dbPoolMax, requestTimeoutInMs: config.requestDeadlineMs });
    const healthConfig = buildMssqlPoolConfig({ ...target, credential: options.credential, max: 1, requestTimeoutInMs: config.requestDeadlineMs });
    let makePool: (c: MssqlConfig) => MssqlPoolLike;
    if (options.mssqlPoolFactory) makePool = options.mssqlPoolFactory;
    else {
      const sql = (await import('mssql')).default;
      // the driver connects on first use (and again after a failed or lost connection)
      makePool = (c) => new sql.ConnectionPool(c);
    }
    const sessionOptions = { sessionKeys: claimMap.map((r) => r.key), maxRetries: config.dbMaxRetries, retryDelayInMs: config.dbRetryDelayMs };
    return {
      session: createMssqlSession({ pool: makePool(poolConfig), ...sessionOptions }),
      health: createMssqlSession({ pool: makePool(healthConfig), ...sessionOptions }),
    };
  }
  if (config.pgEntraAuth && !options.credential) throw new TypeError('APIM_RLS_PG_ENTRA_AUTH needs the shared credential');
  const credential = config.pgEntraAuth && options.credential ? { credential: options.credential } : {};
  // the code only (57P01, ECONNRESET...): never a query, a value or a password
  const onIdleConnectionError = (err: Error) => console.warn(`apim-rls: the database closed an idle pooled connection (${(err as { code?: string }).code ?? 'closed'}); the next request reconnects`);
  const pool = createPgPool({
    connectionString: url,
    max: config.dbPoolMax,
    connectionTimeoutInMs: Math.min(10_000, config.requestDeadlineMs),
    onIdleConnectionError,
    ...credential,
  });
  const healthPool = createPgPool({ connectionString: url, max: 1, connectionTimeoutInMs: healthTimeoutInMs, applicationName: 'apim-rls-health', onIdleConnectionError, ...credential });
  const preparedStatements = config.pgPreparedStatements;
  return { session: createPgSession({ pool, role: config.dbRole, preparedStatements }), health: createPgSession({ pool: healthPool, role: config.dbRole, preparedStatements }) };
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config } = options;
  const claimMap = checkClaimMap(options.claimMap ?? ordersClaimMap);
  const keys = options.keys ?? createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl });
  const trust = createTrustBoundary({ config, keys, ...(options.now ? { now: options.now } : {}) });
  const opened = options.session ? { session: options.session } : await openSession(options, claimMap);
  const { session, health } = opened as Sessions;
  const queries = session.dialect === 'mssql' ? mssqlOrdersQueries : postgresOrdersQueries;
  const deps: HandlerDeps = Object.freeze({ config, trust, claimMap, session, ...(health ? { healthSession: health } : {}), queries, ...(options.tracer ? { tracer: options.tracer } : {}) });
  return {
    deps,
    handlers: createHandlers(deps),
    async close() {
      if (!options.session) await Promise.all([session.close(), health?.close()]);
    },
  };
}
