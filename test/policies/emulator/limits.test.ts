/**
 * rate-limit / rate-limit-by-key / quota / quota-by-key as the policy references document them
 * (docs/gateway-fidelity.md names each source).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emulate, EmulatorError, LimitCounters, type BackendRequest } from '../../../policies/emulator/index.js';

const doc = (sections: { inbound?: string; outbound?: string; onError?: string }): string =>
  `<policies><inbound>${sections.inbound ?? ''}</inbound><backend><forward-request /></backend><outbound>${sections.outbound ?? ''}</outbound><on-error>${sections.onError ?? ''}</on-error></policies>`;

function backend(status = 200, body = '{"ok":true}') {
  const seen: BackendRequest[] = [];
  const handler = async (req: BackendRequest) => {
    seen.push(req);
    return { status, headers: { 'Content-Type': 'application/json' }, body };
  };
  return { seen, handler };
}

const url = 'https://gw.test/orders';
const T0 = Date.UTC(2026, 0, 1, 1, 0, 0);

describe('rate-limit-by-key: sliding window', () => {
  it('a call counts for renewal-period seconds after it was made, not until a fixed window ends', async () => {
    let now = T0;
    const em = emulate(doc({ inbound: '<rate-limit-by-key calls="2" renewal-period="60" counter-key="k" />' }), { now: () => now, backend: backend().handler });
    assert.equal((await em.send({ url })).status, 200); // t0
    now = T0 + 30_000;
    assert.equal((await em.send({ url })).status, 200); // t0+30
    now = T0 + 45_000;
    const limited = await em.send({ url });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '15', 'the first call leaves the window at t0+60');
    now = T0 + 60_000;
    assert.equal((await em.send({ url })).status, 200, 'the t0 call has left the window');
    now = T0 + 61_000;
    const again = await em.send({ url });
    assert.equal(again.status, 429, 'the t0+30 and t0+60 calls are still in the window (a fixed window would have renewed)');
    assert.equal(again.headers['retry-after'], '29');
  });
});

describe('rate-limit-by-key: increment-condition and increment-count are evaluated at the end of the outbound pipeline', () => {
  it('a backend answering 500 does not use up calls when the condition counts only 200s (the reference example)', async () => {
    const b = backend(500);
    const em = emulate(doc({ inbound: '<rate-limit-by-key calls="1" renewal-period="60" counter-key="@(context.Request.IpAddress)" increment-condition="@(context.Response.StatusCode == 200)" />' }), {
      now: () => T0,
      backend: b.handler,
    });
    for (let i = 0; i < 3; i++) assert.equal((await em.send({ url })).status, 500);
    assert.equal(b.seen.length, 3, 'every call reached the backend');
  });

  it('a 200 counts: the next call is refused', async () => {
    const em = emulate(doc({ inbound: '<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" increment-condition="@(context.Response.StatusCode == 200)" />' }), {
      now: () => T0,
      backend: backend(200).handler,
    });
    assert.equal((await em.send({ url })).status, 200);
    assert.equal((await em.send({ url })).status, 429);
  });

  it('increment-count as an expression sees what outbound set', async () => {
    const em = emulate(
      doc({
        inbound: '<rate-limit-by-key calls="3" renewal-period="60" counter-key="k" increment-count="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;cost&quot;, 1))" />',
        outbound: '<set-variable name="cost" value="@(3)" />',
      }),
      { now: () => T0, backend: backend().handler },
    );
    assert.equal((await em.send({ url })).status, 200);
    assert.equal((await em.send({ url })).status, 429, 'the first call cost 3 (set in outbound), not 1');
  });

  it('a constant increment-count counts at once and is checked whole', async () => {
    const em = emulate(doc({ inbound: '<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" increment-count="3" remaining-calls-header-name="X-Remaining" />' }), {
      now: () => T0,
      backend: backend().handler,
    });
    const first = await em.send({ url });
    assert.equal(first.headers['x-remaining'], '2');
    assert.equal((await em.send({ url })).status, 429, '3 + 3 > 5');
  });
});

describe('rate limits: renewal-period at most 300 s, quotas at least 300 s', () => {
  it('emulate() refuses rate-limit-by-key and rate-limit with renewal-period above 300', () => {
    for (const el of ['<rate-limit-by-key calls="1" renewal-period="301" counter-key="k" />', '<rate-limit calls="1" renewal-period="3600" />']) {
      assert.throws(
        () => emulate(doc({ inbound: el })),
        (e: unknown) => e instanceof EmulatorError && e.code === 'INVALID_POLICY' && /renewal-period="\d+" must be between 1 and 300 seconds/.test(e.message),
      );
    }
    assert.doesNotThrow(() => emulate(doc({ inbound: '<rate-limit-by-key calls="1" renewal-period="300" counter-key="k" />' })));
  });
  it('emulate() refuses attributes another limit policy owns', () => {
    for (const [el, message] of [
      ['<rate-limit calls="1" renewal-period="60" increment-condition="@(true)" />', /increment-condition is not an attribute of rate-limit/],
      ['<quota-by-key calls="1" renewal-period="3600" counter-key="k" remaining-calls-header-name="X" />', /remaining-calls-header-name is not an attribute of quota-by-key/],
      ['<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" first-period-start="2026-01-01T00:00:00Z" />', /first-period-start is a quota attribute/],
    ] as const) {
      assert.throws(() => emulate(doc({ inbound: el })), (e: unknown) => e instanceof EmulatorError && e.code === 'INVALID_POLICY' && message.test(e.message));
    }
  });
  it('emulate() refuses a quota period below 300 s', () => {
    assert.throws(() => emulate(doc({ inbound: '<quota-by-key calls="1" renewal-period="60" counter-key="k" />' })), (e: unknown) => e instanceof EmulatorError && e.code === 'INVALID_POLICY' && /below the quota minimum of 300/.test(e.message));
  });
});

describe('rate-limit-by-key: the documented header and variable names', () => {
  it('retry-after-header-name replaces Retry-After; the variables hold the retry interval and the remaining calls', async () => {
    const em = emulate(
      doc({
        inbound: '<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" retry-after-header-name="X-Retry-In" retry-after-variable-name="retry" remaining-calls-header-name="X-Left" remaining-calls-variable-name="left" total-calls-header-name="X-Total" />',
        onError: '<set-header name="X-Seen-Retry" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;int&gt;("retry", -1).ToString())</value></set-header>',
      }),
      { now: () => T0, backend: backend().handler },
    );
    const ok = await em.send({ url });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-left'], '0');
    assert.equal(ok.headers['x-total'], '1');
    assert.equal(ok.variables.left, 0);
    const limited = await em.send({ url });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['x-retry-in'], '60');
    assert.equal(limited.headers['retry-after'], undefined, 'the custom name replaces the default');
    assert.equal(limited.headers['x-seen-retry'], '60', 'retry-after-variable-name is readable in on-error');
    assert.equal(limited.headers['x-left'], '0');
  });
});

describe('quota-by-key: fixed periods from first-period-start', () => {
  it('periods start at first-period-start, not at the first call', async () => {
    let now = Date.UTC(2026, 0, 1, 1, 20);
    const em = emulate(doc({ inbound: '<quota-by-key calls="1" renewal-period="3600" counter-key="k" first-period-start="2026-01-01T00:30:00Z" />' }), { now: () => now, backend: backend().handler });
    assert.equal((await em.send({ url })).status, 200); // 01:20, in the period 00:30–01:30
    now = Date.UTC(2026, 0, 1, 1, 29);
    const r = await em.send({ url });
    assert.equal(r.status, 403);
    assert.equal(r.headers['retry-after'], '60');
    assert.equal(JSON.parse(r.body).message, 'Out of call volume quota. Quota will be replenished in 00:01:00.');
    now = Date.UTC(2026, 0, 1, 1, 30);
    assert.equal((await em.send({ url })).status, 200, 'a new period at 01:30');
  });

  it('the default first-period-start is 0001-01-01T00:00:00Z: a daily quota renews at midnight UTC', async () => {
    let now = Date.UTC(2026, 0, 1, 23, 0);
    const em = emulate(doc({ inbound: '<quota-by-key calls="1" renewal-period="86400" counter-key="k" />' }), { now: () => now, backend: backend().handler });
    assert.equal((await em.send({ url })).status, 200);
    assert.equal((await em.send({ url })).headers['retry-after'], '3600');
    now = Date.UTC(2026, 0, 2, 0, 0);
    assert.equal((await em.send({ url })).status, 200);
  });

  it('a wait of a day or more reads d.hh:mm:ss, as .NET writes a TimeSpan', async () => {
    const em = emulate(doc({ inbound: '<quota-by-key calls="1" renewal-period="604800" counter-key="k" first-period-start="2026-01-01T00:00:00Z" />' }), { now: () => Date.UTC(2026, 0, 1), backend: backend().handler });
    await em.send({ url });
    assert.equal(JSON.parse((await em.send({ url })).body).message, 'Out of call volume quota. Quota will be replenished in 7.00:00:00.');
  });

  it('bandwidth is counted: request and response bytes in kilobytes', async () => {
    const em = emulate(doc({ inbound: '<quota-by-key bandwidth="2" renewal-period="3600" counter-key="k" />' }), { now: () => T0, backend: backend(200, 'x'.repeat(1500)).handler });
    assert.equal((await em.send({ url })).status, 200); // 1500 bytes: under 2 KB
    assert.equal((await em.send({ url, method: 'POST', body: 'y'.repeat(100) })).status, 200); // 3100 bytes now
    const r = await em.send({ url });
    assert.equal(r.status, 403);
    assert.equal(r.lastError?.reason, 'QuotaExceeded');
    assert.match(JSON.parse(r.body).message, /^Out of bandwidth quota\. Quota will be replenished in \d\d:\d\d:\d\d\.$/);
  });

  it('quota-by-key increment-condition on the response: failed calls are free', async () => {
    const b = backend(503);
    const em = emulate(doc({ inbound: '<quota-by-key calls="1" renewal-period="3600" counter-key="k" increment-condition="@(context.Response.StatusCode &gt;= 200 &amp;&amp; context.Response.StatusCode &lt; 400)" />' }), {
      now: () => T0,
      backend: b.handler,
    });
    for (let i = 0; i < 3; i++) assert.equal((await em.send({ url })).status, 503);
  });

  it('two quota-by-key on the same key count a request once', async () => {
    const q = '<quota-by-key calls="2" renewal-period="3600" counter-key="k" />';
    const em = emulate(doc({ inbound: q + q }), { now: () => T0, backend: backend().handler });
    assert.equal((await em.send({ url })).status, 200);
    assert.equal((await em.send({ url })).status, 200);
    assert.equal((await em.send({ url })).status, 403);
  });
});

describe('limit counters', () => {
  it('one counter per key value for every scope and emulator sharing the counters (one APIM instance)', async () => {
    const counters = new LimitCounters();
    const policy = doc({ inbound: '<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" />' });
    const a = emulate(policy, { now: () => T0, backend: backend().handler, limitCounters: counters });
    const b = emulate(policy, { now: () => T0, backend: backend().handler, limitCounters: counters });
    assert.equal((await a.send({ url })).status, 200);
    assert.equal((await b.send({ url })).status, 429);
  });

  it('old keys are evicted: the map stays bounded while live counters keep counting', async () => {
    let now = T0;
    const counters = new LimitCounters(50);
    const em = emulate(doc({ inbound: '<rate-limit-by-key calls="1" renewal-period="10" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;K&quot;, &quot;&quot;))" />' }), {
      now: () => now,
      backend: backend().handler,
      limitCounters: counters,
    });
    for (let i = 0; i < 500; i++) {
      now += 100; // 100 keys live in any 10 s
      await em.send({ url, headers: { K: `key-${i}` } });
      assert.ok(counters.size <= 50, `size ${counters.size} after ${i + 1} keys`);
    }
    const live = new LimitCounters(50);
    const em2 = emulate(doc({ inbound: '<rate-limit-by-key calls="1" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;K&quot;, &quot;&quot;))" />' }), {
      now: () => now,
      backend: backend().handler,
      limitCounters: live,
    });
    await em2.send({ url, headers: { K: 'alice' } });
    for (let i = 0; i < 30; i++) {
      now += 10_000; // the other keys' calls leave the window; alice's too after 60 s
      await em2.send({ url, headers: { K: `other-${i}` } });
      if (i < 4) assert.equal((await em2.send({ url, headers: { K: 'alice' } })).status, 429, 'alice is still counted');
    }
    assert.ok(live.size <= 50);
  });
});
