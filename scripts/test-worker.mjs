// A test worker of scripts/run-tests.mjs: a process that takes test files from a queue one at a time
// and runs each in a suite of its own, named by its path, until the queue is empty. Node's test
// runner loads it (`node --import tsx --test worker-N.mjs`, a two-line entry that calls
// runQueue), so every test is reported and counted as if its file had run alone; a file's
// top-level before/after hooks belong to its suite, and the next file starts only when the
// previous one has finished (docs/testing.md).
//
// A queue is a folder of tickets: `todo/NNNN` holds a file's path (from the project root, the
// worker's working folder); a worker claims one by renaming it into `running/` (rename is atomic:
// two workers never get the same file), and when the file's suite has ended writes `done/NNNN`
// and removes the claim. The runner prints each done file, and fails the run if any is left.
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';

function claim(queue) {
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

/**
 * Runs the files of `queue` until none is left, each bounded by `fileTimeoutMs` (its tests are
 * cancelled and the suite fails when it is reached; the worker goes on with the next file). A
 * worker still alive `exitGraceMs` after its last file ends itself with a failure: something a
 * file opened is still open.
 */
export async function runQueue(queue, { fileTimeoutMs, exitGraceMs }) {
  for (let next = claim(queue); next; next = claim(queue)) {
    const { ticket, file } = next;
    const started = performance.now();
    await describe(file, { timeout: fileTimeoutMs }, async () => {
      try {
        await import(pathToFileURL(resolve(file)).href);
      } catch (err) {
        // a file that does not load is a failing test, counted in the summary (a failed suite is not)
        test('loads', () => {
          throw err;
        });
      }
    }).catch(() => {}); // a failed suite is in the report already; the worker goes on
    writeFileSync(join(queue, 'done', ticket), JSON.stringify({ file, ms: Math.round(performance.now() - started) }));
    rmSync(join(queue, 'running', ticket));
  }
  // Run alone, a file that leaves a timer, socket or server open never ends, and fails at its
  // timeout; here the worker would wait for it after its last file. Fail it, saying what is open.
  setTimeout(() => {
    process.stderr.write(
      `test worker: still running ${exitGraceMs / 1000} s after its last file; open: ${process.getActiveResourcesInfo().join(', ')}. ` +
        'A file left something open; APIM_RLS_TEST_ISOLATE=1 npm test runs each file alone to find which.\n',
    );
    process.exit(1);
  }, exitGraceMs).unref();
}
