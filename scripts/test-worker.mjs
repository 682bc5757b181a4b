// One test worker of scripts/run-tests.mjs: a process that takes test files from the run's queue
// one at a time and runs each in a suite of its own, named by its path, until the queue is empty.
// Loaded by Node's test runner (`node --import tsx --test worker-N.mjs`), so every test is reported
// and counted as if its file had run alone; a file's top-level before/after hooks belong to its
// suite, and the next file starts only when the previous one has finished (docs/testing.md).
//
// The queue is a folder of tickets (APIM_RLS_TEST_QUEUE): `todo/NNNN` holds a file's path (from the
// project root, the worker's working folder); a
// worker claims one by renaming it into `running/` (rename is atomic: two workers never get the
// same file), and writes `done/NNNN` when its suite has ended (the runner checks every file got
// there and prints each as it does).
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';

const queue = process.env.APIM_RLS_TEST_QUEUE;
if (!queue) throw new Error('APIM_RLS_TEST_QUEUE is not set: run the tests with `npm test`');

function claim() {
  for (const ticket of readdirSync(join(queue, 'todo')).sort()) {
    try {
      renameSync(join(queue, 'todo', ticket), join(queue, 'running', ticket));
    } catch (err) {
      if (err.code === 'ENOENT') continue; // another worker took it first
      throw err;
    }
    return { ticket, file: readFileSync(join(queue, 'running', ticket), 'utf8') };
  }
  return null;
}

for (let next = claim(); next; next = claim()) {
  const { ticket, file } = next;
  const started = performance.now();
  let failed = false;
  await describe(file, async () => {
    try {
      await import(pathToFileURL(resolve(file)).href);
    } catch (err) {
      // a file that does not load is a failing test, counted in the summary (a failed suite is not)
      failed = true;
      test('loads', () => {
        throw err;
      });
    }
  }).catch(() => {
    failed = true;
  });
  const ms = Math.round(performance.now() - started);
  writeFileSync(join(queue, 'done', ticket), JSON.stringify({ file, ms, failed }));
  rmSync(join(queue, 'running', ticket));
}
