export type { Database, Dialect, Executor, QueryResult, TransactionOptions } from './types.js';
export { openDatabase, parseDatabaseUrl, redactUrl, type DatabaseTarget, type OpenDatabaseOptions } from './open.js';
export { openPglite, fromPglite } from './pglite.js';
export { openPg, type PgOptions } from './pg.js';
export { mssqlConfig, parseMssqlUrl, type MssqlTarget } from './mssql.js';
