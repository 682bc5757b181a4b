/** One interface over the three database drivers (PGlite, pg, mssql). */
export type Dialect = 'postgres' | 'mssql';

export interface QueryResult<R> {
  rows: R[];
  /** rows affected by INSERT/UPDATE/DELETE, rows returned otherwise */
  rowCount: number;
}

export interface Executor {
  readonly dialect: Dialect;
  /**
   * One statement with bound parameters: `$1, $2, …` for PostgreSQL, `@p1, @p2, …` for mssql.
   * Values never enter the SQL text.
   */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** A script of several statements without parameters (PostgreSQL), or one batch (mssql). */
  exec(sql: string): Promise<void>;
}

export interface TransactionOptions {
  /** roll back at the end even when `fn` succeeds (verify and drift probes) */
  rollback?: boolean;
}

export interface Database extends Executor {
  readonly kind: 'pglite' | 'pg' | 'mssql';
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Executor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}
