/**
 * A private PostgreSQL server for tests: initdb in a temporary folder, started on a free
 * loopback port, stopped and removed afterwards. Never depends on a server started by hand.
 * The server refuses to run as root, so when the tests run as root it runs as `postgres`.
 *
 * Where no PostgreSQL server binaries exist, `startPostgresServer()` returns null outside CI
 * (the test skips and says why) and throws in CI (`.ci/run` installs the Debian package).
 */
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

export async function startPostgresServer(): Promise<PostgresServer | null> {
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
  const options = (p: number) => `-p ${p} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`;
  const ctlStart = (p: number) => ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start', '-o', options(p)];
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
