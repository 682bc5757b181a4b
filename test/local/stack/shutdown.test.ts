/**
 * `npm start` stops gracefully (issue 15, item 4): SIGTERM to the CLI running the stack with
 * requests in flight → the listener closes at once (new connections refused), the requests in
 * flight complete with their real answers, and the process exits 0 within the grace period.
 * Before this, every request in flight was reset within milliseconds of the signal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sampleUsers } from '../../../rls/sample/index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'apim-rls-shutdown-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** A POST whose headers and first half of the body are sent now; `finish()` sends the rest. */
function halfSentPost(url: string, token: string, body: string) {
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    req = httpRequest(url, { method: 'POST', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { answer, finish: () => req.end(body.slice(half)) };
}

describe('npm start: graceful shutdown', () => {
  it('SIGTERM with requests in flight: new connections refused, the requests answered for real, exit 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'cli.ts'), 'start', '--gateway-port', '0', '--issuer-port', '0', '--functions-port', '0', '--issuer-dir', join(dir, 'keys'), '--grace-period', '20'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => stdout.includes('Ctrl-C stops everything.') && resolve());
        void exited.then((code) => reject(new Error(`start exited ${code} before ready: ${stderr}`)));
      });
      const gatewayUrl = /gateway\s+(http:\/\/\S+)/.exec(stdout)?.[1];
      const issuerUrl = /issuer\s+(http:\/\/\S+)/.exec(stdout)?.[1];
      assert.ok(gatewayUrl && issuerUrl, stdout);
      const gatewayPort = Number(new URL(gatewayUrl).port);
      const alice = sampleUsers.alice;
      const minted = await fetch(issuerUrl + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: [...alice.roles] }) });
      const token = ((await minted.json()) as { access_token: string }).access_token;

      const posts = [1, 2].map((n) => halfSentPost(gatewayUrl + '/orders', token, JSON.stringify({ item: `in flight at shutdown ${n}`, quantity: n })));
      // a full request on another connection, answered after the half-sent ones reached the server
      const barrier = await fetch(gatewayUrl + '/orders', { headers: { authorization: `Bearer ${token}`, connection: 'close' } });
      assert.equal(barrier.status, 200);
      await barrier.arrayBuffer();

      child.kill('SIGTERM');
      for (let i = 0; i < 400 && !(await refused(gatewayPort)); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(await refused(gatewayPort), 'the gateway stopped accepting connections');
      assert.equal(child.exitCode, null, 'still running while requests are in flight');

      for (const p of posts) p.finish();
      for (const [i, p] of posts.entries()) {
        const r = await p.answer;
        assert.ok(!('error' in r), `request ${i + 1} was cut off: ${JSON.stringify(r)}\n${stderr}`);
        assert.equal(r.status, 201, r.body);
        const order = JSON.parse(r.body) as { item: string; tenantId: string; ownerOid: string };
        assert.equal(order.item, `in flight at shutdown ${i + 1}`);
        assert.equal(order.tenantId, alice.tid);
      }
      const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 25_000).unref())]);
      assert.equal(code, 0, `exit code (stderr: ${stderr})`);
      assert.match(stdout, /stopping: no new connections/);
      assert.match(stdout, /stopped\.\n/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
