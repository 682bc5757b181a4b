import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emulate, formatTraceparent, gatewaySpanContext, parseTraceparent, tracestateToForward, type BackendRequest, type TraceIdGenerator } from '../../../policies/emulator/index.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const valid = `00-${T}-${S}-01`;
const fixedIds: TraceIdGenerator = { generateTraceId: () => 'a'.repeat(32), generateSpanId: () => 'b'.repeat(16) };

describe('traceparent parsing (W3C Trace Context)', () => {
  it('accepts a version 00 value and a later version with more fields', () => {
    assert.deepEqual(parseTraceparent(valid), { traceId: T, parentId: S, traceFlags: 1 });
    assert.deepEqual(parseTraceparent([`00-${T}-${S}-00`]), { traceId: T, parentId: S, traceFlags: 0 });
    assert.deepEqual(parseTraceparent(`cc-${T}-${S}-01-what-the-future-will-be-like`), { traceId: T, parentId: S, traceFlags: 1 });
  });

  const invalid: [string, string | string[] | undefined][] = [
    ['absent', undefined],
    ['empty', ''],
    ['upper-case hex', `00-${T.toUpperCase()}-${S}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${S}-01`],
    ['all-zero parent id', `00-${T}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${T}-${S}-01`],
    ['version 00 with a fifth field', `${valid}-extra`],
    ['a short trace id', `00-${T.slice(1)}-${S}-01`],
    ['a non-hex character', `00-${T.slice(0, -1)}g-${S}-01`],
    ['two traceparent headers', [valid, `00-${'1'.repeat(32)}-${S}-01`]],
    ['two values folded into one line', `${valid}, 00-${'1'.repeat(32)}-${S}-01`],
    ['longer than the bound', `cc-${T}-${S}-01-${'x'.repeat(300)}`],
  ];
  for (const [name, value] of invalid) {
    it(`refuses ${name}`, () => assert.equal(parseTraceparent(value), null));
  }

  it('formats version 00 with two hex digits of flags', () => {
    assert.equal(formatTraceparent(T, S, 1), valid);
    assert.equal(formatTraceparent(T, S, 0), `00-${T}-${S}-00`);
  });

  it('forwards a well-formed tracestate within the limits, drops any other', () => {
    assert.equal(tracestateToForward('congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'), 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    assert.equal(tracestateToForward(['a=1', 'b=2']), 'a=1,b=2');
    assert.equal(tracestateToForward('no-equals-sign'), null);
    assert.equal(tracestateToForward('UPPER=1'), null);
    assert.equal(tracestateToForward('1simple=1'), null, 'a simple key starts with a letter');
    assert.equal(tracestateToForward('1tenant@vendor=1'), '1tenant@vendor=1', 'a tenant id may start with a digit');
    assert.equal(tracestateToForward('k=a=b'), null, 'no "=" inside a value');
    assert.equal(tracestateToForward(' k=v '), 'k=v', 'optional white space around a member is dropped');
    assert.equal(tracestateToForward(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')), null, 'more than 32 members');
    assert.equal(tracestateToForward(`a=${'v'.repeat(600)}`), null, 'longer than 512 characters');
    assert.equal(tracestateToForward(undefined), null);
  });
});

describe("the gateway's span (W3C correlation)", () => {
  it("continues a valid traceparent: same trace, the caller's span as parent, a new span id, the sampled flag kept", () => {
    assert.deepEqual(gatewaySpanContext(valid, 'congo=1', fixedIds), { traceId: T, spanId: 'b'.repeat(16), parentSpanId: S, traceFlags: 1, traceState: 'congo=1' });
    assert.equal(gatewaySpanContext(`00-${T}-${S}-00`, undefined, fixedIds).traceFlags, 0);
  });

  it('starts a new trace for a malformed or absent traceparent, and drops its tracestate', () => {
    for (const header of [undefined, `00-${T.toUpperCase()}-${S}-01`, 'garbage']) {
      assert.deepEqual(gatewaySpanContext(header, 'congo=1', fixedIds), { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentSpanId: null, traceFlags: 1, traceState: null });
    }
  });

  it("uses the host's recorded span when it belongs to the trace, never one that repeats the caller's span id", () => {
    const own = { traceId: T, spanId: 'c'.repeat(16), traceFlags: 1 };
    assert.equal(gatewaySpanContext(valid, undefined, fixedIds, own).spanId, 'c'.repeat(16));
    // a no-op tracer hands back the parent's own context: not the gateway's span
    assert.equal(gatewaySpanContext(valid, undefined, fixedIds, { traceId: T, spanId: S, traceFlags: 1 }).spanId, 'b'.repeat(16));
    // a span of another trace does not fit a continued trace
    assert.equal(gatewaySpanContext(valid, undefined, fixedIds, { traceId: 'd'.repeat(32), spanId: 'c'.repeat(16), traceFlags: 1 }).spanId, 'b'.repeat(16));
  });

  it('refuses an id generator that returns an invalid id', () => {
    assert.throws(() => gatewaySpanContext(undefined, undefined, { generateTraceId: () => '0'.repeat(32), generateSpanId: () => 'b'.repeat(16) }), TypeError);
  });
});

describe('forward-request with W3C correlation', () => {
  const policy = '<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>';
  const run = async (headers: Record<string, string | string[]>, protocol?: 'None' | 'W3C') => {
    const got: BackendRequest[] = [];
    const emulator = emulate(policy, {
      backendUrl: 'http://backend.local/api',
      backend: (r) => {
        got.push(r);
        return Promise.resolve({ status: 200 });
      },
      traceIds: fixedIds,
      ...(protocol ? { httpCorrelationProtocol: protocol } : {}),
    });
    const result = await emulator.send({ url: 'https://apim.local/orders', headers });
    const sent = got[0]!.headers;
    const header = (name: string) => Object.entries(sent).find(([k]) => k.toLowerCase() === name)?.[1];
    return { result, traceparent: header('traceparent'), tracestate: header('tracestate') };
  };

  it("sends the gateway's span as the backend's parent, in the caller's trace", async () => {
    const { result, traceparent, tracestate } = await run({ traceparent: valid, tracestate: 'congo=t61rcWkgMzE' }, 'W3C');
    assert.equal(traceparent, `00-${T}-${'b'.repeat(16)}-01`);
    assert.equal(tracestate, 'congo=t61rcWkgMzE');
    assert.deepEqual(result.traceContext, { traceId: T, spanId: 'b'.repeat(16), parentSpanId: S, traceFlags: 1, traceState: 'congo=t61rcWkgMzE' });
  });

  it('replaces a malformed traceparent and never forwards it or its tracestate', async () => {
    const malformed = `00-${T.toUpperCase()}-${S}-01`;
    const { traceparent, tracestate } = await run({ TraceParent: malformed, tracestate: 'congo=t61rcWkgMzE' }, 'W3C');
    assert.equal(traceparent, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    assert.equal(tracestate, undefined);
  });

  it('starts a trace when the caller sends none', async () => {
    const { traceparent } = await run({}, 'W3C');
    assert.equal(traceparent, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
  });

  it('with None (the default) reads and injects nothing: headers pass as they are', async () => {
    const { result, traceparent } = await run({ traceparent: 'anything' });
    assert.equal(traceparent, 'anything');
    assert.equal(result.traceContext, null);
    assert.equal((await run({})).traceparent, undefined);
  });

  it('refuses a protocol it does not model', () => {
    assert.throws(() => emulate(policy, { httpCorrelationProtocol: 'Legacy' as 'W3C' }), /httpCorrelationProtocol "Legacy" is not supported/);
  });
});
