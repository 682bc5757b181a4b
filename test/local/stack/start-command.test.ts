import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleUsers } from '../../../rls/sample/index.js';
import { refused } from '../../support/net.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'apim-rls-start-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Spawns `apim-rls start ARGS`; with `recordLoads`, every module URL it resolves is kept for `loaded()`. */
function startCli(args: string[], { recordLoads = false } = {}) {
  const log = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const hooks = recordLoads ? ['--import', join(repoRoot, 'test', 'scripts', 'support', 'record-loads.mjs')] : [];
  if (recordLoads) writeFileSync(log, '');
  const child = spawn(process.execPath, ['--import', 'tsx', ...hooks, join(repoRoot, 'scripts', 'cli.ts'), 'start', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: recordLoads ? { ...process.env, APIM_RLS_LOAD_LOG: log } : process.env,
  });
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
  const loaded = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { child, ready, exited, output: () => ({ stdout, stderr }), loaded };
}

/** A refused start loads neither the stack nor the embedded database (it refuses before opening anything). */
function assertNothingOpened(loaded: string[]) {
  assert.ok(loaded.some((u) => /scripts\/commands\/start\./.test(u)), 'the start command was loaded (the hook recorded it)');
  for (const re of [/\/local\/stack\./, /@electric-sql\/pglite/, /\/local\/(issuer|gateway|functions-host)\/(index|server)\./]) {
    assert.deepEqual(loaded.filter((u) => re.test(u)), [], `nothing matching ${re} is loaded`);
  }
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

describe('apim-rls start', () => {
  // Two stacks in all (each start costs seconds of CPU): the first on a --data-dir serves the banner, one request end to
  // end, the lock against a second start, and a graceful stop on SIGTERM with requests in flight; the third start
  // proves the folder is released.
  it('says what it is doing before the banner; prints the URLs and an example; one request end to end: the gateway line, the audit line and the audit rows share its request id and trace id; no SQL Server driver loaded; a second start on a --data-dir in use exits 3 naming the first, opening nothing (regression: it started without complaint); SIGTERM with requests in flight: new connections refused, the requests answered for real, exit 0; the folder is released', async () => {
    const data = join(dir, 'pglite');
    const args = ['--gateway-port', '0', '--issuer-port', '0', '--functions-port', '0', '--issuer-dir', join(dir, 'keys'), '--data-dir', data];
    const run = startCli([...args, '--grace-period', '20'], { recordLoads: true });
    try {
      // inside the try: a failed assertion still stops the process
      const banner = await run.ready;
      // the stack runs on PGlite: the SQL Server driver is not loaded (functions/runtime.ts loads it for mssql:// only)
      assert.deepEqual(run.loaded().filter((u) => /node_modules\/(mssql|tedious)\//.test(u)), []);
      assert.ok(banner.startsWith(`starting the local stack: OpenID issuer, Functions host on embedded PostgreSQL (${data}, with the orders sample), gateway...\n`), banner);
      const issuerUrl = /issuer\s+(http:\/\/\S+)/.exec(banner)?.[1];
      const gatewayUrl = /gateway\s+(http:\/\/\S+)/.exec(banner)?.[1];
      assert.ok(issuerUrl && gatewayUrl, banner);
      assert.match(banner, /apim-rls token --sub alice --tid contoso --roles Orders\.Read --issuer-url http:\/\/127\.0\.0\.1:\d+/);
      const doc = (await (await fetch(issuerUrl + '/.well-known/openid-configuration')).json()) as { issuer: string };
      assert.equal(doc.issuer, issuerUrl);
      assert.match(banner, /Follow one request/);
      const minted = await fetch(issuerUrl + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'alice', tid: 'contoso', roles: ['Orders.Read', 'Orders.Write'] }) });
      const { access_token: token } = (await minted.json()) as { access_token: string };
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await fetch(gatewayUrl + '/orders', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'content-type': 'application/json' },
        body: JSON.stringify({ item: 'start command widget', quantity: 1 }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const requestId = res.headers.get('x-request-id')!;
      // the audit rows line comes last (read after the gateway's line); wait for it, bounded
      const deadline = Date.now() + 10_000;
      while (!run.output().stdout.includes('"type":"apim-rls.audit-rows"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const lines = run.output().stdout.split('\n');
      const json = (prefix: RegExp) => {
        const line = lines.find((l) => prefix.test(l) && l.includes(requestId));
        assert.ok(line, `a line matching ${prefix} for ${requestId}:\n${run.output().stdout}`);
        return JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
      };
      const gatewayLine = json(/^\{"TimeGenerated"/);
      assert.deepEqual([gatewayLine.CorrelationId, gatewayLine.TraceId, gatewayLine.ResponseCode], [requestId, traceId, 201]);
      const auditLine = json(/^\[information\] createOrder: \{"type":"apim-rls.audit"/);
      assert.deepEqual([auditLine.requestId, auditLine.traceId], [requestId, traceId]);
      const rows = json(/^\{"type":"apim-rls.audit-rows"/).rows as Record<string, unknown>[];
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0]!.request_id, rows[0]!.trace_id, rows[0]!.operation, rows[0]!.table_name], [requestId, traceId, 'insert', 'orders']);

      const second = startCli(args, { recordLoads: true });
      // bounded: a second start that starts after all (the regression) is stopped, not waited for
      if ((await Promise.race([second.exited, second.ready.then(() => 'started', () => 'exited')])) === 'started') {
        second.child.kill('SIGTERM');
        await second.exited;
        assert.fail('the second start on a --data-dir in use started');
      }
      assert.equal(await second.exited, 3);
      assert.match(second.output().stderr, new RegExp(`is in use by another apim-rls start \\(pid ${run.child.pid}\\)`));
      assertNothingOpened(second.loaded());

      // graceful stop (issue 15, item 4): SIGTERM with requests in flight → the listener closes at once (new
      // connections refused), the requests in flight complete with their real answers, and the process exits 0
      // within the grace period. Before that fix, every request in flight was reset within milliseconds of the signal.
      const gatewayPort = Number(new URL(gatewayUrl).port);
      const alice = sampleUsers.alice;
      const aliceMinted = await fetch(issuerUrl + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: [...alice.roles] }) });
      const aliceToken = ((await aliceMinted.json()) as { access_token: string }).access_token;
      const posts = [1, 2].map((n) => halfSentPost(gatewayUrl + '/orders', aliceToken, JSON.stringify({ item: `in flight at shutdown ${n}`, quantity: n })));
      // a full request on another connection, answered after the half-sent ones reached the server
      const barrier = await fetch(gatewayUrl + '/orders', { headers: { authorization: `Bearer ${aliceToken}`, connection: 'close' } });
      assert.equal(barrier.status, 200);
      await barrier.arrayBuffer();

      run.child.kill('SIGTERM');
      for (let i = 0; i < 400 && !(await refused(gatewayPort)); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(await refused(gatewayPort), 'the gateway stopped accepting connections');
      assert.equal(run.child.exitCode, null, 'still running while requests are in flight');
      for (const p of posts) p.finish();
      for (const [i, p] of posts.entries()) {
        const r = await p.answer;
        assert.ok(!('error' in r), `request ${i + 1} was cut off: ${JSON.stringify(r)}\n${run.output().stderr}`);
        assert.equal(r.status, 201, r.body);
        const order = JSON.parse(r.body) as { item: string; tenantId: string; ownerOid: string };
        assert.equal(order.item, `in flight at shutdown ${i + 1}`);
        assert.equal(order.tenantId, alice.tid);
      }
      const code = await Promise.race([run.exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 25_000).unref())]);
      assert.equal(code, 0, `exit code (stderr: ${run.output().stderr})`);
      assert.match(run.output().stdout, /stopping: no new connections/);
      assert.match(run.output().stdout, /stopped\.\n/);
      await assert.rejects(fetch(issuerUrl + '/.well-known/openid-configuration'), 'the issuer is closed');
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGKILL');
        await run.exited;
      }
    }
    // released on stop: the folder can be opened again
    const third = startCli(args);
    try {
      await third.ready;
    } finally {
      third.child.kill('SIGTERM');
    }
    assert.equal(await third.exited, 0);
  });

  it('exits 2 on a bad port before loading the stack, and 3 on a port in use (in memory without --data-dir)', async () => {
    const bad = startCli(['--issuer-port', 'eighty'], { recordLoads: true });
    assert.equal(await bad.exited, 2);
    assert.match(bad.output().stderr, /--issuer-port must be a port number/);
    assertNothingOpened(bad.loaded());

    // the port held by a plain listener (a whole stack to hold it costs seconds of CPU)
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = String((holder.address() as AddressInfo).port);
    try {
      const second = startCli(['--gateway-port', '0', '--issuer-port', port, '--functions-port', '0', '--issuer-dir', join(dir, 'keys')]);
      assert.equal(await second.exited, 3);
      assert.match(second.output().stderr, /already in use/);
      assert.equal(second.output().stdout, 'starting the local stack: OpenID issuer, Functions host on embedded PostgreSQL (in memory, with the orders sample), gateway...\n');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
