/**
 * `start --data-dir`'s lock (lockDataDir), in-process: the same folder through a symlink takes the
 * same lock, and a lock file that is not a regular file of this user's is refused at once, never
 * read (a FIFO planted in a shared folder hung `start`; found by review). The spawned start's own
 * lock tests: test/local/stack/start-command.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { canonicalDataDir, lockDataDir } from '../../../scripts/commands/start.js';
import { CliError } from '../../../scripts/exit-codes.js';

const tmp = mkdtempSync(join(tmpdir(), 'apim-rls-start-lock-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const refusedWith = (pattern: RegExp) => (err: unknown) => err instanceof CliError && err.exitCode === 3 && pattern.test(err.message);

describe('start --data-dir lock', () => {
  it('a symlink to a folder in use is the same folder: refused as in use (regression: both starts opened one cluster)', async () => {
    const real = join(tmp, 'a');
    mkdirSync(real);
    symlinkSync(real, join(tmp, 'link-a'));
    // the lock of a live process that is not this one
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(`${real}.lock`, String(holder.pid));
      assert.throws(() => lockDataDir(join(tmp, 'link-a')), refusedWith(new RegExp(`in use by another apim-rls start \\(pid ${holder.pid}\\)`)));
      assert.equal(existsSync(join(tmp, 'link-a.lock')), false, 'no second lock beside the link');
    } finally {
      holder.kill();
    }
  });

  it('a folder not made yet is known by its resolved parent', () => {
    symlinkSync(tmp, join(tmp, 'link-tmp'));
    assert.equal(canonicalDataDir(join(tmp, 'link-tmp', 'new', 'db')), join(canonicalDataDir(tmp), 'new', 'db'));
  });

  it('a FIFO, a symlink or a folder as the lock file is refused at once, never read', () => {
    const cases: [string, (p: string) => void][] = [
      ['fifo', (p) => execFileSync('mkfifo', [p])],
      ['link', (p) => symlinkSync('/dev/zero', p)],
      ['folder', (p) => mkdirSync(p)],
    ];
    for (const [name, make] of cases) {
      const dir = join(tmp, name);
      make(`${dir}.lock`);
      assert.throws(() => lockDataDir(dir), refusedWith(/is not a lock file of this user's/), name);
    }
  });

  it('a lock left by a process that is gone is taken over, and released', () => {
    const dir = join(tmp, 'stale');
    writeFileSync(`${dir}.lock`, '2147483646');
    const release = lockDataDir(dir);
    assert.equal(existsSync(`${dir}.lock`), true);
    release();
    assert.equal(existsSync(`${dir}.lock`), false);
  });
});
