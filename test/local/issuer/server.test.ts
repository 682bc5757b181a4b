import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { startDevIssuer, oidForSubject, mintFromKeyDir, type DevIssuer } from '../../../local/issuer/index.js';

const start = Date.UTC(2030, 0, 1, 12, 0, 0);
let now = start;
const clock = () => now;
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'apim-rls-issuer-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function verify(issuer: DevIssuer, token: string, audience = 'api://apim-rls-orders'): Promise<JWTPayload> {
  // a fresh key set each time: verification goes through discovery's jwks_uri like a relying party
  const doc = (await (await fetch(issuer.discoveryUrl)).json()) as { jwks_uri: string; issuer: string };
  const jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
  const { payload } = await jwtVerify(token, jwks, { issuer: doc.issuer, audience, algorithms: ['RS256'], currentDate: new Date(now) });
  return payload;
}

/** A raw HTTP request (fetch does not let a test set the Host header). */
function raw(url: string, options: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('dev issuer', () => {
  let issuer: DevIssuer;
  let keyDir: string;
  before(async () => {
    keyDir = join(tempDir(), 'keys');
    issuer = await startDevIssuer({ port: 0, keyDir, clock });
  });
  after(() => issuer.close());

  it('serves OpenID discovery whose issuer equals the tokens\' iss', async () => {
    const res = await fetch(issuer.discoveryUrl);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.issuer, issuer.issuer);
    assert.equal(doc.jwks_uri, issuer.jwksUri);
    assert.equal(doc.token_endpoint, issuer.url + '/token');
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
    assert.equal(issuer.discoveryUrl, issuer.issuer + '/.well-known/openid-configuration');
  });

  it('publishes only public key material', async () => {
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys.length, 1);
    const key = jwks.keys[0]!;
    assert.equal(key.kid, issuer.activeKid());
    assert.equal(key.alg, 'RS256');
    assert.equal(key.kty, 'RSA');
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[secret], undefined, `JWKS leaks ${secret}`);
  });

  it('mints Entra-like tokens that verify through discovery and JWKS', async () => {
    const token = await issuer.mint({ sub: 'alice', tid: 'contoso', roles: ['Orders.Read'], scp: ['orders.read', 'profile'] });
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'RS256', kid: issuer.activeKid(), typ: 'JWT' });
    const claims = await verify(issuer, token);
    const iat = Math.floor(now / 1000);
    assert.equal(claims.iss, issuer.issuer);
    assert.equal(claims.aud, 'api://apim-rls-orders');
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.oid, oidForSubject('alice'));
    assert.match(String(claims.oid), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(claims.tid, 'contoso');
    assert.deepEqual(claims.roles, ['Orders.Read']);
    assert.equal(claims.scp, 'orders.read profile');
    assert.equal(claims.ver, '2.0');
    assert.equal(claims.iat, iat);
    assert.equal(claims.nbf, iat);
    assert.equal(claims.exp, iat + 3600);
    assert.equal(typeof claims.jti, 'string');
  });

  it('derives oid from sub stably and honours explicit claims', async () => {
    assert.equal(oidForSubject('bob'), oidForSubject('bob'));
    assert.notEqual(oidForSubject('bob'), oidForSubject('alice'));
    const iat = Math.floor(now / 1000) - 100;
    const token = await issuer.mint({ sub: 'bob', oid: 'b1', aud: ['api://one', 'api://two'], ttlSeconds: 600, iat, nbf: iat + 10, extra: { azp: 'client-1', ver: '1.0' } });
    const claims = await verify(issuer, token, 'api://two');
    assert.equal(claims.oid, 'b1');
    assert.deepEqual(claims.aud, ['api://one', 'api://two']);
    assert.equal(claims.iat, iat);
    assert.equal(claims.nbf, iat + 10);
    assert.equal(claims.exp, iat + 600);
    assert.equal(claims.azp, 'client-1');
    assert.equal(claims.ver, '1.0', 'extra claims are merged last');
    assert.equal(claims.tid, undefined, 'no tid unless given');
    assert.equal(claims.roles, undefined);
  });

  it('gives every token its own jti', async () => {
    const a = await verify(issuer, await issuer.mint({ sub: 'alice' }));
    const b = await verify(issuer, await issuer.mint({ sub: 'alice' }));
    assert.notEqual(a.jti, b.jti);
  });

  it('refuses caller mistakes in mint()', async () => {
    await assert.rejects(issuer.mint({ sub: '' }), TypeError);
    await assert.rejects(issuer.mint({ sub: 'a', ttlSeconds: 0 }), RangeError);
    await assert.rejects(issuer.mint({ sub: 'a', ttlSeconds: 10 * 24 * 3600 }), RangeError);
  });

  it('counts discovery and JWKS fetches', async () => {
    const before = { ...issuer.stats };
    await fetch(issuer.discoveryUrl);
    await fetch(issuer.jwksUri);
    await fetch(issuer.jwksUri);
    assert.equal(issuer.stats.discoveryFetches, before.discoveryFetches + 1);
    assert.equal(issuer.stats.jwksFetches, before.jwksFetches + 2);
  });

  it('keeps keys as 0600 JWK files in a 0700 folder', () => {
    assert.equal(statSync(keyDir).mode & 0o777, 0o700);
    const files = readdirSync(keyDir);
    assert.ok(files.includes(`${issuer.activeKid()}.jwk.json`));
    for (const f of files) assert.equal(statSync(join(keyDir, f)).mode & 0o777, 0o600, f);
  });

  describe('POST /token', () => {
    it('mints for a loopback caller', async () => {
      const res = await fetch(issuer.url + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'carol', tid: 'fabrikam', roles: ['Orders.Admin'], ttlSeconds: 600 }) });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 600);
      const claims = await verify(issuer, body.access_token);
      assert.equal(claims.tid, 'fabrikam');
      assert.deepEqual(claims.roles, ['Orders.Admin']);
      assert.equal(claims.exp, Math.floor(now / 1000) + 600);
    });

    it('refuses an invalid request with 400 naming the field', async () => {
      const res = await fetch(issuer.url + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'x', roles: 'Orders.Read' }) });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request');
      assert.match(body.error_description, /roles/);
      const unknown = await fetch(issuer.url + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'x', role: 'typo' }) });
      assert.equal(unknown.status, 400);
      const notJson = await fetch(issuer.url + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      assert.equal(notJson.status, 400);
    });

    it('refuses a form post (415), a GET (405) and a huge body (413)', async () => {
      const form = await fetch(issuer.url + '/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sub=x' });
      assert.equal(form.status, 415);
      const get = await fetch(issuer.url + '/token');
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      const huge = await fetch(issuer.url + '/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'x'.repeat(20000) }) });
      assert.equal(huge.status, 413);
    });

    it('refuses a non-loopback Host header (DNS rebinding)', async () => {
      const minted = issuer.stats.tokensMinted;
      const res = await raw(issuer.url + '/token', { method: 'POST', headers: { host: 'evil.example:8081', 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'x' }) });
      assert.equal(res.status, 403);
      assert.doesNotMatch(res.body, /access_token/);
      assert.equal(issuer.stats.tokensMinted, minted);
      const ok = await raw(issuer.url + '/token', { method: 'POST', headers: { host: 'localhost:8081', 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'x' }) });
      assert.equal(ok.status, 200);
    });

    it('answers 404 elsewhere', async () => {
      assert.equal((await fetch(issuer.url + '/nope')).status, 404);
    });
  });

  describe('managed-identity credential', () => {
    it('returns an app-only token for the scope\'s resource, cached until five minutes before expiry', async () => {
      const cred = issuer.credential('gateway-client-id', { tenantId: 'contoso' });
      const minted = issuer.stats.tokensMinted;
      const first = await cred.getToken('api://apim-rls-orders-backend/.default');
      assert.ok(first);
      assert.equal(first.expiresOnTimestamp, (Math.floor(now / 1000) + 3600) * 1000);
      const claims = await verify(issuer, first.token, 'api://apim-rls-orders-backend');
      assert.equal(claims.azp, 'gateway-client-id');
      assert.equal(claims.appid, 'gateway-client-id');
      assert.equal(claims.idtyp, 'app');
      assert.equal(claims.tid, 'contoso');
      assert.equal(claims.sub, claims.oid);
      const [a, b] = await Promise.all([cred.getToken(['api://apim-rls-orders-backend/.default']), cred.getToken('api://apim-rls-orders-backend')]);
      assert.equal(a?.token, first.token);
      assert.equal(b?.token, first.token);
      assert.equal(issuer.stats.tokensMinted, minted + 1, 'one signing for repeated calls');
      now += 56 * 60 * 1000; // inside the refresh margin
      try {
        const refreshed = await cred.getToken('api://apim-rls-orders-backend/.default');
        assert.notEqual(refreshed?.token, first.token);
        assert.equal(issuer.stats.tokensMinted, minted + 2);
      } finally {
        now = start;
      }
    });

    it('keeps the trailing slash of a v1 resource and refuses two resources at once', async () => {
      const cred = issuer.credential('c2');
      const t = await cred.getToken('https://database.windows.net//.default');
      const claims = await verify(issuer, t!.token, 'https://database.windows.net/');
      assert.equal(claims.aud, 'https://database.windows.net/');
      await assert.rejects(cred.getToken(['api://a/.default', 'api://b/.default']), TypeError);
      const other = await issuer.credential('c3').getToken('https://database.windows.net//.default');
      assert.notEqual((await verify(issuer, other!.token, 'https://database.windows.net/')).oid, claims.oid, 'each client id is its own principal');
    });
  });
});

