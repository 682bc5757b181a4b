// Issue 9's "done when", as fixture files under test/fixtures/csharp/: `policy lint` exits 1 with
// APIM501 on what APIM refuses when the policy is saved, and lints clean — then runs in the
// emulator — the policy-expressions page's own examples and the .NET Framework overloads.
// The page examples are copied from https://learn.microsoft.com/en-us/azure/api-management/api-management-policy-expressions#PolicyExpressionsExamples
// (MicrosoftDocs/azure-docs articles/api-management/api-management-policy-expressions.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintPolicy } from '../../../policies/lint/index.js';
import { parsePolicyXml } from '../../../policies/xml/index.js';
import { emulate, EmulatorError } from '../../../policies/emulator/index.js';
import { runCli } from '../../support/cli.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = join(repoRoot, 'test', 'fixtures', 'csharp');
const files = (kind: 'refused' | 'accepted'): string[] =>
  readdirSync(join(fixtures, kind))
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => join(fixtures, kind, f));

/** Why each refused fixture is refused (APIM501's message). */
const REFUSED: Record<string, RegExp> = {
  'environment.xml': /Environment is not a type APIM allows in policy expressions/,
  'index-from-end.xml': /an index from the end \(\^n\) is C# 8; APIM compiles C# 7/,
  'null-coalescing-assignment.xml': /\?\?= \(null-coalescing assignment\) is C# 8; APIM compiles C# 7/,
  'replace-string-comparison.xml': /no overload of System\.String\.Replace takes \(string, string, StringComparison\) in \.NET Framework 4\.8; the overloads are: Replace\(char oldChar, char newChar\); Replace\(string oldValue, string newValue\)/,
  'split-char-count.xml': /no overload of System\.String\.Split takes \(char, int\)/,
  'split-string-separator.xml': /no overload of System\.String\.Split takes \(string\) in \.NET Framework 4\.8; the overloads are: Split\(params char\[\] separator\)/,
  'switch-expression.xml': /a switch expression is C# 8; APIM compiles C# 7/,
  'system-io-file.xml': /System\.IO\.File is not a type APIM allows in policy expressions/,
};

/** What each accepted fixture's X-Result header holds after the emulator ran it. */
const ACCEPTED: Record<string, string | RegExp> = {
  'join-select-trim.xml': 'a;b;c',
  'page-regex-groups.xml': '60',
  'page-tryget-value.xml': 'user:pw',
  'split-char-array-count.xml': 'a|b,c',
  'split-char.xml': 'a|b|c',
  'split-string-array-options.xml': 'a|b|c',
  'trim-chars.xml': 'x',
  'utcnow-round-trip.xml': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/,
};

/** `apim-rls ARGS` in-process (test/support/cli.ts; policy lint as a process is tested in test/scripts/policy-lint.test.ts). */
const cli = (...args: string[]) => runCli(args);

describe('issue 9 done-when: what APIM refuses at save time and what it accepts', () => {
  it('every fixture has its expectation (and no expectation lacks its fixture)', () => {
    assert.deepEqual(files('refused').map((f) => f.split('/').pop()), Object.keys(REFUSED).sort());
    assert.deepEqual(files('accepted').map((f) => f.split('/').pop()), Object.keys(ACCEPTED).sort());
  });

  it('lint: each refused fixture has exactly one finding, APIM501, with the reason and the line and column inside the expression', () => {
    for (const file of files('refused')) {
      const name = file.split('/').pop()!;
      const findings = lintPolicy(parsePolicyXml(readFileSync(file, 'utf8')));
      assert.deepEqual(findings.map((f) => [f.ruleId, f.severity]), [['APIM501', 'error']], name);
      assert.match(findings[0]!.message, /^APIM would refuse this expression when the policy is saved: /, name);
      assert.match(findings[0]!.message, REFUSED[name]!, name);
      assert.match(findings[0]!.message, / at expression line 1, column \d+ \(near "/, name);
    }
  });

  it('policy lint exits 1 on the refused fixtures, each with APIM501; 0 on the accepted ones', async () => {
    const refused = await cli('policy', 'lint', '--format', 'json', ...files('refused'));
    assert.equal(refused.code, 1, refused.stderr);
    const out = JSON.parse(refused.stdout) as { results: { findings: { ruleId: string }[] }[] };
    assert.deepEqual(
      out.results.map((r) => r.findings.map((f) => f.ruleId)),
      files('refused').map(() => ['APIM501']),
    );
    const accepted = await cli('policy', 'lint', ...files('accepted'));
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.match(accepted.stdout, /^0 error\(s\), 0 warning\(s\), 0 info in 8 file\(s\)\n$/);
  });

  it('emulate() refuses to compile the refused fixtures with EXPR_REFUSED and the same reason', () => {
    for (const file of files('refused')) {
      const name = file.split('/').pop()!;
      assert.throws(
        () => emulate(readFileSync(file, 'utf8'), { backend: async () => ({ status: 200, headers: {}, body: '' }) }),
        (e: unknown) => e instanceof EmulatorError && e.code === 'EXPR_REFUSED' && REFUSED[name]!.test(e.message) && /at expression line 1, column \d+/.test(e.message),
        name,
      );
    }
  });

  for (const file of files('accepted')) {
    const name = file.split('/').pop()!;
    it(`emulate runs ${name}`, async (t) => {
      let r;
      try {
        const em = emulate(readFileSync(file, 'utf8'), {
          // the global scope forwards the request (the fixtures' <backend> inherits it)
          scopes: ['<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>'],
          backend: async () => ({ status: 200, headers: { 'Cache-Control': 'public, max-age=60' }, body: '' }),
        });
        r = await em.send({ url: 'https://gw.test/orders', headers: { Accept: 'a,b,c', Authorization: 'dXNlcjpwdw==' } });
      } catch (err) {
        // the runtime (h9c) does not run this construct or member yet: the emulator says so at
        // compile time, never runs it wrongly
        if (err instanceof EmulatorError && err.code === 'EXPR_UNSUPPORTED') {
          t.todo(`runtime pending: ${err.message}`);
          return;
        }
        throw err;
      }
      const sent = name.startsWith('page-regex') ? r.headers['x-result'] : r.backendCalls[0]?.headers['X-Result'];
      const want = ACCEPTED[name]!;
      if (typeof want === 'string') assert.equal(sent, want, JSON.stringify(r.lastError));
      else assert.match(sent ?? '', want);
    });
  }
});
