import type { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError, ExitCode } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { pgliteCacheDirFromEnv } from '../../rls/db/pglite-cluster.js';
import { takePidLock, type PidLock } from '../../rls/db/pid-lock.js';
import { defaultPorts } from '../../local/ports.js';
import type { Stack, StackOptions } from '../../local/stack.js';
import { jsonLineLog, type GatewayLogEntry } from '../../local/gateway/log.js';
import { sql, text } from '../../functions/session/statement.js';

interface StartFlags {
  gatewayPort: string;
  issuerPort: string;
  functionsPort: string;
  dataDir?: string;
  issuerDir?: string;
  gracePeriod?: string;
}

function port(value: string, flag: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new CliError(`${flag} must be a port number between 0 and 65535 (0 = any free port)`, ExitCode.BadInput);
  return Number(value);
}

/**
 * The path a data folder is known by, links resolved: `start --data-dir A` and `--data-dir L`
 * (L a symlink to A) must take the same lock, as PGlite opens the folder the link points to
 * (rls/db/pglite-cluster.ts). A folder not made yet: its nearest existing parent resolved.
 */
export function canonicalDataDir(dataDir: string): string {
  const rest: string[] = [];
  let dir = resolve(dataDir);
  for (;;) {
    try {
      return join(realpathSync(dir), ...rest.reverse());
    } catch (err) {
      const parent = dirname(dir);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw err;
      rest.push(basename(dir));
      dir = parent;
    }
  }
}

/**
 * Takes `DIR.lock` beside a PGlite data folder (DIR with links resolved), holding this process's
 * id (rls/db/pid-lock.ts), so a second `start --data-dir DIR` refuses instead of opening a database
 * another process has open. A lock whose process is gone is taken over; a lock that is not a
 * regular file of this user's (a link, a FIFO, another user's file) is refused, never read.
 * Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = `${canonicalDataDir(dataDir)}.lock`;
  let lock: PidLock;
  try {
    lock = takePidLock(path);
  } catch (err) {
    throw new CliError(`cannot lock ${dataDir}: ${(err as Error).message}`, ExitCode.RuntimeFailure);
  }
  switch (lock.kind) {
    case 'taken':
      return lock.release;
    case 'held':
      throw new CliError(`${dataDir} is in use by another apim-rls start (pid ${lock.pid}); stop it, or choose another --data-dir`, ExitCode.RuntimeFailure);
    case 'foreign':
      throw new CliError(`cannot lock ${dataDir}: ${path} is not a lock file of this user's (a link, a FIFO or another user's file); remove it if no apim-rls start uses ${dataDir}`, ExitCode.RuntimeFailure);
    case 'contested':
      throw new CliError(`cannot lock ${dataDir}: ${path} keeps coming back`, ExitCode.RuntimeFailure);
  }
}

/**
 * After a write the gateway let through (POST/PATCH/DELETE answered 2xx), the audit rows that
 * request wrote, read back by its request id as the embedded database's owner: one JSON line
 * (`type: apim-rls.audit-rows`) beside the gateway's line and the function's audit line, all three
 * with the same request id and trace id. Table, operation, row key, identity and ids only (no roles).
 * Returns null for any other line, or when the database has no audit trail.
 */
export async function auditRowsLine(stack: Pick<Stack, 'functions'>, entry: GatewayLogEntry): Promise<string | null> {
  if (!['POST', 'PATCH', 'PUT', 'DELETE'].includes(entry.Method) || entry.ResponseCode < 200 || entry.ResponseCode >= 300) return null;
  try {
    const r = await stack.functions.runtime.deps.session.runWithoutIdentity(
      sql`select request_id, trace_id, tenant_id, user_oid, table_schema, table_name, operation, row_key from audit.row_changes where request_id = ${text(entry.CorrelationId)} order by audit_id`,
    );
    return JSON.stringify({ type: 'apim-rls.audit-rows', requestId: entry.CorrelationId, traceId: entry.TraceId, rows: r.rows });
  } catch {
    return null; // no audit trail in this database
  }
}

/** What `npm start` prints once everything listens: the URLs and a ready-to-copy request. */
export function describeStack(stack: Stack): string {
  const lines = ['apim-rls local stack is running:'];
  for (const part of stack.parts) lines.push(`  ${part.name.padEnd(10)} ${part.url}`);
  lines.push('');
  const issuerFlag = stack.issuer.url === `http://127.0.0.1:${defaultPorts.issuer}` ? '' : ` --issuer-url ${stack.issuer.issuer}`;
  const gateway = stack.parts.find((p) => p.name === 'gateway');
  lines.push('Try it:');
  lines.push(`  TOKEN=$(npx apim-rls token --sub alice --tid contoso --roles Orders.Read${issuerFlag})`);
  if (gateway) {
    lines.push(`  curl -H "Authorization: Bearer $TOKEN" ${gateway.url}/orders`);
    lines.push(`  curl -H "Authorization: Bearer $TOKEN" ${gateway.url}/me`);
    lines.push('');
    lines.push('Follow one request (gateway line, audit line and audit rows share its request id and trace id):');
    lines.push(`  WTOKEN=$(npx apim-rls token --sub alice --tid contoso --roles Orders.Read,Orders.Write${issuerFlag})`);
    lines.push(
      `  curl -H "Authorization: Bearer $WTOKEN" -H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" -H "content-type: application/json" -d '{"item":"widget","quantity":1}' ${gateway.url}/orders`,
    );
  } else {
    lines.push(`  curl ${stack.issuer.discoveryUrl}`);
    lines.push('  (the gateway is not part of this build yet: the Functions host accepts only its managed-identity proof)');
  }
  lines.push('', 'Ctrl-C stops everything. (Requests in flight finish first; a second Ctrl-C stops at once.)');
  return lines.join('\n') + '\n';
}

