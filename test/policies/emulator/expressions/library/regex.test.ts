/** The regex watchdog: a timeout is the regex's CPU time, not a starved CPU's wall-clock time. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBudget } from '../../../../../policies/emulator/expressions/budget.js';
import { REGEX_WALL_LIMIT_MS, bounded } from '../../../../../policies/emulator/expressions/library/regex.js';

// blocks the thread without using CPU, as a descheduled process waits
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('regex watchdog', () => {
  it('an operation the watchdog stopped without having had its CPU time runs again from where it began', () => {
    const re = /b/g;
    re.lastIndex = 1;
    let attempts = 0;
    const m = withBudget(
      () =>
        bounded(re, () => {
          attempts++;
          const found = re.exec('abcb');
          if (attempts === 1) sleep(150); // past the 100 ms watchdog, with ~no CPU used
          return found;
        }),
      null,
      null,
    );
    assert.equal(attempts, 2, 'the first attempt was interrupted (the wall-clock watchdog), the second ran');
    assert.equal(m?.index, 1, 'the retry started from the lastIndex the operation began with');
  });

  it('a wait that never lets the operation finish still ends, with RegexMatchTimeoutException', () => {
    const re = /a/;
    assert.throws(
      () =>
        withBudget(
          () =>
            bounded(re, () => {
              sleep(150);
              return re.exec('a');
            }),
          null,
          null,
        ),
      (e: Error) => e.name === 'RegexMatchTimeoutException' && /ran longer than 100 ms/.test(e.message),
      `gives up once ${REGEX_WALL_LIMIT_MS} ms have passed`,
    );
  });
});
