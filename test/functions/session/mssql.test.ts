import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sql from 'mssql';
import { HttpError } from '../../../functions/errors.js';
import { mapClaims, ordersClaimMap } from '../../../functions/identity/claim-map.js';
import { mssqlOrdersQueries } from '../../../functions/queries/orders-mssql.js';
import {
  buildMssqlPoolConfig,
  createMssqlSession,
  isTransientMssqlError,
  parseMssqlUrl,
  type MssqlPoolLike,
  type TokenCredentialLike,
} from '../../../functions/session/mssql.js';
import { loadConfig } from '../../../functions/config.js';
import { createRuntime } from '../../../functions/runtime.js';
import azureFunctions from '@azure/functions';
const { HttpRequest, InvocationContext } = azureFunctions;
import { createOpenIdKeySource, type OpenIdKeySource } from '../../../functions/identity/keys.js';
import { sampleUsers } from '../../../rls/sample/index.js';
import { call } from '../support/call.js';
import { fixedNow, startTestIssuer, testConfig } from '../support/issuer.js';

interface Input {
  name: string;
  type: unknown;
  value: unknown;
}
interface Batch {
  text: string;
  inputs: Input[];
  /** the per-request overrides (`pool.request({ requestTimeout })`) */
  overrides: { requestTimeout?: number } | undefined;
}

/**
 * A fake mssql-shaped pool: records every batch with its bound inputs and request overrides;
 * answers from a script. 'hang' never answers until `request.cancel()`, which then fails the
 * batch as mssql does (RequestError ECANCEL).
 */
function fakePool(answer: (batch: Batch, n: number) => { recordset?: Record<string, unknown>[]; rowsAffected: number[] } | Error | 'hang' = () => ({ recordset: [], rowsAffected: [0] })) {
  const batches: Batch[] = [];
  let closed = false;
  let cancels = 0;
  const pool: MssqlPoolLike = {
    request(overrides?: { requestTimeout?: number }) {
      const inputs: Input[] = [];
      let cancel: (() => void) | null = null;
      return {
        input(name: string, type: unknown, value: unknown) {
          inputs.push({ name, type, value });
          return this;
        },
        async query(text: string) {
          const batch = { text, inputs, overrides };
          batches.push(batch);
          const a = answer(batch, batches.length);
          if (a === 'hang') {
            return new Promise<never>((_resolve, reject) => {
              cancel = () => reject(sqlError({ code: 'ECANCEL', name: 'RequestError' }));
            });
          }
          if (a instanceof Error) throw a;
          return a;
        },
        cancel() {
          cancels++;
          cancel?.();
        },
      };
    },
    async close() {
      closed = true;
    },
  };
  return { pool, batches, isClosed: () => closed, cancels: () => cancels };
}

function sqlError(props: Record<string, unknown>): Error {
  return Object.assign(new Error('simulated'), props);
}

const alice = mapClaims({ tid: 'contoso', oid: 'oid-a1', roles: ['Orders.Read', 'Orders.Write'] }, ordersClaimMap, 'req-1');
const keys = ordersClaimMap.map((r) => r.key);