describe('dev issuer keys across restarts and rotation', () => {
  it('reuses the key after a restart, so earlier tokens still verify', async () => {
    const keyDir = join(tempDir(), 'k');
    const first = await startDevIssuer({ port: 0, keyDir, clock });
    const kid = first.activeKid();
    const token = await first.mint({ sub: 'alice' });
    await first.close();
    const second = await startDevIssuer({ port: 0, keyDir, clock });
    try {
      assert.equal(second.activeKid(), kid);
      // the issuer URL changed with the port, so check the signature through this JWKS only
      const jwks = createRemoteJWKSet(new URL(second.jwksUri));
      const { payload } = await jwtVerify(token, jwks, { currentDate: new Date(now) });
      assert.equal(payload.sub, 'alice');
    } finally {
      await second.close();
    }
  });

  it('rotates: the new key signs, the old one stays published for the grace period, then goes', async () => {
    const keyDir = join(tempDir(), 'k');
    const issuer = await startDevIssuer({ port: 0, keyDir, clock, rotationGraceSeconds: 3600 });
    try {
      const oldKid = issuer.activeKid();
      const before = await issuer.mint({ sub: 'alice' });
      await issuer.rotate();
      const newKid = issuer.activeKid();
      assert.notEqual(newKid, oldKid);
      const afterRotation = await issuer.mint({ sub: 'alice' });
      assert.equal(decodeProtectedHeader(afterRotation).kid, newKid);
      const kids = ((await (await fetch(issuer.jwksUri)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      assert.deepEqual(kids, [newKid, oldKid]);
      assert.equal((await verify(issuer, before)).sub, 'alice', 'a token in flight still verifies');
      assert.equal((await verify(issuer, afterRotation)).sub, 'alice');

      now += 3601 * 1000;
      try {
        const later = ((await (await fetch(issuer.jwksUri)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
        assert.deepEqual(later, [newKid]);
        await issuer.rotate(); // prunes the expired key's file
        assert.ok(!readdirSync(keyDir).includes(`${oldKid}.jwk.json`));
        assert.ok(readdirSync(keyDir).includes(`${newKid}.jwk.json`), 'the key still in its grace period stays');
      } finally {
        now = start;
      }
    } finally {
      await issuer.close();
    }
  });

  it('keeps the rotation across a restart', async () => {
    const keyDir = join(tempDir(), 'k');
    const a = await startDevIssuer({ port: 0, keyDir, clock });
    const oldKid = a.activeKid();
    await a.rotate();
    const newKid = a.activeKid();
    await a.close();
    const b = await startDevIssuer({ port: 0, keyDir, clock });
    try {
      assert.equal(b.activeKid(), newKid);
      const kids = ((await (await fetch(b.jwksUri)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      assert.deepEqual(kids, [newKid, oldKid]);
    } finally {
      await b.close();
    }
  });

  it('starts over with a new key when the active key file is damaged', async () => {
    const keyDir = join(tempDir(), 'k');
    const a = await startDevIssuer({ port: 0, keyDir, clock });
    const kid = a.activeKid();
    await a.close();
    writeFileSync(join(keyDir, `${kid}.jwk.json`), '{ not json');
    const b = await startDevIssuer({ port: 0, keyDir, clock });
    try {
      assert.notEqual(b.activeKid(), kid);
      assert.equal((await verify(b, await b.mint({ sub: 'alice' }))).sub, 'alice');
    } finally {
      await b.close();
    }
  });

  it('rotates on POST /rotate from loopback', async () => {
    const issuer = await startDevIssuer({ port: 0, keyDir: join(tempDir(), 'k'), clock });
    try {
      const oldKid = issuer.activeKid();
      const res = await fetch(issuer.url + '/rotate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { kid: string };
      assert.notEqual(body.kid, oldKid);
      assert.equal(body.kid, issuer.activeKid());
      assert.equal(issuer.stats.rotations, 1);
    } finally {
      await issuer.close();
    }
  });

  it('refuses /token and /rotate from a non-loopback peer', async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return t.skip('no non-loopback IPv4 interface on this machine');
    const issuer = await startDevIssuer({ port: 0, host: '0.0.0.0', keyDir: join(tempDir(), 'k'), clock });
    try {
      const port = new URL(issuer.url).port;
      const kid = issuer.activeKid();
      for (const path of ['/token', '/rotate']) {
        const res = await raw(`http://${external.address}:${port}${path}`, { method: 'POST', headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'x' }) });
        assert.equal(res.status, 403, path);
      }
      assert.equal(issuer.activeKid(), kid);
      assert.equal(issuer.stats.tokensMinted, 0);
      // discovery stays public
      assert.equal((await raw(`http://${external.address}:${port}/.well-known/openid-configuration`, { method: 'GET' })).status, 200);
    } finally {
      await issuer.close();
    }
  });

  it('mints offline from the key folder with the iss the running issuer advertises', async () => {
    const keyDir = join(tempDir(), 'k');
    const issuer = await startDevIssuer({ port: 0, keyDir, clock });
    try {
      await issuer.rotate();
      const { token, issuer: iss, kid } = await mintFromKeyDir({ sub: 'dave', tid: 'northwind' }, { keyDir, clock });
      assert.equal(iss, issuer.issuer);
      assert.equal(kid, issuer.activeKid());
      const claims = await verify(issuer, token);
      assert.equal(claims.tid, 'northwind');
      const explicit = await mintFromKeyDir({ sub: 'dave' }, { keyDir, clock, issuer: 'http://elsewhere' });
      assert.equal(explicit.issuer, 'http://elsewhere');
    } finally {
      await issuer.close();
    }
  });

  it('creates keys offline when the folder is new, and a later issuer uses them', async () => {
    const keyDir = join(tempDir(), 'fresh');
    const { token, issuer: iss, kid } = await mintFromKeyDir({ sub: 'erin' }, { keyDir, clock });
    assert.equal(iss, 'http://127.0.0.1:8081');
    const issuer = await startDevIssuer({ port: 0, keyDir, clock });
    try {
      assert.equal(issuer.activeKid(), kid);
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
      assert.equal((await jwtVerify(token, jwks, { currentDate: new Date(now) })).payload.sub, 'erin');
    } finally {
      await issuer.close();
    }
  });
});
