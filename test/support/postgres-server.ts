/**
 * PostgreSQL servers for tests (docs/testing.md).
 *
 * `createTestDatabase()` is what a test file normally wants: a fresh database of its own, on the
 * run's shared server when `npm test` started one (its superuser URL in the environment variable
 * APIM_RLS_TEST_POSTGRES_URL), else on a private server started once for this process (a file run
 * alone: `node --import tsx --test one.test.ts`). The test drops it at the end.
 *
 * `startPostgresServer()` starts a private server: initdb in a temporary folder, started on a free
 * loopback port, stopped and removed afterwards. Never depends on a server started by hand. A test
 * that stops and starts its server (an outage) must use a private one, never the shared one.
 * The server refuses to run as root, so when the tests run as root it runs as `postgres`.
 *
 * Where no PostgreSQL server binaries exist, both return null outside CI (the test skips and
 * says why) and throw in CI (`.ci/run` installs the Debian package).
 */
import { randomBytes } from 'node:crypto';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` — the superuser; tests must SET ROLE to app roles. */
  url: string;
  port: number;
  /** stops the server for good and removes its data folder */
  stop(): Promise<void>;
  /**
   * Stops the server but keeps its data (an outage): `fast` (the default) ends every session with
   * 57P01 as `pg_ctl stop -m fast` does; `immediate` is a crash stop. Waits for the stop; never
   * blocks the event loop (requests in flight keep being served meanwhile).
   */
  stopServer(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** Starts the stopped server again on the same port and data (the outage ends). */
  startServer(): Promise<void>;
}

export const postgresUnavailableReason = 'PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package "postgresql"';

function findBinDir(): string | null {
  const fromPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  const candidates: string[] = [];
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  for (const dir of candidates) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  if (fromPath) {
    const dir = fromPath.replace(/\/pg_ctl$/, '');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** `max_connections` (default 50; the run's shared server serves several files at once) */
  maxConnections?: number;
}

export async function startPostgresServer(options: StartOptions = {}): Promise<PostgresServer | null> {
  const bin = findBinDir();
  if (!bin) {
    if (process.env.CI) throw new Error(postgresUnavailableReason);
    return null;
  }
  const isRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'apim-rls-pg-'));
  const data = join(dir, 'data');
  let uid = -1;
  let gid = -1;
  if (isRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (file: string, args: string[]) => {
    const r = spawnSync(file, args, { encoding: 'utf8', uid: isRoot ? uid : undefined, gid: isRoot ? gid : undefined, cwd: dir });
    if (r.status !== 0) throw new Error(`${file} failed: ${r.stderr || r.stdout}`);
  };
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const serverOptions = (p: number) => `-p ${p} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=${options.maxConnections ?? 50}`;
  const ctlStart = (p: number) => ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start', '-o', serverOptions(p)];
  // a port can be taken between the probe and the start; try a few
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      run(join(bin, 'pg_ctl'), ctlStart(port));
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError) throw lastError;
  // pg_ctl without blocking the event loop (the outage tests keep serving requests meanwhile)
  const runAsync = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      execFile(join(bin, 'pg_ctl'), args, { encoding: 'utf8', cwd: dir, ...(isRoot ? { uid, gid } : {}) }, (err, stdout, stderr) => {
        if (err) reject(new Error(`pg_ctl ${args.join(' ')} failed: ${stderr || stdout || err.message}`));
        else resolve();
      });
    });
  let stopped = false;
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stopServer(mode = 'fast') {
      if (stopped || !running) return;
      await runAsync(['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async startServer() {
      if (stopped) throw new Error('the server was stopped for good');
      if (running) return;
      await runAsync(ctlStart(port));
      running = true;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (running) run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** One query on a fresh superuser connection, closed after it (survives a server stopped in between). */
export async function adminQuery(url: string, text: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

/** The environment variable through which `npm test` hands every test file the shared server's superuser URL. */
export const sharedServerUrlEnv = 'APIM_RLS_TEST_POSTGRES_URL';

/** The same server, another database. */
export function databaseUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

let privateServer: Promise<PostgresServer | null> | undefined;

/** The run's shared server, else one private server for this process (stopped when the process exits). */
async function serverForDatabases(): Promise<string | null> {
  const shared = process.env[sharedServerUrlEnv];
  if (shared) return shared;
  privateServer ??= startPostgresServer().then((s) => {
    // stop() runs synchronously (pg_ctl through spawnSync), so it completes inside 'exit'
    if (s) process.once('exit', () => void s.stop());
    return s;
  });
  return (await privateServer)?.url ?? null;
}

export interface TestDatabase {
  /** the superuser's URL for this database (`postgres://postgres@127.0.0.1:PORT/NAME`) */
  url: string;
  name: string;
  /** drops the database, ending whatever sessions are still on it; idempotent */
  drop(): Promise<void>;
}

/**
 * A fresh, empty database of its own (see the top of this file), or null where no server
 * binaries exist (outside CI). Cluster-wide objects (roles) are shared with the other files of
 * the run: create them idempotently, and never drop one another file may use.
 */
export async function createTestDatabase(): Promise<TestDatabase | null> {
  const server = await serverForDatabases();
  if (!server) return null;
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(server, `create database ${name}`);
  let dropped = false;
  return {
    url: databaseUrl(server, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(server, `drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * The run's shared server (scripts/run-tests.mjs starts it before the files and stops it after).
 * The orders sample's roles are created here once, and kept: roles are cluster-wide, so two files
 * applying the sample at once would both find a role missing and both CREATE it (the second fails
 * with 23505), and a file testing the remove script would drop a role another file is using. The
 * `test_keep` schema holds a privilege for each, so a remove script's DROP ROLE keeps it
 * (2BP01 dependent_objects_still_exist, which the remove script reports and tolerates).
 */
export async function startSharedPostgresServer(): Promise<PostgresServer | null> {
  const server = await startPostgresServer({ maxConnections: 200 });
  if (!server) return null;
  const { ordersSpec } = await import('../../rls/sample/spec.js');
  const roles = [...ordersSpec.applicationRoles.map((r) => r.name), ordersSpec.policyManager.name];
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query('create schema test_keep');
    for (const role of roles) {
      const id = c.escapeIdentifier(role);
      await c.query(`create role ${id} nologin nobypassrls`);
      await c.query(`grant usage on schema test_keep to ${id}`);
    }
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    await c.end();
  }
  return server;
}
