import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'apim-rls-start-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function startCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'cli.ts'), 'start', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (stdout.includes('Ctrl-C stops everything.')) resolve(stdout);
    });
    void exited.then((code) => reject(new Error(`start exited ${code} before ready: ${stderr}`)));
  });
  ready.catch(() => undefined); // a run expected to fail is awaited through `exited`
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

describe('apim-rls start', () => {
  it('prints the URLs and an example, serves, and stops cleanly on SIGTERM', async () => {
    const run = startCli(['--gateway-port', '0', '--issuer-port', '0', '--functions-port', '0', '--issuer-dir', join(dir, 'keys')]);
    const banner = await run.ready;
    const issuerUrl = /issuer\s+(http:\/\/\S+)/.exec(banner)?.[1];
    assert.ok(issuerUrl, banner);
    assert.match(banner, /apim-rls token --sub alice --tid contoso --roles Orders\.Read --issuer-url http:\/\/127\.0\.0\.1:\d+/);
    const doc = (await (await fetch(issuerUrl + '/.well-known/openid-configuration')).json()) as { issuer: string };
    assert.equal(doc.issuer, issuerUrl);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.output().stderr);
    await assert.rejects(fetch(issuerUrl + '/.well-known/openid-configuration'), 'the issuer is closed');
  });

  it('exits 2 on a bad port and 3 on a port in use', async () => {
    const bad = startCli(['--issuer-port', 'eighty']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.output().stderr, /--issuer-port must be a port number/);

    const first = startCli(['--gateway-port', '0', '--issuer-port', '0', '--functions-port', '0', '--issuer-dir', join(dir, 'keys')]);
    const banner = await first.ready;
    const port = /issuer\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1];
    assert.ok(port);
    try {
      const second = startCli(['--gateway-port', '0', '--issuer-port', port, '--functions-port', '0', '--issuer-dir', join(dir, 'keys')]);
      assert.equal(await second.exited, 3);
      assert.match(second.output().stderr, /already in use/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  it('says what it is doing before the banner, and a second start on a --data-dir in use exits 3 naming the first (regression: it started without complaint)', async () => {
    const data = join(dir, 'pglite');
    const first = startCli(['--gateway-port', '0', '--issuer-port', '0', '--functions-port', '0', '--issuer-dir', join(dir, 'keys'), '--data-dir', data]);
    const banner = await first.ready;
    assert.ok(banner.startsWith(`starting the local stack: OpenID issuer, Functions host on embedded PostgreSQL (${data}, with the orders sample), gateway...\n`), banner);
    try {
      const second = startCli(['--gateway-port', '0', '--issuer-port', '0', '--functions-port', '0', '--issuer-dir', join(dir, 'keys'), '--data-dir', data]);
      assert.equal(await second.exited, 3);
      assert.match(second.output().stderr, new RegExp(`is in use by another apim-rls start \\(pid ${first.child.pid}\\)`));
    } finally {
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0);
    }
    // released on stop: the folder can be opened again
    const third = startCli(['--gateway-port', '0', '--issuer-port', '0', '--functions-port', '0', '--issuer-dir', join(dir, 'keys'), '--data-dir', data]);
    await third.ready;
    third.child.kill('SIGTERM');
    assert.equal(await third.exited, 0);
  });
});
