import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceContextFrom } from '../../../local/functions-host/index.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe("local Functions host: the invocation's trace context from the request", () => {
  it('hands on a valid traceparent (and its tracestate) as the host does', () => {
    assert.deepEqual(traceContextFrom(`00-${T}-${S}-01`, 'congo=t61rcWkgMzE'), { traceParent: `00-${T}-${S}-01`, traceState: 'congo=t61rcWkgMzE', attributes: {} });
  });

  it('starts a new trace for a malformed or absent one, without its tracestate', () => {
    for (const bad of [undefined, `00-${T.toUpperCase()}-${S}-01`, `00-${'0'.repeat(32)}-${S}-01`, [`00-${T}-${S}-01`, `00-${T}-${S}-00`]]) {
      const tc = traceContextFrom(bad, 'congo=t61rcWkgMzE');
      assert.match(tc.traceParent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.ok(!tc.traceParent.includes(T), 'not the rejected trace id');
      assert.equal(tc.traceState, undefined);
    }
  });
});
