/**
 * Issue 16: one trace from the gateway to the query. With an OpenTelemetry SDK registered (an
 * in-memory exporter), one request through the local stack gives the gateway's span, the
 * function's span and the database spans ONE trace id, each the child of the one before; the
 * gateway's log line, the function's audit line and the database's audit row carry the same
 * request id and trace id; and
 * no token, claim value (beyond oid/tid) or bound value appears in any span.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { registerGlobally } from '../../support/otel.js';
import { startStack, type Stack } from '../../../local/stack.js';
import type { GatewayLogEntry } from '../../../local/gateway/log.js';
import { sampleUsers } from '../../../rls/sample/index.js';
import { RedactingSpanProcessor } from '../../../functions/telemetry/redact.js';
import { sql, text } from '../../../functions/session/statement.js';
// the run's cache of a fresh initdb's dump, as npm start uses one (test/support/pglite.ts): not an initdb per stack
import { testPgliteCache } from '../../support/pglite.js';

describe('local stack: one trace from gateway to query', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter)] });
  let unregisterProvider: (() => Promise<void>) | undefined;
  let stack: Stack;
  let dir: string;
  const gatewayLines: GatewayLogEntry[] = [];
  const functionLines: string[] = [];
  before(async () => {
    unregisterProvider = registerGlobally(provider);
    dir = mkdtempSync(join(tmpdir(), 'apim-rls-trace-'));
    stack = await startStack({
      gatewayPort: 0,
      issuerPort: 0,
      functionsPort: 0,
      pgliteCache: testPgliteCache(),
      issuerKeyDir: join(dir, 'keys'),
      functionsLog: (_l, _f, m) => functionLines.push(m),
      gatewayLog: (e) => gatewayLines.push(e),
    });
  });
  after(async () => {
    await stack?.close();
    await unregisterProvider?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const audits = () => functionLines.filter((l) => l.startsWith('{"type":"apim-rls.audit"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const ofTrace = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  it('continues the caller\'s trace: gateway span → function span → database spans, one trace id, each the parent of the next', async () => {
    exporter.reset();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const alice = sampleUsers.alice;
    const token = await stack.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: [...alice.roles] });
    const item = 'trace-test-widget-5d1c9e';
    const quantity = 9473;
    const res = await fetch(stack.gateway.url + '/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: 'congo=t61rcWkgMzE' },
      body: JSON.stringify({ item, quantity }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const requestId = res.headers.get('x-request-id');
    assert.ok(requestId);

    const spans = ofTrace(callerTrace);
    const gateway = spans.find((s) => s.name === 'POST /orders');
    const fn = spans.find((s) => s.name === 'POST /api/orders');
    const db = spans.filter((s) => s.name.startsWith('pglite.query:'));
    assert.ok(gateway, `the gateway's span in the caller's trace (${exporter.getFinishedSpans().map((s) => s.name).join(', ')})`);
    assert.ok(fn, "the function's span in the caller's trace");
    assert.ok(db.length >= 2, 'the identity prelude and the statement, each a database span');
    assert.equal(parentOf(gateway), callerSpan, "the gateway's span continues the caller's span");
    assert.equal(parentOf(fn), gateway.spanContext().spanId, "the function's span is a child of the gateway's (the traceparent it forwarded)");
    for (const s of db) assert.equal(parentOf(s), fn.spanContext().spanId, 'each database span is a child of the function span');
    assert.equal(gateway.attributes['apim.request_id'], requestId);
    assert.equal(fn.attributes['apim_rls.request_id'], requestId);
    assert.equal(fn.attributes['http.response.status_code'], 201);
    assert.ok(db.some((s) => String(s.attributes['db.query.text']).includes('insert')), 'the statement text is recorded');

    // the gateway's line and the function's audit line: one request id, one trace id
    const line = gatewayLines.find((l) => l.CorrelationId === requestId);
    assert.ok(line, 'the gateway logged the request');
    assert.equal(line.TraceId, callerTrace);
    assert.equal(line.ResponseCode, 201);
    const audit = audits().find((a) => a.requestId === requestId);
    assert.ok(audit, 'the function audited the request');
    assert.equal(audit.traceId, callerTrace);
    // the audit row the insert wrote (read as the embedded database's owner): same request id, same trace id
    const rows = await stack.functions.runtime.deps.session.runWithoutIdentity(sql`select request_id, trace_id, operation, user_oid from audit.row_changes where request_id = ${text(requestId)}`);
    assert.deepEqual(rows.rows, [{ request_id: requestId, trace_id: callerTrace, operation: 'insert', user_oid: alice.oid }]);

    // nothing secret in any span: not the token (nor any of its parts), not a claim value beyond oid/tid, not a bound value
    const everything = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events })));
    for (const part of [token, ...token.split('.')]) assert.ok(!everything.includes(part), 'no token in a span');
    for (const value of [item, String(quantity), alice.sub, ...alice.roles]) assert.ok(!everything.includes(value), `no value ${value} in a span`);
    assert.ok(everything.includes(alice.oid), 'oid is there (enduser.id)');
  });

  it('a malformed traceparent is replaced: the gateway starts a new trace and the backend continues that one', async () => {
    exporter.reset();
    const bob = sampleUsers.bob;
    const token = await stack.issuer.mint({ sub: bob.sub, oid: bob.oid, tid: bob.tid, roles: [...bob.roles] });
    const malformed = '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01';
    const res = await fetch(stack.gateway.url + '/orders', { headers: { authorization: `Bearer ${token}`, traceparent: malformed, tracestate: 'congo=t61rcWkgMzE' } });
    assert.equal(res.status, 200);
    const requestId = res.headers.get('x-request-id');
    const gateway = exporter.getFinishedSpans().find((s) => s.name === 'GET /orders');
    assert.ok(gateway);
    const traceId = gateway.spanContext().traceId;
    assert.notEqual(traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(parentOf(gateway), undefined, 'a new trace: the gateway span is its root');
    const fn = ofTrace(traceId).find((s) => s.name === 'GET /api/orders');
    assert.ok(fn, 'the function continued the trace the gateway started');
    assert.equal(parentOf(fn), gateway.spanContext().spanId);
    assert.equal(gatewayLines.find((l) => l.CorrelationId === requestId)?.TraceId, traceId);
    assert.equal(audits().find((a) => a.requestId === requestId)?.traceId, traceId);
  });
});
