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
  /** checked before the database is asked */
  abortSignal?: AbortSignal;
  /**
   * The time left of the request's deadline, in ms: the driver ends every wait of this call
   * within it (pool checkout, connect, statement, lock) and answers 503 FN_510_DEADLINE_EXCEEDED,
   * the statement rolled back. Absent: no deadline (benchmarks, tools).
   */
  timeoutInMs?: number;
}

export interface IdentitySession {
  readonly dialect: Dialect;
  /** Sets every session key in `identity` (null clears it), then runs `statement`, in one transaction. */
  run(identity: SessionValues, statement: Statement, options?: RunOptions): Promise<QueryResult>;
  /** Runs `statement` with no identity and no application role (health checks, benchmarks' baseline). */
  runWithoutIdentity(statement: Statement, options?: RunOptions): Promise<QueryResult>;
  close(): Promise<void>;
}
