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
// Environment (docs/testing.md): APIM_RLS_TEST_CONCURRENCY (worker processes; default: the cores,
// at least 2, plus one), APIM_RLS_TEST_TIMEOUT_MS (a file's bound, default 600000: a bound for the slowest
// file on a loaded machine, so that a hung test fails the run instead of hanging CI),
// APIM_RLS_TEST_ISOLATE, APIM_RLS_TEST_SHUFFLE, APIM_RLS_TEST_DURATIONS, APIM_RLS_TEST_DIR,
// APIM_RLS_TEST_EXIT_GRACE_MS (below).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { clearInterval, setInterval } from 'node:timers';
import { tsImport } from 'tsx/esm/api';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

// APIM_RLS_TEST_DIR: another folder to run (the runner's own tests run it on test/fixtures/runner);
// fixtures folders are never walked into
const testDir = join(root, process.env.APIM_RLS_TEST_DIR ?? 'test');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' || dir !== join(root, 'test')) out.push(...walk(p));
    }
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = walk(testDir)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// the server is started when a selected file imports a helper that uses it (a file the pattern
// misses still works: it starts a private server of its own)
const usesServer = /\/(postgres-server|backends|sample-backends)\.js'/;
const sources = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
const needsServer = files.some((f) => usesServer.test(sources.get(f)));

/** A positive whole number from the environment, or the default; anything else ends the run (NaN would switch a bound off). */
function positiveInteger(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[1-9][0-9]*$/.test(text)) {
    console.error(`${name} must be a positive whole number, not ${JSON.stringify(text)}`);
    process.exit(1);
  }
  return Number(text);
}

// one worker more than cores (at least 2 cores counted): some files wait on a timer, a spawned
// process or the server part of the time. On 2 vCPUs, runs back to back: 117–119 s at 2 workers,
// 110–113 s at 3, the same CPU (docs/testing.md)
const concurrency = positiveInteger('APIM_RLS_TEST_CONCURRENCY', Math.max(2, availableParallelism()) + 1);
const timeout = positiveInteger('APIM_RLS_TEST_TIMEOUT_MS', 600_000);
// a worker runs its share of the suite, 30 minutes at most (a file that hangs is cancelled at its
// own bound and the worker goes on; this bounds what is left: a test that blocks the event loop)
const workerTimeout = Math.max(timeout, 30 * 60_000);
// how long a worker may live on after its last file (it then fails: a file left something open)
const exitGraceMs = positiveInteger('APIM_RLS_TEST_EXIT_GRACE_MS', 30_000);

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

// Files run in worker processes that take them from a queue (scripts/test-worker.mjs), each file in
// a suite of its own: node and tsx start once per worker instead of once per file (0.3–0.5 s of
// CPU each; docs/testing.md). A file that changes its process for good (registers a global SDK,
// say) starts with the line `// npm test: own process` and runs alone, beside the workers.
// APIM_RLS_TEST_ISOLATE=1 runs every file in a worker process of its own (still in its suite).
const isolate = process.env.APIM_RLS_TEST_ISOLATE === '1';
const ownProcess = /^\/\/ npm test: own process\b/m;
const alone = isolate ? files : files.filter((f) => ownProcess.test(sources.get(f)));
const pooled = files.filter((f) => !alone.includes(f));

// The slowest files first, so that the run does not end waiting for one (test/durations.json: each
// file's wall time in its worker, from a whole run; `APIM_RLS_TEST_DURATIONS=write npm test`
// updates it). A file not listed there is taken as slow: it starts first.
const durationsFile = join(root, 'test', 'durations.json');
const durations = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {};
const queued = [...pooled].sort((a, b) => (durations[b] ?? Infinity) - (durations[a] ?? Infinity) || a.localeCompare(b));

