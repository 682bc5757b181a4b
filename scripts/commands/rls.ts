/**
 * `apim-rls rls sql|apply|verify|drift`: parse arguments → call rls/ → print.
 * Exit codes: 0 ok, 1 findings (verify mismatches, drift), 2 bad input (spec, cases, URL), 3 runtime failure.
 */
import type { Command } from 'commander';
import { applySpec } from '../../rls/apply.js';
import { loadCases } from '../../rls/cases.js';
import { openDatabase, parseDatabaseUrl, redactUrl } from '../../rls/db/open.js';
import { pgliteCacheDirFromEnv } from '../../rls/db/pglite-cluster.js';
import type { Database } from '../../rls/db/types.js';
import { driftSpec, type CatalogChange } from '../../rls/drift.js';
import { emitMssql, emitMssqlRemove } from '../../rls/emit/mssql.js';
import { emitPostgres, emitPostgresRemove } from '../../rls/emit/postgres.js';
import { RlsError, type RlsErrorCode } from '../../rls/errors.js';
import { loadSpec } from '../../rls/spec/load.js';
import type { RlsSpec } from '../../rls/spec/schema.js';
import { formatTruthTable, verifySpec } from '../../rls/verify.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CliEnv, CommandIo } from '../io.js';

const exitFor: Record<RlsErrorCode, ExitCode> = {
  RLS_SPEC_INVALID: ExitCode.BadInput,
  RLS_FILE_UNREADABLE: ExitCode.BadInput,
  RLS_DB_URL_INVALID: ExitCode.BadInput,
  RLS_DIALECT_UNSUPPORTED: ExitCode.BadInput,
  RLS_DB_UNREACHABLE: ExitCode.RuntimeFailure,
};

export type Verb = 'sql' | 'apply' | 'sample' | 'verify' | 'drift' | 'audit';

/** What to do about a database error a new user meets first, by SQLSTATE and command. */
function hintFor(verb: Verb, code: string | undefined, message: string): string {
  if (code === '3F000' || code === '42P01') {
    return "; the spec's tables must exist before RLS can protect them: create them first (for the orders sample: apim-rls rls sample --db URL)";
  }
  if ((code === '22023' || code === '42704') && /role .* does not exist/.test(message) && verb !== 'apply') {
    return '; the spec has not been applied to this database: run apim-rls rls apply SPEC --db URL first';
  }
  if (verb === 'audit' && code === '42501') {
    return '; apim-rls audit reads as the auditor role: grant it to your login (GRANT apim_rls_auditor TO <login>) or name another with --role';
  }
  return '';
}

/** Runs a command body, turning library errors into CLI errors (message only, never a stack). */
export async function run(verb: Verb, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof RlsError) throw new CliError(err.message, exitFor[err.code], err.code);
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const message = typeof e.message === 'string' ? e.message : String(err);
    // apply and sample write in one transaction that is rolled back on error; verify and drift never write
    const outcome = verb === 'apply' || verb === 'sample' ? '; nothing was applied' : '';
    throw new CliError(`database error${code ? ` (${code})` : ''}: ${message}${outcome}${hintFor(verb, code, message)}`, ExitCode.RuntimeFailure, 'RLS_DB_ERROR');
  }
}

/** How a command opens its database: the environment it was given (for the PGlite cache folder) and whether the database must exist. */
export interface WithDatabaseOptions {
  env: CliEnv;
  existing?: boolean;
}

export async function withDatabase<T>(url: string, fn: (db: Database) => Promise<T>, options: WithDatabaseOptions): Promise<T> {
  const target = parseDatabaseUrl(url);
  let credential;
  if (target.kind === 'mssql') {
    // the CLI is an entry point: it may create the one shared credential (managed identity, az login, …)
    const { DefaultAzureCredential } = await import('@azure/identity');
    credential = new DefaultAzureCredential();
  }
  let db: Database;
  try {
    // a new PGlite cluster is loaded from the cached dump of a fresh initdb (APIM_RLS_PGLITE_CACHE, docs/local-stack.md)
    db = await openDatabase(url, { ...(credential ? { credential } : {}), pgliteCache: pgliteCacheDirFromEnv(options.env), ...(options.existing !== undefined ? { existing: options.existing } : {}) });
  } catch (err) {
    if (err instanceof RlsError && err.code === 'RLS_DB_UNREACHABLE' && target.kind === 'mssql') {
      throw new RlsError('RLS_DB_UNREACHABLE', `${err.message}\n(Azure SQL is reached with a managed identity: run this where one is available, e.g. in Azure or after az login)`);
    }
    throw err;
  }
  try {
    return await fn(db);
  } finally {
    await db.close().catch(() => undefined);
  }
}

function printChanges(changes: readonly CatalogChange[]): string {
  return changes
    .map((c) => {
      const lines = [`${c.kind.padEnd(10)} ${c.object}`];
      if (c.actual !== undefined) lines.push(`             actual:   ${c.actual}`);
      if (c.expected !== undefined) lines.push(`             expected: ${c.expected}`);
      return lines.join('\n');
    })
    .join('\n');
}

type Format = 'text' | 'json';
export function format(value: unknown): Format {
  if (value === 'text' || value === 'json') return value;
  throw new CliError(`--format must be text or json`, ExitCode.BadInput);
}

