#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's built-in test runner (TypeScript through tsx).
// Node 20's runner does not expand globs itself, so the files are listed here.
// Usage: npm test [-- path/or/filter ...]  (arguments narrow the set by substring)
//
// One PostgreSQL server serves the whole run (docs/testing.md): started here when a selected
// file needs one, its superuser URL handed to every file in APIM_RLS_TEST_POSTGRES_URL, stopped
// when the run ends. Each file makes its own database on it (test/support/postgres-server.ts).
// Node 20 has no --test-global-setup (Node 24 does), hence the server is started here.
// Likewise one initdb for every new PGlite cluster of the run, in the test files and in the CLIs
// they spawn: APIM_RLS_PGLITE_CACHE names one cache folder for the run, where the first new
// cluster leaves the dump of a fresh initdb and the others load it (rls/db/pglite-cluster.ts).
//
// Environment: APIM_RLS_TEST_CONCURRENCY (files at once; default: the cores (at least 2) plus one),
// APIM_RLS_TEST_TIMEOUT_MS (default 600000). Node 20's --test-timeout bounds each file as a whole
// (the runner treats a file as one test; measured) as well as every test in it, so it is a bound
// for the slowest file on a loaded machine: a hung test fails the run instead of hanging CI.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { tsImport } from 'tsx/esm/api';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = walk(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// the server is started when a selected file imports a helper that uses it (a file the pattern
// misses still works: it starts a private server of its own)
const usesServer = /\/(postgres-server|backends|sample-backends)\.js'/;
const needsServer = files.some((f) => usesServer.test(readFileSync(join(root, f), 'utf8')));

// one more file than cores: most heavy files wait on a spawned process, a server or a timer part of
// the time (measured on 2 vCPUs, runs back to back: 226 s at 2 files at once, 207 s at 3; docs/testing.md)
const concurrency = Number(process.env.APIM_RLS_TEST_CONCURRENCY ?? Math.max(2, availableParallelism()) + 1);
const timeout = Number(process.env.APIM_RLS_TEST_TIMEOUT_MS ?? 600_000);

let server = null;
const env = { ...process.env };
if (needsServer && !env.APIM_RLS_TEST_POSTGRES_URL) {
  const { startSharedPostgresServer } = await tsImport('../test/support/postgres-server.ts', import.meta.url);
  server = await startSharedPostgresServer();
  if (server) env.APIM_RLS_TEST_POSTGRES_URL = server.url;
}

const scratch = mkdtempSync(join(tmpdir(), 'apim-rls-test-run-'));
env.APIM_RLS_PGLITE_CACHE ||= join(scratch, 'pglite-cache');

const stopServer = () => {
  // stop() is synchronous inside (pg_ctl through spawnSync): safe in 'exit' too
  if (server) void server.stop();
  server = null;
  rmSync(scratch, { recursive: true, force: true });
};
process.on('exit', stopServer);

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeout}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env },
);
// Ctrl-C reaches the child through the terminal's process group; wait for it, then stop the server
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
child.on('exit', (code) => {
  stopServer();
  process.exit(code ?? 1);
});