describe('mssql identity session', () => {
  it('sends ONE batch: every session key set by sp_set_session_context with key and value bound, then the statement', async () => {
    const { pool, batches } = fakePool(() => ({ recordset: [{ id: 1 }], rowsAffected: [1] }));
    const session = createMssqlSession({ pool, sessionKeys: keys });
    const r = await session.run(alice, mssqlOrdersQueries.get(42));
    assert.equal(batches.length, 1);
    assert.deepEqual(r.rows, [{ id: 1 }]);
    const batch = batches[0]!;
    assert.equal(
      batch.text,
      [
        'EXEC sp_set_session_context @key = @k0, @value = @v0, @read_only = 0;',
        'EXEC sp_set_session_context @key = @k1, @value = @v1, @read_only = 0;',
        'EXEC sp_set_session_context @key = @k2, @value = @v2, @read_only = 0;',
        'EXEC sp_set_session_context @key = @k3, @value = @v3, @read_only = 0;',
        'EXEC sp_set_session_context @key = @k4, @value = @v4, @read_only = 0;',
        'SELECT o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at',
        'FROM app.orders AS o WHERE o.id = @a0;',
      ].join('\n'),
    );
    assert.deepEqual(
      batch.inputs.map((i) => [i.name, i.value]),
      [
        ['k0', 'tenant_id'], ['v0', 'contoso'],
        ['k1', 'user_oid'], ['v1', 'oid-a1'],
        ['k2', 'roles'], ['v2', '["Orders.Read","Orders.Write"]'],
        ['k3', 'request_id'], ['v3', 'req-1'],
        ['k4', 'trace_id'], ['v4', null],
        ['a0', 42],
      ],
    );
    // keys are sysname-sized nvarchar, values nvarchar(4000), the id a bigint
    const k0 = batch.inputs[0]!.type as { type: unknown; length: number };
    assert.equal(k0.type, sql.NVarChar);
    assert.equal(k0.length, 128);
    const v0 = batch.inputs[1]!.type as { type: unknown; length: number };
    assert.equal(v0.type, sql.NVarChar);
    assert.equal(v0.length, 4000);
    assert.equal(batch.inputs[10]!.type, sql.BigInt);
    // no caller value ever appears in the SQL text
    for (const v of ['contoso', 'oid-a1', 'Orders.Read', 'req-1', '42']) assert.ok(!batch.text.includes(v), v);
  });

  it('no leak: every batch overwrites EVERY key, with NULL for a key the caller lacks — also for the health check', async () => {
    const { pool, batches } = fakePool();
    const session = createMssqlSession({ pool, sessionKeys: keys });
    await session.run(alice, mssqlOrdersQueries.list(10, 0));
    const noRoles = mapClaims({ tid: 'fabrikam', oid: 'oid-c1' }, ordersClaimMap, 'req-2');
    await session.run(noRoles, mssqlOrdersQueries.list(10, 0));
    await session.run([{ key: 'tenant_id', value: 'adatum' }], mssqlOrdersQueries.list(10, 0));
    await session.runWithoutIdentity(mssqlOrdersQueries.ping());
    assert.equal(batches.length, 4);
    for (const b of batches) {
      assert.equal(b.text.match(/EXEC sp_set_session_context/g)?.length, 5, 'five keys overwritten in every batch');
      assert.ok(!b.text.includes('@read_only = 1'));
      assert.deepEqual(b.inputs.filter((i) => i.name.startsWith('k')).map((i) => i.value), keys);
    }
    const values = (b: Batch) => b.inputs.filter((i) => /^v\d$/.test(i.name)).map((i) => i.value);
    assert.deepEqual(values(batches[1]!), ['fabrikam', 'oid-c1', '[]', 'req-2', null]);
    assert.deepEqual(values(batches[2]!), ['adatum', null, null, null, null]);
    assert.deepEqual(values(batches[3]!), [null, null, null, null, null]);
  });

  it('refuses a key outside the declared session keys (allow-list)', async () => {
    const { pool, batches } = fakePool();
    const session = createMssqlSession({ pool, sessionKeys: keys });
    await assert.rejects(session.run([{ key: 'is_admin', value: '1' }], mssqlOrdersQueries.ping()), (e: unknown) => e instanceof HttpError && e.status === 500);
    assert.equal(batches.length, 0);
  });

  it('maps error 33504 (block predicate) to 403 and does not retry it', async () => {
    const { pool, batches } = fakePool(() => sqlError({ number: 33504 }));
    const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
    await assert.rejects(session.run(alice, mssqlOrdersQueries.create({ item: 'x', quantity: 1 })), (e: unknown) => e instanceof HttpError && e.status === 403 && e.code === 'FN_300_FORBIDDEN_BY_POLICY');
    assert.equal(batches.length, 1);
  });

  it('maps unique and foreign-key violations to 409, other errors to 500 without the message', async () => {
    for (const [n, status] of [[2627, 409], [2601, 409], [547, 409], [208, 500]] as const) {
      const { pool } = fakePool(() => sqlError({ number: n, message: 'Invalid object name secret_table' }));
      const session = createMssqlSession({ pool, sessionKeys: keys });
      await assert.rejects(session.run(alice, mssqlOrdersQueries.ping()), (e: unknown) => e instanceof HttpError && e.status === status && !e.message.includes('secret'));
    }
  });

  for (const transient of [40613, 40197, 40501, 40540, 40143, 49918, 49919, 49920, 4060, 4221, 10928, 10929, 1205, 42108, 42109]) {
    it(`retries transient error ${transient} with backoff, then succeeds`, async () => {
      const { pool, batches } = fakePool((_b, n) => (n < 3 ? sqlError({ number: transient }) : { recordset: [{ ok: 1 }], rowsAffected: [1] }));
      const delays: number[] = [];
      const session = createMssqlSession({ pool, sessionKeys: keys, retryDelayInMs: 50, sleep: async (ms) => void delays.push(ms) });
      const r = await session.run(alice, mssqlOrdersQueries.ping());
      assert.deepEqual(r.rows, [{ ok: 1 }]);
      assert.equal(batches.length, 3);
      assert.deepEqual(delays, [50, 100]);
    });
  }

  for (const code of ['ETIMEOUT', 'ECONNRESET', 'ESOCKET', 'ECONNCLOSED']) {
    it(`retries connection error ${code} a bounded number of times, then answers 503 with Retry-After`, async () => {
      const { pool, batches } = fakePool(() => sqlError({ code, name: 'ConnectionError' }));
      const delays: number[] = [];
      const session = createMssqlSession({ pool, sessionKeys: keys, maxRetries: 3, retryDelayInMs: 10, retryAfterSeconds: 7, sleep: async (ms) => void delays.push(ms) });
      await assert.rejects(session.run(alice, mssqlOrdersQueries.ping()), (e: unknown) => e instanceof HttpError && e.status === 503 && e.retryAfterSeconds === 7);
      assert.equal(batches.length, 4, 'first attempt + 3 retries');
      assert.deepEqual(delays, [10, 20, 40]);
    });
  }

  // item 5 of issue 14: no double write after a timeout (these failed before the fix: the update
  // and the delete were sent 4 times)
  for (const [name, statement] of [
    ['update', () => mssqlOrdersQueries.update(7, { quantity: 2 })],
    ['remove', () => mssqlOrdersQueries.remove(7)],
  ] as const) {
    for (const code of ['ETIMEOUT', 'ECONNRESET', 'ESOCKET', 'ECONNCLOSED']) {
      it(`${name}: a RequestError ${code} after the batch was sent is never repeated → 503 db_outcome_unknown, sent once`, async () => {
        const { pool, batches } = fakePool(() => sqlError({ code, name: 'RequestError' }));
        const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
        await assert.rejects(session.run(alice, statement()), (e: unknown) => e instanceof HttpError && e.status === 503 && e.reason === `db_outcome_unknown:${code}` && /may or may not/.test(e.message));
        assert.equal(batches.length, 1);
      });
    }
    it(`${name}: a transient server error (1205 deadlock victim) is not repeated either (the batch ran)`, async () => {
      const { pool, batches } = fakePool(() => sqlError({ number: 1205, name: 'RequestError' }));
      const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
      await assert.rejects(session.run(alice, statement()), (e: unknown) => e instanceof HttpError && e.status === 503 && e.reason === 'db_outcome_unknown:1205');
      assert.equal(batches.length, 1);
    });
    it(`${name}: a ConnectionError (the pool could not give a connection: nothing sent) is retried, the same batch`, async () => {
      const { pool, batches } = fakePool((_b, n) => (n < 2 ? sqlError({ code: 'ESOCKET', name: 'ConnectionError' }) : { recordset: [{ visible: true }], rowsAffected: [1] }));
      const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
      await session.run(alice, statement());
      assert.equal(batches.length, 2);
      assert.equal(batches[1]!.text, batches[0]!.text);
    });
  }

  it('create is idempotent by the request id, so a RequestError ECONNRESET is retried with the exact same batch and request id', async () => {
    const { pool, batches } = fakePool((_b, n) => (n < 2 ? sqlError({ code: 'ECONNRESET', name: 'RequestError' }) : { recordset: [{ id: 9 }], rowsAffected: [1, 0, 1] }));
    const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
    const r = await session.run(alice, mssqlOrdersQueries.create({ item: 'widget', quantity: 2 }));
    assert.deepEqual(r.rows, [{ id: 9 }]);
    assert.equal(batches.length, 2);
    const [first, second] = batches as [Batch, Batch];
    assert.equal(second.text, first.text);
    assert.deepEqual(second.inputs.map((i) => [i.name, i.value]), first.inputs.map((i) => [i.name, i.value]));
    assert.deepEqual(first.inputs.find((i) => i.name === 'v3')?.value, 'req-1');
    // the statement inserts only when no row of this caller carries the request id, then reads the row back by it
    const statement = first.text.slice(first.text.indexOf('DECLARE'));
    assert.equal(
      statement,
      [
        'DECLARE @input TABLE (item nvarchar(200) NOT NULL, quantity int NOT NULL);',
        'INSERT INTO @input (item, quantity) VALUES (@a0, @a1);',
        'INSERT INTO app.orders (tenant_id, owner_oid, item, quantity, request_id)',
        "SELECT CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)), CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)), i.item, i.quantity, CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128))",
        'FROM @input AS i',
        'WHERE NOT EXISTS (SELECT 1 FROM app.orders AS o',
        "  WHERE o.request_id = CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128)) COLLATE Latin1_General_100_BIN2",
        "    AND o.tenant_id = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2",
        "    AND o.owner_oid = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2",
        '    AND o.item = i.item COLLATE Latin1_General_100_BIN2 AND o.quantity = i.quantity);',
        'SELECT o.id, o.tenant_id, o.owner_oid, o.item, o.quantity, o.status, o.created_at',
        'FROM app.orders AS o JOIN @input AS i ON o.item = i.item COLLATE Latin1_General_100_BIN2 AND o.quantity = i.quantity',
        "WHERE o.request_id = CAST(SESSION_CONTEXT(N'request_id') AS nvarchar(128)) COLLATE Latin1_General_100_BIN2",
        "  AND o.tenant_id = CAST(SESSION_CONTEXT(N'tenant_id') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2",
        "  AND o.owner_oid = CAST(SESSION_CONTEXT(N'user_oid') AS nvarchar(64)) COLLATE Latin1_General_100_BIN2;",
      ].join('\n'),
    );
  });

  it('reads are repeatable, update and remove are not', () => {
    const q = mssqlOrdersQueries;
    for (const s of [q.list(10, 0), q.get(1), q.me(), q.ping(), q.create({ item: 'x', quantity: 1 })]) assert.equal(s.repeatable, true);
    for (const s of [q.update(1, { quantity: 2 }), q.remove(1)]) assert.equal(s.repeatable, undefined);
  });

  it('reads the error number where tedious nests it (originalError.info.number)', () => {
    assert.equal(isTransientMssqlError(sqlError({ originalError: { info: { number: 40613 } } })), true);
    assert.equal(isTransientMssqlError(sqlError({ number: 33504 })), false);
    assert.equal(isTransientMssqlError(sqlError({ code: 'ELOGIN' })), false);
  });
});

