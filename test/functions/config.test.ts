import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../functions/config.js';

const base = { APIM_RLS_DB: 'pglite:memory', APIM_RLS_OPENID_CONFIG_URL: 'https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration', APIM_RLS_AUDIENCE: 'api://apim-rls-orders' };

describe('config', () => {
  it('validates, applies defaults and freezes', () => {
    const c = loadConfig({ ...base, UNRELATED: 'x' });
    assert.equal(c.authMode, 'caller-token');
    assert.equal(c.dbRole, 'apim_rls_app');
    assert.equal(c.maxBodyBytes, 16384);
    assert.equal(c.gatewayAudience, 'api://apim-rls-orders');
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.gatewayClientIds));
    assert.equal('UNRELATED' in c, false);
  });

  it('lists every problem in one error, naming each setting', () => {
    assert.throws(() => loadConfig({ APIM_RLS_DB: 'mysql://x', APIM_RLS_DB_POOL_MAX: 'many' }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'FN_CONFIG_INVALID');
      const text = e.problems.join('\n');
      for (const name of ['APIM_RLS_DB', 'APIM_RLS_OPENID_CONFIG_URL', 'APIM_RLS_AUDIENCE', 'APIM_RLS_DB_POOL_MAX']) assert.match(text, new RegExp(name));
      assert.match(e.message, /invalid app settings/);
      return true;
    });
  });

  it('gateway modes need the allow-list of gateway identities', () => {
    assert.throws(() => loadConfig({ ...base, APIM_RLS_AUTH_MODE: 'gateway-token' }), /APIM_RLS_GATEWAY_CLIENT_IDS/);
    const c = loadConfig({ ...base, APIM_RLS_AUTH_MODE: 'either', APIM_RLS_GATEWAY_CLIENT_IDS: ' a , b ,' });
    assert.deepEqual(c.gatewayClientIds, ['a', 'b']);
  });

  it('refuses an unknown auth mode (there is no mode without proof)', () => {
    assert.throws(() => loadConfig({ ...base, APIM_RLS_AUTH_MODE: 'none' }), /APIM_RLS_AUTH_MODE/);
    assert.throws(() => loadConfig({ ...base, APIM_RLS_AUTH_MODE: 'headers' }), /APIM_RLS_AUTH_MODE/);
  });

  it('refuses Entra auth for a non-PostgreSQL database and a role that is not an identifier', () => {
    assert.throws(() => loadConfig({ ...base, APIM_RLS_PG_ENTRA_AUTH: 'true' }), /APIM_RLS_PG_ENTRA_AUTH/);
    assert.throws(() => loadConfig({ ...base, APIM_RLS_DB_ROLE: 'x; drop role y' }), /APIM_RLS_DB_ROLE/);
  });

  it('PostgreSQL prepared statements: on by default, off with false (a transaction-mode pooler), anything else refused', () => {
    assert.equal(loadConfig(base).pgPreparedStatements, true);
    assert.equal(loadConfig({ ...base, APIM_RLS_PG_PREPARED_STATEMENTS: 'false' }).pgPreparedStatements, false);
    assert.throws(() => loadConfig({ ...base, APIM_RLS_PG_PREPARED_STATEMENTS: 'no' }), /APIM_RLS_PG_PREPARED_STATEMENTS/);
  });

  it('the request deadline: 25 s by default, below host.json functionTimeout; validated with the other settings', () => {
    const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')) as { functionTimeout: string };
    const [h, m, sec] = host.functionTimeout.split(':').map(Number) as [number, number, number];
    const functionTimeoutMs = ((h * 60 + m) * 60 + sec) * 1000;
    const c = loadConfig(base);
    assert.equal(c.requestDeadlineMs, 25_000);
    // room left for the answer, the audit line and the driver's cancellation before the host gives up
    assert.ok(functionTimeoutMs - c.requestDeadlineMs >= 5_000, `functionTimeout ${host.functionTimeout} vs deadline ${c.requestDeadlineMs} ms`);
    assert.equal(loadConfig({ ...base, APIM_RLS_REQUEST_DEADLINE_MS: '8000' }).requestDeadlineMs, 8000);
    for (const bad of ['50', '230001', 'soon', '1.5']) {
      assert.throws(() => loadConfig({ ...base, APIM_RLS_REQUEST_DEADLINE_MS: bad }), (e: unknown) => e instanceof ConfigError && /APIM_RLS_REQUEST_DEADLINE_MS/.test(e.message), bad);
    }
  });
});
