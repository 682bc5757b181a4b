/**
 * `npm test`'s runner (scripts/run-tests.mjs, scripts/test-worker.mjs) on the fixture files of
 * test/fixtures/runner: files share a worker process one after another, each in a suite of its
 * own; a file that does not load, or that ends its worker, fails the run; a file marked
 * `// npm test: own process` runs alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

async function runner(filters: string[], settings: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const env: Record<string, string | undefined> = { ...process.env, APIM_RLS_TEST_DIR: 'test/fixtures/runner', APIM_RLS_TEST_CONCURRENCY: '1', ...settings };
  // the outer run's settings that would change the order or write test/durations.json, and
  // Node's mark of a process its test runner started (a run inside it would run no file)
  for (const name of ['APIM_RLS_TEST_SHUFFLE', 'APIM_RLS_TEST_DURATIONS', 'APIM_RLS_TEST_ISOLATE', 'NODE_TEST_CONTEXT']) delete env[name];
  const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...filters], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}

describe('npm test runner', () => {
  it('runs files one after another in one worker, each with its own hooks; a file that does not load is a failed test; an own-process file runs alone', { timeout: 60_000 }, async () => {
    const { code, out } = await runner(['a-hooks', 'b-after-hooks', 'c-does-not-load', 'e-own-process']);
    assert.equal(code, 1, out);
    // b's tests assert that a's after hook ran and its beforeEach did not run for them
    assert.match(out, /✔ test\/fixtures\/runner\/a-hooks\.test\.ts/);
    assert.match(out, /✔ test\/fixtures\/runner\/b-after-hooks\.test\.ts/);
    assert.match(out, /✖ loads[^\n]*\n\s+Error: fixture: this file does not load/);
    assert.match(out, /✔ runs in a process where no other file ran/);
    assert.match(out, /ℹ tests 6\nℹ suites 4\nℹ pass 5\nℹ fail 1\n/);
    assert.match(out, /done test\/fixtures\/runner\/b-after-hooks\.test\.ts \(\d+\.\d s\) \[\d\/4\]/);
  });

  it('a file that ends its worker fails the run, and is named, though every test that reported passed', { timeout: 60_000 }, async () => {
    const { code, out } = await runner(['a-hooks', 'd-ends-its-process']);
    assert.match(out, /ℹ fail 0\n/);
    assert.equal(code, 1, out);
    assert.match(out, /not run to the end: test\/fixtures\/runner\/d-ends-its-process\.test\.ts \(did not finish\)/);
  });

  it('a worker that does not end after its last file (a file left a timer running) fails the run and says what is open', { timeout: 60_000 }, async () => {
    const { code, out } = await runner(['a-hooks', 'f-leaves-a-timer'], { APIM_RLS_TEST_EXIT_GRACE_MS: '500' });
    assert.match(out, /ℹ pass 3\n/);
    assert.equal(code, 1, out);
    assert.match(out, /test worker: still running 0\.5 s after its last file; open: [^\n]*Timeout/);
  });

  it("a file that hangs fails at its bound (APIM_RLS_TEST_TIMEOUT_MS), and its worker goes on with the next file", { timeout: 60_000 }, async () => {
    const { code, out } = await runner(['g-hangs', 'h-after-a-hang'], { APIM_RLS_TEST_TIMEOUT_MS: '500' });
    assert.equal(code, 1, out);
    assert.match(out, /✖ test\/fixtures\/runner\/g-hangs\.test\.ts[^\n]*\n\s+'test timed out after 500ms'/);
    assert.match(out, /✔ test\/fixtures\/runner\/h-after-a-hang\.test\.ts/);
  });

  it('no shared test module registers a node:test hook at its top level (it would belong to the first file of a worker that imports it)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (p !== join('test', 'fixtures')) walk(p);
        } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && /^(before|after|beforeEach|afterEach)\(/m.test(readFileSync(p, 'utf8'))) {
          offenders.push(p);
        }
      }
    };
    walk('test');
    assert.deepEqual(offenders, []);
  });

  it('a setting that is not a positive whole number ends the run at once, naming it (a NaN bound would switch the bound off)', { timeout: 60_000 }, async () => {
    for (const [name, value] of [['APIM_RLS_TEST_TIMEOUT_MS', 'abc'], ['APIM_RLS_TEST_CONCURRENCY', '0'], ['APIM_RLS_TEST_EXIT_GRACE_MS', '-5']] as const) {
      const { code, out } = await runner(['a-hooks'], { [name]: value });
      assert.equal(code, 1, out);
      assert.equal(out, `${name} must be a positive whole number, not ${JSON.stringify(value)}\n`);
    }
  });
});
