/**
 * `apim-rls audit --db URL --request-id ID` (or `--trace-id`, `--oid`, `--since`; they combine):
 * the audit rows of one API call, read as the auditor role, as a table or `--format json`.
 * Exit codes as `rls` (docs/rls.md): 0 ok (also when no row matches), 2 bad input, 3 database error.
 */
import type { Command } from 'commander';
import { checkAuditQuery, findAuditRows, formatAuditTable, type AuditQuery } from '../../rls/audit/find.js';
import { loadSpec } from '../../rls/spec/load.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { format, run, withDatabase } from './rls.js';

interface AuditOptions {
  db: string;
  requestId?: string;
  traceId?: string;
  oid?: string;
  since?: string;
  limit: string;
  spec?: string;
  role?: string;
  format: string;
}

export const defaultAuditLimit = 100;

function limitOf(value: string): number {
  if (!/^\d{1,6}$/.test(value)) throw new CliError('--limit must be a positive integer', ExitCode.BadInput);
  return Number(value);
}

function sinceOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  // a date and time with a zone, or a date (midnight UTC): nothing the local zone could shift
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) {
    throw new CliError('--since must be an ISO 8601 date or date-time with a zone, e.g. 2026-01-31 or 2026-01-31T12:00:00Z', ExitCode.BadInput);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new CliError(`--since ${value} is not a valid date`, ExitCode.BadInput);
  return d;
}

export function registerAudit(program: Command, io: CommandIo): void {
  program
    .command('audit')
    .description("print the database audit rows of one request (or trace, caller, time window), read as the auditor role")
    .requiredOption('--db <url>', 'postgres://…, pglite:DIR, pglite:memory, a directory, or mssql://SERVER/DATABASE')
    .option('--request-id <id>', 'the request id (x-request-id) of the API call')
    .option('--trace-id <id>', 'the W3C trace id (32 hex digits) of the API call')
    .option('--oid <oid>', "the caller's object id")
    .option('--since <time>', 'rows at or after this time (ISO 8601)')
    .option('--limit <n>', `print at most this many rows (1..10000)`, String(defaultAuditLimit))
    .option('--spec <file>', 'the RLS spec: where the audit table is and the auditor role (default audit.row_changes, apim_rls_auditor)')
    .option('--role <name>', 'PostgreSQL: the role to read as (default: the spec\'s auditor)')
    .option('--format <format>', 'text or json', 'text')
    .exitOverride()
    .action(async (opts: AuditOptions) =>
      run('audit', async () => {
        const fmt = format(opts.format);
        const spec = opts.spec ? await loadSpec(opts.spec) : undefined;
        if (opts.spec && !spec?.audit) throw new CliError(`${opts.spec} declares no audit trail`, ExitCode.BadInput);
        const query: AuditQuery = {
          limit: limitOf(opts.limit),
          schema: spec?.audit?.schema ?? 'audit',
          table: spec?.audit?.table ?? 'row_changes',
          auditor: opts.role ?? spec?.audit?.auditor ?? 'apim_rls_auditor',
          ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
          ...(opts.traceId !== undefined ? { traceId: opts.traceId } : {}),
          ...(opts.oid !== undefined ? { oid: opts.oid } : {}),
        };
        const since = sinceOf(opts.since);
        if (since) query.since = since;
        // bad input is refused before the database is opened
        checkAuditQuery(query);
        const result = await withDatabase(opts.db, (db) => findAuditRows(db, query), { env: io.env, existing: true });
        io.stdout(fmt === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatAuditTable(result));
      }),
    );
}