function emit(spec: RlsSpec, dialect: string, remove: boolean): string {
  if (dialect === 'postgres') return (remove ? emitPostgresRemove(spec) : emitPostgres(spec)).script;
  if (dialect === 'mssql') return (remove ? emitMssqlRemove(spec) : emitMssql(spec)).script;
  throw new CliError(`--dialect must be mssql or postgres`, ExitCode.BadInput);
}

/** Registers the `rls` command group. */
export function registerRls(program: Command, io: CommandIo): void {
  const rls = program.command('rls').description('row-level security: print, apply, verify and check drift of an RLS spec; create the sample').exitOverride();

  rls
    .command('sql')
    .description('print the SQL script for a spec')
    .argument('<spec>', 'spec file (.ts, .json, .yaml)')
    .requiredOption('--dialect <dialect>', 'mssql or postgres (required)')
    .option('--remove', 'print the matching remove script', false)
    .exitOverride()
    .action(async (specFile: string, opts: { dialect: string; remove: boolean }) =>
      run('sql', async () => {
        const spec = await loadSpec(specFile);
        io.stdout(emit(spec, opts.dialect, opts.remove));
      }),
    );

  rls
    .command('apply')
    .description('apply the spec to a database in one transaction')
    .argument('<spec>', 'spec file (.ts, .json, .yaml)')
    .requiredOption('--db <url>', 'postgres://…, pglite:DIR, pglite:memory, a directory, or mssql://SERVER/DATABASE')
    .option('--remove', 'apply the remove script instead', false)
    .option('--format <format>', 'text or json', 'text')
    .exitOverride()
    .action(async (specFile: string, opts: { db: string; remove: boolean; format: string }) =>
      run('apply', async () => {
        const fmt = format(opts.format);
        const spec = await loadSpec(specFile);
        const result = await withDatabase(opts.db, (db) => applySpec(db, spec, { remove: opts.remove }), { env: io.env });
        if (fmt === 'json') {
          io.stdout(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const where = redactUrl(opts.db);
        if (result.changes.length === 0) io.stdout(`${where}: already up to date, nothing changed\n`);
        else io.stdout(`${where}: applied ${result.changes.length} change(s)\n${printChanges(result.changes)}\n`);
      }),
    );

  rls
    .command('sample')
    .description("create the orders sample in a PostgreSQL database: its tables, seed data and the sample spec's RLS (re-runnable)")
    .requiredOption('--db <url>', 'postgres://…, pglite:DIR, pglite:memory or a directory')
    .exitOverride()
    .action(async (opts: { db: string }) =>
      run('sample', async () => {
        const target = parseDatabaseUrl(opts.db);
        if (target.kind === 'mssql') throw new CliError('rls sample supports PostgreSQL (a server or PGlite), not Azure SQL', ExitCode.BadInput);
        const { setupSampleDatabase } = await import('../../rls/sample/setup.js');
        await withDatabase(opts.db, (db) => setupSampleDatabase(db), { env: io.env });
        io.stdout(`${redactUrl(opts.db)}: the orders sample is in place (schema app, seed data, RLS from rls/sample/spec.ts)\n`);
      }),
    );

  rls
    .command('verify')
    .description('run verify cases as the application role and print a truth table (exit 1 on any mismatch)')
    .argument('<spec>', 'spec file (.ts, .json, .yaml)')
    .requiredOption('--db <url>', 'postgres://…, pglite:DIR, pglite:memory, a directory, or mssql://SERVER/DATABASE')
    .requiredOption('--cases <file>', 'cases file (.ts, .json, .yaml)')
    .option('--role <name>', 'application role to act as (default: the first in the spec)')
    .option('--no-hardening', 'skip the checks that the role cannot switch row security off')
    .option('--format <format>', 'text or json', 'text')
    .exitOverride()
    .action(async (specFile: string, opts: { db: string; cases: string; role?: string; hardening: boolean; format: string }) =>
      run('verify', async () => {
        const fmt = format(opts.format);
        const spec = await loadSpec(specFile);
        const cases = await loadCases(opts.cases);
        const report = await withDatabase(opts.db, (db) => verifySpec(db, spec, cases, { hardening: opts.hardening, ...(opts.role ? { role: opts.role } : {}) }), { env: io.env, existing: true });
        io.stdout(fmt === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatTruthTable(report));
        if (report.mismatches > 0) io.setExitCode(ExitCode.Findings);
      }),
    );

  rls
    .command('drift')
    .description('compare the database catalog with the spec (exit 1 on drift)')
    .argument('<spec>', 'spec file (.ts, .json, .yaml)')
    .requiredOption('--db <url>', 'postgres://…, pglite:DIR, pglite:memory, a directory, or mssql://SERVER/DATABASE')
    .option('--format <format>', 'text or json', 'text')
    .exitOverride()
    .action(async (specFile: string, opts: { db: string; format: string }) =>
      run('drift', async () => {
        const fmt = format(opts.format);
        const spec = await loadSpec(specFile);
        const changes = await withDatabase(opts.db, (db) => driftSpec(db, spec), { env: io.env, existing: true });
        if (fmt === 'json') io.stdout(`${JSON.stringify({ drift: changes }, null, 2)}\n`);
        else if (changes.length === 0) io.stdout('no drift: the catalog matches the spec\n');
        else io.stdout(`${changes.length} difference(s) between the catalog and the spec:\n${printChanges(changes)}\n`);
        if (changes.length > 0) io.setExitCode(ExitCode.Findings);
      }),
    );
}
