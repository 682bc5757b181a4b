/**
 * The identity session: run one statement for one caller, with the caller's session keys set
 * in the same round trip (PostgreSQL) or the same batch (Azure SQL) as the statement, and no
 * identity surviving on the connection for the next caller. One interface, one driver per
 * database in this folder.
 */
import type { SessionValues } from '../identity/claim-map.js';
import type { Statement } from './statement.js';

export type Dialect = 'postgres' | 'mssql';

export interface QueryResult {
  readonly rows: readonly Record<string, unknown>[];
  readonly rowCount: number;
}

export interface RunOptions {
  abortSignal?: AbortSignal;
}

export interface IdentitySession {
  readonly dialect: Dialect;
  /** Sets every session key in `identity` (null clears it), then runs `statement`, in one transaction. */
  run(identity: SessionValues, statement: Statement, options?: RunOptions): Promise<QueryResult>;
  /** Runs `statement` with no identity and no application role (health checks, benchmarks' baseline). */
  runWithoutIdentity(statement: Statement, options?: RunOptions): Promise<QueryResult>;
  close(): Promise<void>;
}
