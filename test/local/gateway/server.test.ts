import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayServer, type GatewayExchange, type PipelineSet } from '../../../local/gateway/index.js';

describe('gateway server', () => {
  it('hands each operation its own pipeline, with the request as the policies see it', async () => {
    const seen: { pipeline: string; exchange: GatewayExchange }[] = [];
    const pipelines: PipelineSet = {
      forOperation: (op) => ({ send: async (exchange) => (seen.push({ pipeline: op.id, exchange }), { status: 200, headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, body: op.id }) }),
      forApi: () => ({ send: async (exchange) => (seen.push({ pipeline: 'api', exchange }), { status: 204, headers: {} }) }),
    };
    const server = await startGatewayServer({ pipelines });
    try {
      const res = await fetch(server.url + '/orders/a%2Fb?x=1&x=2', { method: 'PATCH', headers: { 'x-one': 'a', 'content-type': 'application/json' }, body: '{"q":1}' });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'update-order');
      const { exchange } = seen.at(-1)!;
      assert.equal(seen.at(-1)!.pipeline, 'update-order');
      assert.equal(exchange.method, 'PATCH');
      assert.equal(exchange.url.href, `${server.url}/orders/a%2Fb?x=1&x=2`);
      assert.equal(exchange.operationPath, '/orders/a%2Fb');
      assert.deepEqual(exchange.params, { id: 'a/b' });
      assert.deepEqual(exchange.headers['x-one'], ['a']);
      assert.equal(exchange.headers.host, undefined);
      assert.equal(exchange.headers.connection, undefined, 'hop-by-hop headers are dropped');
      assert.equal(exchange.body.toString(), '{"q":1}');
      assert.equal(exchange.clientIp, '127.0.0.1');
      const preflight = await fetch(server.url + '/orders/1', { method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'PUT' } });
      assert.equal(preflight.status, 204);
      assert.equal(seen.at(-1)!.pipeline, 'api');
      assert.equal(seen.at(-1)!.exchange.operation, undefined);
    } finally {
      await server.close();
    }
  });

  it('answers 500 with an activity id and no details when the policy engine fails', async () => {
    const failing = { send: async () => Promise.reject(new Error('secret internal detail')) };
    const server = await startGatewayServer({ pipelines: { forOperation: () => failing, forApi: () => failing } });
    try {
      const res = await fetch(server.url + '/me');
      assert.equal(res.status, 500);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.statusCode, 500);
      assert.equal(body.message, 'Internal server error');
      assert.match(String(body.activityId), /^[0-9a-f-]{36}$/);
      assert.ok(!JSON.stringify(body).includes('secret'));
    } finally {
      await server.close();
    }
  });

  it('builds every pipeline at start, so a broken policy fails the start', async () => {
    await assert.rejects(
      startGatewayServer({
        pipelines: {
          forOperation: (op) => {
            if (op.id === 'get-me') throw new Error('cannot compile get-me');
            return { send: async () => ({ status: 200, headers: {} }) };
          },
          forApi: () => ({ send: async () => ({ status: 200, headers: {} }) }),
        },
      }),
      /cannot compile get-me/,
    );
  });
});
