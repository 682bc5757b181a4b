/**
 * Attacks on the gateway's edge: a caller trying to make the identity headers the gateway adds
 * disappear on the way to the backend, to leak its token into logs, or to grow the gateway's
 * rate-limit state without bound. Each failed before the fix named in its title.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevIssuer, type DevIssuer } from '../../local/issuer/index.js';
import { startGateway, type Gateway, type GatewayLogEntry } from '../../local/gateway/index.js';
import { emulate, LimitCounters, type BackendRequest } from '../../policies/emulator/index.js';
import { startRecordingBackend, type RecordingBackend } from '../local/gateway/support.js';

const fixedNow = Date.UTC(2030, 0, 1, 12, 0, 0);
const clock = () => fixedNow;
const dir = mkdtempSync(join(tmpdir(), 'apim-rls-edge-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const alice = { sub: 'alice', oid: '00000000-0000-0000-0000-0000000000a1', tid: 'contoso', roles: ['Orders.Read'] };

function raw(base: string, path: string, headers: Record<string, string>) {
  const u = new URL(base);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security: the gateway edge', () => {
  let issuer: DevIssuer;
  let backend: RecordingBackend;
  let gateway: Gateway;
  const lines: GatewayLogEntry[] = [];
  before(async () => {
    issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'keys'), clock });
    backend = await startRecordingBackend();
    gateway = await startGateway({ port: 0, backendUrl: backend.url + '/api', issuer, clock, log: (e) => lines.push(e) });
  });
  after(async () => {
    await gateway?.close();
    await backend?.close();
    await issuer?.close();
  });
  const bearer = async () => `Bearer ${await issuer.mint({ ...alice, roles: [...alice.roles] })}`;

  it('a header flood cannot push the gateway\'s identity headers past a parser\'s header count: 431, nothing forwarded (before: forwarded, or Node dropped Host and answered a bare 400)', async () => {
    const before = backend.received.length;
    const flood: Record<string, string> = { authorization: await bearer() };
    for (let i = 0; i < 1990; i++) flood[`a${i}`] = '';
    const r = await raw(gateway.url, '/orders', flood);
    assert.equal(r.status, 431);
    assert.equal(backend.received.length, before);
  });

  it('naming the identity headers in Connection does not strip what the gateway sets (the caller\'s own fields it names are dropped on arrival)', async () => {
    const r = await raw(gateway.url, '/orders', { authorization: await bearer(), connection: 'keep-alive, X-Identity-Object-Id, X-Identity-Tenant-Id, X-Request-Id' });
    assert.equal(r.status, 200, r.body);
    const got = backend.received.at(-1)!;
    assert.equal(got.headers['x-identity-object-id'], alice.oid);
    assert.equal(got.headers['x-identity-tenant-id'], 'contoso');
    assert.match(String(got.headers.authorization), /^Bearer /, 'the managed-identity proof still reaches the backend');
  });

  it('the same through the emulator alone: forward-request keeps the headers the policy set whatever Connection says', async () => {
    const seen: BackendRequest[] = [];
    const em = emulate(
      '<policies><inbound><set-header name="X-Identity-Object-Id" exists-action="override"><value>from-policy</value></set-header></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>',
      { backend: async (r) => (seen.push(r), { status: 200 }) },
    );
    await em.send({ url: 'https://gw.test/orders', headers: { Connection: 'X-Identity-Object-Id', 'X-Identity-Object-Id': 'from-caller' } });
    assert.equal(seen[0]!.headers['X-Identity-Object-Id'], 'from-policy');
    assert.equal(seen[0]!.headers.Connection, undefined);
  });

  it('a token sent in the query string or a header never reaches the refusal log', async () => {
    lines.length = 0;
    const token = (await bearer()).slice('Bearer '.length);
    const forged = token.slice(0, -6) + 'AAAAAA';
    await fetch(`${gateway.url}/orders?access_token=${forged}`, { headers: { authorization: `Bearer ${forged}`, 'x-api-key': forged } });
    await fetch(`${gateway.url}/orders/1?code=${forged}`, { method: 'PUT', headers: { authorization: `Bearer ${forged}` } });
    assert.equal(lines.length, 2);
    const text = JSON.stringify(lines);
    assert.ok(!text.includes(forged.slice(0, 20)) && !text.includes(forged.slice(-30)), 'no token fragment in any line');
  });

  it('a flood of counter keys cannot grow the rate-limit state without bound (before: one map entry per key, forever)', async () => {
    let now = fixedNow;
    const counters = new LimitCounters(1000);
    const em = emulate('<policies><inbound><rate-limit-by-key calls="5" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;X-Key&quot;, &quot;&quot;))" /></inbound><backend><return-response><set-status code="204" reason="No Content" /></return-response></backend><outbound /><on-error /></policies>', {
      now: () => now,
      limitCounters: counters,
    });
    for (let i = 0; i < 5000; i++) {
      now += 20;
      await em.send({ url: 'https://gw.test/orders', headers: { 'X-Key': `k-${i}` } });
    }
    assert.ok(counters.size <= 1000, `held ${counters.size} counters`);
  });
});
