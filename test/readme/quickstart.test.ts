/**
 * The README's quickstart, run as written: its two shell blocks (the calls as alice, bob and carol,
 * then the refusals) go to bash unchanged, against the local stack on free ports. Only the URLs
 * differ: the gateway's default URL is replaced by the one the stack got, and `npx apim-rls`
 * is this checkout's bin, told the stack's key folder and issuer URL.
 * Each `curl` line's trailing comment starts with the status it promises; the test compares.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPorts, startStack, type Stack } from '../../local/stack.js';
import { testPgliteCache } from '../support/pglite.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The shell block between `<!-- name -->` and `<!-- /name -->`. */
export function shellBlock(text: string, name: string): string {
  const start = text.indexOf(`<!-- ${name} -->`);
  const end = text.indexOf(`<!-- /${name} -->`);
  assert.ok(start >= 0 && end > start, `README has a ${name} block`);
  const m = /```sh\n([\s\S]*?)```/.exec(text.slice(start, end));
  assert.ok(m?.[1], `the ${name} block holds a sh code block`);
  return m[1];
}

/** The status each `curl` command promises in its comment (`# 200: ...`), in order. */
export function promisedStatuses(block: string): number[] {
  const commands = block.replace(/\\\n/g, ' ').split('\n').filter((l) => /^\s*curl\b/.test(l));
  return commands.map((c) => {
    const m = /#\s*(\d{3})\b/.exec(c);
    assert.ok(m?.[1], `a curl command without a promised status: ${c}`);
    return Number(m[1]);
  });
}

function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README quickstart', () => {
  let stack: Stack;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apim-rls-readme-'));
    stack = await startStack({ gatewayPort: 0, issuerPort: 0, functionsPort: 0, issuerKeyDir: join(dir, 'keys'), pgliteCache: testPgliteCache(), functionsLog: () => undefined });
  });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the calls as alice, bob and carol, then the refusals, answer the statuses the README promises', async () => {
    const blocks = shellBlock(readme, 'quickstart') + '\n' + shellBlock(readme, 'refusals');
    const expected = promisedStatuses(blocks);
    assert.ok(expected.length >= 10, 'the quickstart shows list, create, patch, delete and refusals');
    const bin = join(repoRoot, 'bin', 'apim-rls.js');
    const prelude = [
      'set -euo pipefail',
      // every curl prints only its status, one per line, in order
      `curl() { command curl -s -o /dev/null -w '%{http_code}\\n' --max-time 30 "$@"; }`,
      // `npx apim-rls ...` is this checkout's CLI, pointed at the stack's key folder and issuer
      `npx() { [ "$1" = apim-rls ] || return 99; shift; if [ "$1" = token ]; then shift; node ${JSON.stringify(bin)} token --issuer-dir ${JSON.stringify(join(dir, 'keys'))} --issuer-url ${JSON.stringify(stack.issuer.issuer)} "$@"; else node ${JSON.stringify(bin)} "$@"; fi; }`,
    ].join('\n');
    const script = `${prelude}\n${blocks.replaceAll(`http://127.0.0.1:${defaultPorts.gateway}`, stack.gateway.url)}`;
    const r = await bash(script);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map(Number), expected);
  });
});