describe('mssql pool configuration', () => {
  const credential: TokenCredentialLike = { getToken: async () => ({ token: 'not-a-real-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };

  it('authenticates with the shared credential (token-credential) and validates connections without SELECT 1', () => {
    const cfg = buildMssqlPoolConfig({ server: 'srv.database.windows.net', database: 'orders', credential, max: 4 });
    assert.deepEqual(cfg.authentication, { type: 'token-credential', options: { credential } });
    assert.equal((cfg.authentication as { options: { credential: unknown } }).options.credential, credential, 'the same object, not a copy');
    assert.equal(cfg.validateConnection, 'socket');
    assert.equal(cfg.pool?.max, 4);
    assert.equal(cfg.options?.encrypt, true);
    assert.equal(cfg.user, undefined);
    assert.equal(cfg.password, undefined);
  });

  it('parses mssql:// URLs and refuses a user or password in them', () => {
    assert.deepEqual(parseMssqlUrl('mssql://srv.database.windows.net/orders'), { server: 'srv.database.windows.net', database: 'orders' });
    assert.throws(() => parseMssqlUrl('mssql://sa:pw@srv/orders'), /managed identity only/);
    assert.throws(() => parseMssqlUrl('mssql://srv/'), TypeError);
  });

  it('the runtime creates the request pool and health\'s own pool of one once, both with the one credential passed in and the deadline as requestTimeout, and reuses them', async () => {
    const { pool, batches } = fakePool(() => ({ recordset: [], rowsAffected: [0] }));
    const configs: unknown[] = [];
    let tokenCalls = 0;
    const shared: TokenCredentialLike = { getToken: async () => (tokenCalls++, { token: 't', expiresOnTimestamp: 0 }) };
    const config = loadConfig({ APIM_RLS_DB: 'mssql://srv.database.windows.net/orders', APIM_RLS_OPENID_CONFIG_URL: 'http://127.0.0.1:9/.well-known/openid-configuration', APIM_RLS_AUDIENCE: 'api://apim-rls-orders' });
    // a trust boundary stand-in is not needed: health has no identity
    const keys: OpenIdKeySource = { issuer: async () => 'x', getKey: async () => { throw new Error('not used'); } };
    const runtime = await createRuntime({
      config,
      credential: shared,
      keys,
      mssqlPoolFactory: (c) => {
        configs.push(c);
        return pool;
      },
    });
    for (let i = 0; i < 20; i++) {
      const res = await runtime.handlers.health.handler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), new InvocationContext({ logHandler: () => undefined }));
      assert.equal(res.status, 200);
    }
    assert.equal(configs.length, 2, 'the request pool and the health pool, each created once');
    const [requests, health] = configs as { authentication: { options: { credential: unknown } }; pool: { max: number; acquireTimeoutMillis: number }; requestTimeout: number }[];
    assert.equal(requests!.pool.max, 10);
    assert.equal(health!.pool.max, 1, 'health never takes more than one connection');
    for (const c of [requests!, health!]) {
      assert.equal(c.authentication.options.credential, shared, 'the credential passed in, not a new one');
      assert.equal(c.requestTimeout, 25_000, 'the request deadline bounds every batch');
      assert.equal(c.pool.acquireTimeoutMillis, 25_000, 'and every pool acquire');
    }
    // health's batch carries its own bound (5 s): the query itself is bounded
    for (const b of batches) assert.ok(b.overrides?.requestTimeout !== undefined && b.overrides.requestTimeout <= 5000 && b.overrides.requestTimeout > 4000, JSON.stringify(b.overrides));
    assert.equal(batches.length, 20, 'one batch per request: identity adds no round trip');
    assert.equal(tokenCalls, 0, 'the driver never asks for tokens itself (tedious does, per login)');
    await runtime.close();
  });
});

describe('mssql connection', () => {
  it('connects on first use with one shared attempt, and reconnects after a failed connect', async () => {
    const { pool: base, batches } = fakePool(() => ({ recordset: [{ ok: 1 }], rowsAffected: [1] }));
    let connected = false;
    let connects = 0;
    const pool = {
      ...base,
      get connected() {
        return connected;
      },
      async connect() {
        connects++;
        await new Promise((r) => setTimeout(r, 5));
        if (connects === 1) throw sqlError({ code: 'ESOCKET', name: 'ConnectionError' });
        connected = true;
      },
    };
    const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
    const results = await Promise.all(Array.from({ length: 5 }, () => session.run(alice, mssqlOrdersQueries.ping())));
    assert.equal(results.length, 5);
    assert.equal(connects, 2, 'one failed attempt shared by all, then one that worked');
    assert.equal(batches.length, 5);
  });

  it('a failed managed-identity login → 503 without retrying', async () => {
    let connects = 0;
    const { pool: base, batches } = fakePool();
    const pool = { ...base, connected: false, connect: async () => { connects++; throw sqlError({ code: 'ELOGIN', name: 'ConnectionError' }); } };
    const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
    await assert.rejects(session.run(alice, mssqlOrdersQueries.ping()), (e: unknown) => e instanceof HttpError && e.status === 503 && e.reason === 'db_login_failed');
    assert.equal(connects, 1);
    assert.equal(batches.length, 0);
  });
});

describe('mssql request deadline', () => {
  const isDeadline = (reason: string) => (e: unknown) => {
    assert.ok(e instanceof HttpError);
    assert.equal(e.code, 'FN_510_DEADLINE_EXCEEDED');
    assert.equal(e.status, 503);
    assert.ok((e.retryAfterSeconds ?? 0) > 0);
    assert.equal(e.reason, reason);
    return true;
  };

  it('each batch carries the time left as its own requestTimeout; the batch itself is unchanged', async () => {
    const { pool, batches } = fakePool(() => ({ recordset: [{ id: 1 }], rowsAffected: [1] }));
    const session = createMssqlSession({ pool, sessionKeys: keys });
    await session.run(alice, mssqlOrdersQueries.get(42), { timeoutInMs: 5000 });
    await session.run(alice, mssqlOrdersQueries.get(42));
    assert.equal(batches.length, 2);
    const t = batches[0]!.overrides?.requestTimeout;
    assert.ok(t !== undefined && t <= 5000 && t > 4000, String(t));
    assert.equal(batches[1]!.overrides, undefined, 'no deadline: the pool default applies');
    assert.equal(batches[0]!.text, batches[1]!.text);
    assert.deepEqual(batches[0]!.inputs.map((i) => [i.name, i.value]), batches[1]!.inputs.map((i) => [i.name, i.value]));
  });

  it('the batch timed out by the server side of the deadline (RequestError ETIMEOUT) → 503 FN_510, never retried', async () => {
    const { pool, batches } = fakePool(() => sqlError({ code: 'ETIMEOUT', name: 'RequestError' }));
    const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
    await assert.rejects(session.run(alice, mssqlOrdersQueries.create({ item: 'x', quantity: 1 }), { timeoutInMs: 5000 }), isDeadline('deadline:ETIMEOUT'));
    assert.equal(batches.length, 1, 'a write that timed out is not sent again');
  });

  it('a batch that never answers: request.cancel() once the grace after the deadline passes → 503 FN_510, sent once', async () => {
    const { pool, batches, cancels } = fakePool(() => 'hang');
    const session = createMssqlSession({ pool, sessionKeys: keys, sleep: async () => undefined });
    await assert.rejects(session.run(alice, mssqlOrdersQueries.create({ item: 'x', quantity: 1 }), { timeoutInMs: 200 }), isDeadline('deadline:cancel'));
    assert.equal(cancels(), 1);
    assert.equal(batches.length, 1);
  });

  it('a connect that hangs is bounded by the time left', async () => {
    const { pool: base, batches } = fakePool();
    const pool = { ...base, connected: false, connect: () => new Promise<never>(() => undefined) };
    const session = createMssqlSession({ pool, sessionKeys: keys });
    await assert.rejects(session.run(alice, mssqlOrdersQueries.ping(), { timeoutInMs: 200 }), isDeadline('deadline:connect'));
    assert.equal(batches.length, 0);
  });

  it('a retry starts only when the time left covers its backoff; with time enough the policy is unchanged; a spent deadline sends nothing', async () => {
    const { pool, batches } = fakePool(() => sqlError({ number: 40613 }));
    const session = createMssqlSession({ pool, sessionKeys: keys, maxRetries: 3, retryDelayInMs: 200 });
    // 600 ms: the first retry (200 ms) fits, the second (400 ms) no longer does
    await assert.rejects(session.run(alice, mssqlOrdersQueries.ping(), { timeoutInMs: 600 }), (e: unknown) => e instanceof HttpError && e.status === 503 && (e.reason === 'db_unavailable:40613' || e.reason.startsWith('deadline:')));
    assert.ok(batches.length >= 1 && batches.length <= 2, `batches: ${batches.length} (4 without the deadline)`);
    batches.length = 0;
    const delays: number[] = [];
    const patient = createMssqlSession({ pool, sessionKeys: keys, maxRetries: 3, retryDelayInMs: 10, sleep: async (ms) => void delays.push(ms) });
    await assert.rejects(patient.run(alice, mssqlOrdersQueries.ping(), { timeoutInMs: 60_000 }), (e: unknown) => e instanceof HttpError && e.reason === 'db_unavailable:40613');
    assert.deepEqual(delays, [10, 20, 40]);
    assert.equal(batches.length, 4);
    batches.length = 0;
    await assert.rejects(session.run(alice, mssqlOrdersQueries.ping(), { timeoutInMs: 0 }), isDeadline('deadline:before_query'));
    assert.equal(batches.length, 0);
  });

  it('through the handler pipeline: a POST whose batch does not answer within APIM_RLS_REQUEST_DEADLINE_MS → 503 FN_510 problem+json with Retry-After', async () => {
    const t = await startTestIssuer();
    try {
      const { pool, batches, cancels } = fakePool(() => 'hang');
      const config = testConfig(t.issuer, { APIM_RLS_DB: 'mssql://srv.database.windows.net/orders', APIM_RLS_REQUEST_DEADLINE_MS: '300' });
      const credential: TokenCredentialLike = { getToken: async () => ({ token: 't', expiresOnTimestamp: 0 }) };
      const runtime = await createRuntime({ config, credential, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow, mssqlPoolFactory: () => pool });
      const { alice } = sampleUsers;
      const token = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read', 'Orders.Write'] });
      const r = await call(runtime, 'createOrder', { token, body: { item: 'never-answered', quantity: 1 } });
      assert.equal(r.status, 503, r.body);
      assert.equal(r.headers['content-type'], 'application/problem+json');
      assert.ok(Number(r.headers['retry-after']) > 0);
      assert.equal((r.json as { code: string }).code, 'FN_510_DEADLINE_EXCEEDED');
      assert.equal(batches.length, 1, 'sent once, not retried');
      assert.ok((batches[0]!.overrides?.requestTimeout ?? Infinity) <= 300, 'the batch carried the time left');
      assert.equal(cancels(), 1, 'and was cancelled');
      await runtime.close();
    } finally {
      await t.close();
    }
  });
});