/** Registers `apim-rls start` (`npm start`): the local stack until Ctrl-C / SIGTERM. */
export function registerStart(program: Command, io: CommandIo): void {
  program
    .command('start')
    .description('run the local stack: OpenID issuer, Functions host on the embedded database, gateway')
    .option('--gateway-port <port>', 'gateway port', String(defaultPorts.gateway))
    .option('--issuer-port <port>', 'OpenID issuer port', String(defaultPorts.issuer))
    .option('--functions-port <port>', 'Functions host port', String(defaultPorts.functions))
    .option('--data-dir <dir>', 'PGlite data folder (default: in memory, fresh sample data on every start)')
    .option('--issuer-dir <dir>', 'key folder of the OpenID issuer (default .dev/issuer in the project)')
    .option('--grace-period <seconds>', "on Ctrl-C / SIGTERM, how long requests in flight may take to finish (default host.json's functionTimeout)")
    .exitOverride()
    .action(async (flags: StartFlags) => {
      const options: StackOptions = {
        gatewayPort: port(flags.gatewayPort, '--gateway-port'),
        issuerPort: port(flags.issuerPort, '--issuer-port'),
        functionsPort: port(flags.functionsPort, '--functions-port'),
      };
      // one JSON line per gateway request (request id, trace id, operation, status, duration; a refusal's LastError),
      // and after a write, the audit rows it wrote
      const running: { stack?: Stack } = {};
      const writeLine = jsonLineLog((line) => io.stdout(line + '\n'));
      options.gatewayLog = (entry) => {
        writeLine(entry);
        if (running.stack) void auditRowsLine(running.stack, entry).then((line) => line !== null && io.stdout(line + '\n'));
      };
      if (flags.dataDir !== undefined) options.dataDir = resolve(flags.dataDir);
      // the embedded database starts from the cached dump of a fresh initdb (APIM_RLS_PGLITE_CACHE, docs/local-stack.md)
      options.pgliteCache = pgliteCacheDirFromEnv(io.env);
      if (flags.issuerDir !== undefined) options.issuerKeyDir = resolve(flags.issuerDir);
      let graceInMs: number | undefined;
      if (flags.gracePeriod !== undefined) {
        if (!/^\d{1,4}(\.\d{1,3})?$/.test(flags.gracePeriod)) throw new CliError('--grace-period must be a number of seconds (0–9999)', ExitCode.BadInput);
        graceInMs = Math.round(Number(flags.gracePeriod) * 1000);
      }
      const unlock = options.dataDir !== undefined ? lockDataDir(options.dataDir) : () => undefined;
      // Ctrl-C / SIGTERM are taken from here on, also while starting (the lock is then released)
      let stopRequested = false;
      let wake: (() => void) | undefined;
      const stop = () => {
        stopRequested = true;
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        // a second signal while draining stops at once (128 + the signal number, as a shell reports it)
        process.once('SIGINT', () => process.exit(130));
        process.once('SIGTERM', () => process.exit(143));
        wake?.();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const release = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        unlock();
      };
      // the embedded database and the sample take a few seconds: say so before the banner
      io.stdout(
        `starting the local stack: OpenID issuer, Functions host on embedded PostgreSQL (${options.dataDir ?? 'in memory'}, with the orders sample), gateway...\n`,
      );
      let stack: Stack;
      try {
        // loaded once the flags are checked and the folder is locked: a refused start loads no
        // database, emulator or driver (about a second of CPU; test/local/stack/start-command.test.ts)
        const { startStack } = await import('../../local/stack.js');
        stack = await startStack(options);
      } catch (err) {
        release();
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new CliError(`a port is already in use (${e.message.replace(/^.*EADDRINUSE:?\s*/, '')}); choose another with --gateway-port / --issuer-port / --functions-port`, ExitCode.RuntimeFailure);
        // PGlite's file-system errors are plain objects ({ name: 'ErrnoError', errno }), not Errors
        throw new CliError(`the local stack could not start: ${err instanceof Error ? err.message : JSON.stringify(err)}`, ExitCode.RuntimeFailure);
      }
      running.stack = stack;
      if (!stopRequested) {
        io.stdout(describeStack(stack));
        await new Promise<void>((done) => {
          wake = done;
          if (stopRequested) done();
        });
      }
      io.stdout('stopping: no new connections; finishing the requests in flight...\n');
      try {
        const { cutOff } = await stack.close(graceInMs);
        const lost = cutOff.gateway + cutOff.functions + cutOff.issuer;
        io.stdout(lost === 0 ? 'stopped.\n' : `stopped: the grace period ended with ${lost} request(s) unanswered (connections closed).\n`);
      } finally {
        unlock();
      }
    });
}