// APIM_RLS_TEST_SHUFFLE=SEED takes the files in a random order (the same for the same seed), so
// that a file which passes only after, or only without, another in its worker shows up.
const seed = process.env.APIM_RLS_TEST_SHUFFLE;
if (seed) {
  let state = [...seed].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = queued.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [queued[i], queued[j]] = [queued[j], queued[i]];
  }
  process.stderr.write(`files in a random order: APIM_RLS_TEST_SHUFFLE=${seed}\n`);
}

// A queue for the workers to share, and one of its own for each file that runs alone
const workerModule = pathToFileURL(join(root, 'scripts', 'test-worker.mjs')).href;
const queues = [];
function makeQueue(name, queueFiles) {
  const queue = join(scratch, name);
  for (const d of ['todo', 'running', 'done']) mkdirSync(join(queue, d), { recursive: true });
  queueFiles.forEach((f, i) => writeFileSync(join(queue, 'todo', String(i).padStart(4, '0')), f));
  queues.push(queue);
  return queue;
}
function workerEntry(name, queue) {
  const entry = join(scratch, `${name}.mjs`);
  writeFileSync(entry, `import { runQueue } from ${JSON.stringify(workerModule)};\nawait runQueue(${JSON.stringify(queue)}, ${JSON.stringify({ fileTimeoutMs: timeout, exitGraceMs })});\n`);
  return entry;
}
const entries = alone.map((f, i) => workerEntry(`alone-${i + 1}`, makeQueue(`alone-${i + 1}`, [f])));
if (queued.length > 0) {
  const pool = makeQueue('pool', queued);
  for (let i = 1; i <= Math.min(concurrency, queued.length); i++) entries.push(workerEntry(`worker-${i}`, pool));
}

const child = spawn(
  process.execPath,
  [
    '--import', 'tsx', '--test',
    // the files that run alone do not take a worker's place (with APIM_RLS_TEST_ISOLATE, all do)
    `--test-concurrency=${isolate ? concurrency : entries.length}`,
    // each file is bounded by the timeout inside its worker; a worker as a whole by this
    `--test-timeout=${workerTimeout}`, '--test-reporter=spec',
    ...entries,
  ],
  { cwd: root, stdio: 'inherit', env },
);

// Node 20's reporter shows a worker's results when the worker ends: say which files are done meanwhile
const done = new Map();
function progress() {
  for (const queue of queues) {
    for (const ticket of readdirSync(join(queue, 'done')).sort()) {
      const key = join(queue, ticket);
      if (done.has(key)) continue;
      const { file, ms } = JSON.parse(readFileSync(join(queue, 'done', ticket), 'utf8'));
      done.set(key, { file, ms });
      process.stderr.write(`  done ${file} (${(ms / 1000).toFixed(1)} s) [${done.size}/${files.length}]\n`);
    }
  }
}
const ticker = setInterval(progress, 1000);

/** Files no worker finished: it crashed in one, or every worker ended before the queue did. */
function unfinished() {
  const left = [];
  for (const queue of queues) {
    for (const [d, why] of [['todo', 'not started'], ['running', 'did not finish']]) {
      for (const t of readdirSync(join(queue, d))) left.push(`${readFileSync(join(queue, d, t), 'utf8')} (${why})`);
    }
  }
  return left;
}

function storeDurations() {
  if (process.env.APIM_RLS_TEST_DURATIONS !== 'write') return;
  const all = { ...durations };
  for (const { file, ms } of done.values()) all[file] = ms;
  const sorted = Object.fromEntries(Object.entries(all).filter(([f]) => existsSync(join(root, f))).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(durationsFile, `${JSON.stringify(sorted, null, 2)}\n`);
  process.stderr.write(`durations of ${done.size} files written to ${relative(root, durationsFile)}\n`);
}

// Ctrl-C reaches the child through the terminal's process group; wait for it, then stop the server
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
child.on('exit', (code) => {
  clearInterval(ticker);
  progress();
  const left = unfinished();
  for (const f of left) process.stderr.write(`not run to the end: ${f}\n`);
  if (left.length === 0 && code === 0) storeDurations();
  stopServer();
  process.exit(left.length > 0 ? 1 : (code ?? 1));
});
