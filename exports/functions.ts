/**
 * `apim-rls/functions`: the reusable parts of the Functions backend — the trust boundary, the
 * claim map and the identity sessions (re-exports only). Importing it reads no app setting and
 * registers no function: that is `functions/app.ts`, the Functions entry (`main`). The orders
 * handlers, queries and claim map are the app's own code and are not exported here.
 */
export { createTrustBoundary, identityHeaderClaims, type TrustBoundary, type TrustBoundaryOptions, type VerifiedIdentity, type HeaderGetter } from '../functions/identity/trust-boundary.js';
export { createOpenIdKeySource, KeySourceUnavailableError, type OpenIdKeySource, type OpenIdKeySourceOptions } from '../functions/identity/keys.js';
export { mapClaims, checkClaimMap, type ClaimMap, type SessionKeyRule, type SessionValue, type SessionValues } from '../functions/identity/claim-map.js';
export { claimMapFromSpec, type SpecSessionKey } from '../functions/identity/claim-map-from-spec.js';
export { requestIdFrom } from '../functions/identity/request-id.js';
export type { IdentitySession, Dialect, QueryResult, RunOptions } from '../functions/session/types.js';
export { sql, text, int, bigint, renderStatement, type Statement, type SqlParam, type SqlType } from '../functions/session/statement.js';
export { createPgPool, createPgSession, postgresEntraScope, type PgPoolOptions, type PgSessionOptions } from '../functions/session/pg.js';
export { createPGliteSession, type PGliteLike, type PGliteSessionOptions } from '../functions/session/pglite.js';
export {
  createMssqlSession,
  buildMssqlPoolConfig,
  parseMssqlUrl,
  isTransientMssqlError,
  mssqlTransientErrorNumbers,
  mssqlTransientErrorCodes,
  mssqlBlockPredicateError,
  type MssqlPoolLike,
  type MssqlSessionOptions,
  type MssqlPoolConfigOptions,
} from '../functions/session/mssql.js';
export { HttpError, ValidationError, problemResponse, errorTable, type ErrorCode, type ProblemDocument } from '../functions/errors.js';
