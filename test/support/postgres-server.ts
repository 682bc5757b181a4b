/**
 * A private PostgreSQL server for tests: initdb in a temporary folder, started on a free
 * loopback port, stopped and removed afterwards. Never depends on a server started by hand.
 * The server refuses to run as root, so when the tests run as root it runs as `postgres`.
 *
 * Where no PostgreSQL server binaries exist, `startPostgresServer()` returns null outside CI
 * (the test skips and says why) and throws in CI (`.ci/run` installs the Debian package).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` — the superuser; tests must SET ROLE to app roles. */
  url: string;
  port: number;
  stop(): Promise<void>;
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
  // a port can be taken between the probe and the start; try a few
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      run(join(bin, 'pg_ctl'), [
        '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start',
        '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`,
      ]);
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError) throw lastError;
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
