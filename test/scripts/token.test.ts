/** `apim-rls token`: the flags, and the command in-process through the CLI's `main` (test/support/cli.ts) and once as a spawned process. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startDevIssuer, type DevIssuer } from '../../local/issuer/index.js';
import { mintRequestFromFlags } from '../../scripts/commands/token.js';
import { CliError } from '../../scripts/exit-codes.js';
import { sampleUsers } from '../../rls/sample/index.js';
import { runCli as cli, spawnCli } from '../support/cli.js';

const flags = (over: Partial<Parameters<typeof mintRequestFromFlags>[0]>) => ({ roles: [], scp: [], aud: [], claim: [], ...over });

describe('apim-rls token: flags', () => {
  it('maps flags to a mint request', () => {
    assert.deepEqual(mintRequestFromFlags(flags({ sub: 'alice', tid: 'contoso', roles: ['Orders.Read,Orders.Write', 'Orders.Admin'], scp: ['a b', 'c'], aud: ['api://x'], ttl: '60', claim: ['azp=client', 'n=5'] })), {
      sub: 'alice',
      oid: sampleUsers.alice.oid,
      tid: 'contoso',
      roles: ['Orders.Read', 'Orders.Write', 'Orders.Admin'],
      scp: ['a', 'b', 'c'],
      aud: 'api://x',
      ttlSeconds: 60,
      extra: { azp: 'client', n: 5 },
    });
    assert.deepEqual(mintRequestFromFlags(flags({ sub: 'a', aud: ['api://x', 'api://y'] })).aud, ['api://x', 'api://y']);
    assert.equal(mintRequestFromFlags(flags({ sub: 'a' })).oid, undefined, 'no persona: the issuer derives oid');
  });

  it('takes oid and tid from the sample persona named by --sub unless given', () => {
    const carol = mintRequestFromFlags(flags({ sub: 'carol' }));
    assert.equal(carol.oid, sampleUsers.carol.oid);
    assert.equal(carol.tid, 'fabrikam');
    const overridden = mintRequestFromFlags(flags({ sub: 'carol', oid: 'x1', tid: 'contoso' }));
    assert.equal(overridden.oid, 'x1');
    assert.equal(overridden.tid, 'contoso');
  });

  it('refuses bad flags with exit code 2', () => {
    const bad = [flags({}), flags({ sub: 'a', ttl: '0' }), flags({ sub: 'a', ttl: '1.5' }), flags({ sub: 'a', ttl: '999999' }), flags({ sub: 'a', claim: ['novalue'] }), flags({ sub: 'a', tid: '' })];
    for (const f of bad) {
      assert.throws(() => mintRequestFromFlags(f), (err: unknown) => err instanceof CliError && err.exitCode === 2, JSON.stringify(f));
    }
  });
});

describe('apim-rls token: command', () => {
  let issuer: DevIssuer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apim-rls-token-'));
    issuer = await startDevIssuer({ port: 0, keyDir: join(dir, 'keys') });
  });
  after(async () => {
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('as a process: only the token on stdout (exit 0), verified against the running issuer; without --sub exit 2 and no token', async () => {
    const r = await spawnCli(['token', '--sub', 'alice', '--tid', 'contoso', '--issuer-dir', join(dir, 'keys')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `apim-rls: iss ${issuer.issuer}: the issuer running on ${join(dir, 'keys')}\n`);
    assert.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload } = await jwtVerify(r.stdout.trim(), createRemoteJWKSet(new URL(issuer.jwksUri)), { issuer: issuer.issuer, audience: 'api://apim-rls-orders' });
    assert.equal(payload.sub, 'alice');
    const bad = await spawnCli(['token', '--tid', 'contoso', '--issuer-dir', join(dir, 'keys')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr, 'apim-rls: --sub is required\n');
  });

  it('prints only a token that verifies against the running issuer', async () => {
    const r = await cli(['token', '--sub', 'alice', '--tid', 'contoso', '--roles', 'Orders.Read', '--ttl', '600', '--issuer-dir', join(dir, 'keys')]);
    assert.equal(r.code, 0, r.stderr);
    // the issuer on the key folder answers, so its URL is the iss, and stderr says which
    assert.equal(r.stderr, `apim-rls: iss ${issuer.issuer}: the issuer running on ${join(dir, 'keys')}\n`);
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[1], '');
    const { payload } = await jwtVerify(lines[0]!, createRemoteJWKSet(new URL(issuer.jwksUri)), { issuer: issuer.issuer, audience: 'api://apim-rls-orders' });
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.oid, sampleUsers.alice.oid);
    assert.equal(payload.tid, 'contoso');
    assert.deepEqual(payload.roles, ['Orders.Read']);
    assert.equal(payload.exp! - payload.iat!, 600);
  });

  it('honours --issuer-url and --aud', async () => {
    const r = await cli(['token', '--sub', 'bob', '--aud', 'api://other', '--issuer-url', 'http://127.0.0.1:9999/', '--issuer-dir', join(dir, 'keys')]);
    assert.equal(r.code, 0, r.stderr);
    const { payload } = await jwtVerify(r.stdout.trim(), createRemoteJWKSet(new URL(issuer.jwksUri)), { issuer: 'http://127.0.0.1:9999', audience: 'api://other' });
    assert.equal(payload.sub, 'bob');
  });

  it('exits 2 with a message and no token on bad arguments', async () => {
    for (const args of [['token', '--tid', 'contoso'], ['token', '--sub', 'a', '--ttl', 'soon'], ['token', '--sub', 'a', '--bogus']]) {
      const r = await cli([...args, '--issuer-dir', join(dir, 'keys')]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /--sub|--ttl|bogus/);
    }
  });
});

it('token --help shows no "(default: [])" on the repeatable flags (regression)', async () => {
  const r = await cli(['token', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /--aud <audience> +audience \(repeatable; default api:\/\/apim-rls-orders\)\n/);
  assert.doesNotMatch(r.stdout, /default: \[\]/);
});

it('token after the issuer on its key folder stopped mints for the default issuer and says so (regression: it kept the stopped issuer iss)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'apim-rls-token-stopped-'));
  try {
    const keys = join(dir, 'keys');
    const gone = await startDevIssuer({ port: 0, keyDir: keys });
    const goneUrl = gone.issuer;
    await gone.close();
    const r = await cli(['token', '--sub', 'alice', '--issuer-dir', keys]);
    assert.equal(r.code, 0, r.stderr);
    const payload = JSON.parse(Buffer.from(r.stdout.trim().split('.')[1]!, 'base64url').toString('utf8')) as { iss: string };
    assert.equal(payload.iss, 'http://127.0.0.1:8081');
    assert.equal(r.stderr, `apim-rls: iss http://127.0.0.1:8081: the issuer last started on ${keys} (${goneUrl}) is not running; pass --issuer-url to choose\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

