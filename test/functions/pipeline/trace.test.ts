/**
 * The request span and the trace_id session key: from InvocationContext.traceContext (as the
 * Functions host fills it), with and without an OpenTelemetry SDK.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createOpenIdKeySource } from '../../../functions/identity/keys.js';
import { invocationParent } from '../../../functions/pipeline/trace.js';
import { createRuntime, type Runtime } from '../../../functions/runtime.js';
import type { IdentitySession } from '../../../functions/session/types.js';
import type { SessionValues } from '../../../functions/identity/claim-map.js';
import { sampleUsers } from '../../../rls/sample/index.js';
import { call } from '../support/call.js';
import { fixedNow, startTestIssuer, testConfig, type TestIssuer } from '../support/issuer.js';
import { trace } from '@opentelemetry/api';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

/** A session that records the identity of each run and answers no rows. */
function recordingSession(): IdentitySession & { identities: SessionValues[] } {
  const identities: SessionValues[] = [];
  return {
    identities,
    dialect: 'postgres',
    run: (identity) => {
      identities.push(identity);
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
    runWithoutIdentity: () => Promise.resolve({ rows: [], rowCount: 0 }),
    close: () => Promise.resolve(),
  };
}

const traceIdKey = (values: SessionValues) => values.find((v) => v.key === 'trace_id')?.value;
const auditOf = (logs: { message: string }[]) => JSON.parse(logs.find((l) => l.message.includes('apim-rls.audit'))!.message) as { traceId: string | null; requestId: string };

describe('invocationParent', () => {
  it('extracts a valid traceparent, and the root context for an invalid or absent one', () => {
    const sc = trace.getSpanContext(invocationParent({ traceParent: `00-${T}-${S}-01` }));
    assert.deepEqual({ traceId: sc?.traceId, spanId: sc?.spanId, remote: sc?.isRemote }, { traceId: T, spanId: S, remote: true });
    for (const bad of [undefined, '', `00-${T.toUpperCase()}-${S}-01`, `00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${S}-01-${'x'.repeat(300)}`]) {
      assert.equal(trace.getSpanContext(invocationParent(bad === undefined ? undefined : { traceParent: bad })), undefined, String(bad));
    }
  });
});

describe('request span and trace_id session key', () => {
  let t: TestIssuer;
  let token: string;
  before(async () => {
    t = await startTestIssuer();
    const alice = sampleUsers.alice;
    token = await t.issuer.mint({ sub: alice.sub, oid: alice.oid, tid: alice.tid, roles: ['Orders.Read'] });
  });
  after(async () => {
    await t?.close();
  });

  const runtimeWith = async (session: IdentitySession, tracer?: ReturnType<BasicTracerProvider['getTracer']>): Promise<Runtime> => {
    const config = testConfig(t.issuer);
    return createRuntime({ config, session, keys: createOpenIdKeySource({ openidConfigUrl: config.openidConfigUrl }), now: fixedNow, ...(tracer ? { tracer } : {}) });
  };

  it('without an SDK: the trace id of the host\'s trace context becomes trace_id and the audit line\'s traceId', async () => {
    const session = recordingSession();
    const runtime = await runtimeWith(session);
    const r = await call(runtime, 'listOrders', { token, traceContext: { traceParent: `00-${T}-${S}-01` } });
    assert.equal(r.status, 200, r.body);
    assert.equal(traceIdKey(session.identities[0]!), T);
    assert.equal(auditOf(r.logs).traceId, T);
  });

  it('without an SDK and without a valid trace context: trace_id is cleared (null), never made up or taken from a bad header', async () => {
    const session = recordingSession();
    const runtime = await runtimeWith(session);
    for (const traceContext of [undefined, { traceParent: `00-${T.toUpperCase()}-${S}-01` }, { traceParent: `00-${'0'.repeat(32)}-${S}-01` }]) {
      const r = await call(runtime, 'listOrders', { token, ...(traceContext ? { traceContext } : {}) });
      assert.equal(r.status, 200, r.body);
      assert.equal(traceIdKey(session.identities.at(-1)!), null);
      assert.equal(auditOf(r.logs).traceId, null);
    }
  });

  it("with an SDK: the function's span is a child of the host's span, and carries no token or claim beyond oid/tid", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const session = recordingSession();
    const runtime = await runtimeWith(session, provider.getTracer('test'));
    const r = await call(runtime, 'listOrders', { token, traceContext: { traceParent: `00-${T}-${S}-01` }, headers: { 'x-request-id': 'req-trace-1' } });
    assert.equal(r.status, 200, r.body);
    const [span] = exporter.getFinishedSpans();
    assert.ok(span);
    assert.equal(span.name, 'GET /api/orders');
    assert.equal(span.spanContext().traceId, T);
    assert.equal(span.parentSpanContext?.spanId, S);
    assert.equal(span.attributes['apim_rls.request_id'], 'req-trace-1');
    assert.equal(span.attributes['http.response.status_code'], 200);
    assert.equal(span.attributes['enduser.id'], sampleUsers.alice.oid);
    const text = JSON.stringify({ a: span.attributes, e: span.events, s: span.status });
    for (const part of token.split('.')) assert.ok(!text.includes(part), 'no token part in the span');
    assert.ok(!text.includes('Orders.Read'), 'no roles claim in the span');

    // no trace context: the SDK starts a trace, and that trace id is the session key
    exporter.reset();
    const r2 = await call(runtime, 'listOrders', { token });
    assert.equal(r2.status, 200);
    const [root] = exporter.getFinishedSpans();
    assert.ok(root);
    assert.equal(root.parentSpanContext, undefined);
    assert.equal(traceIdKey(session.identities.at(-1)!), root.spanContext().traceId);
    assert.equal(auditOf(r2.logs).traceId, root.spanContext().traceId);

    // a refusal ends the span too, with its reason code (never a message)
    exporter.reset();
    const refused = await call(runtime, 'listOrders', { traceContext: { traceParent: `00-${T}-${S}-01` } });
    assert.equal(refused.status, 401);
    const [refusedSpan] = exporter.getFinishedSpans();
    assert.equal(refusedSpan?.attributes['http.response.status_code'], 401);
    assert.equal(typeof refusedSpan?.attributes['apim_rls.reason'], 'string');
    await provider.shutdown();
  });
});
