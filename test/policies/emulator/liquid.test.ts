/** set-body template="liquid" in the emulator (policies/emulator/liquid.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emulate, EmulatorError, type BackendRequest, type EmulateOptions } from '../../../policies/emulator/index.js';

function policy(inbound: string): string {
  return `<policies><inbound>${inbound}</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>`;
}

/** Sends through the policy; the backend echoes the body it received. */
async function forwarded(inbound: string, request: { body?: object | string; headers?: Record<string, string> } = {}, options: EmulateOptions = {}) {
  const seen: BackendRequest[] = [];
  const r = await emulate(policy(inbound), {
    ...options,
    backend: async (req) => {
      seen.push(req);
      return { status: 200, body: Buffer.from(req.body).toString() };
    },
  }).send({ method: 'POST', url: 'https://gw.test/orders/7?x=1', headers: request.headers ?? {}, ...(request.body !== undefined ? { body: request.body } : {}) });
  return { r, sent: seen[0] ? Buffer.from(seen[0].body).toString() : undefined };
}

describe('set-body template="liquid"', () => {
  it('reshapes a JSON body with APIM filters and the context', async () => {
    const { r, sent } = await forwarded(
      `<set-variable name="lookup" value="@(new JObject(new JProperty(&quot;region&quot;, &quot;emea&quot;)))" />
      <set-body template="liquid">{"order": {"id": {{ body.customer.purchase.identifier }}, "summary": "{{ body.customer.purchase.orderShortDesc | Upcase | Truncate: 8 }}", "note": "{{ body.missing | Default: "none" }}", "day": "{{ body.customer.purchase.at | Date: "yyyyMMdd" }}", "items": {{ body.customer.purchase.items | Size }}, "tags": "{{ body.customer.purchase.items | Join: "," }}", "method": "{{ context.Request.Method }}", "path": "{{ context.Request.Url.Path }}", "caller": "{{ context.Request.Headers["X-Caller"] }}", "region": "{{ context.Variables["lookup"]["region"] }}"}}</set-body>`,
      {
        headers: { 'X-Caller': 'alice' },
        body: { customer: { purchase: { identifier: 42, orderShortDesc: 'blue pencils', at: '2026-03-04T05:06:07Z', items: ['a', 'b', 'c'] } } },
      },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(sent!), {
      order: { id: 42, summary: 'BLUE ...', note: 'none', day: '20260304', items: 3, tags: 'a,b,c', method: 'POST', path: '/orders/7', caller: 'alice', region: 'emea' },
    });
  });

  it('loops over the request headers as key/value pairs', async () => {
    const r = await emulate(
      `<policies><inbound><return-response><set-body template="liquid">{% for header in context.Request.Headers %}{{ header.Key }}={{ header.Value | Join: "+" }};{% endfor %}</set-body></return-response></inbound><backend /><outbound /><on-error /></policies>`,
    ).send({ url: 'https://gw.test/', headers: { Accept: 'text/plain', 'X-Multi': ['a', 'b'] } });
    assert.equal(r.body, 'Accept=text/plain;X-Multi=a+b;');
  });

  it('renders XML held in the set-body as a template (a SOAP envelope from JSON)', async () => {
    const { sent } = await forwarded(
      `<set-body template="liquid"><soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetOpenOrders><cust>{{ body.getOpenOrders.cust }}</cust><note>a &amp; b</note></GetOpenOrders></soap:Body></soap:Envelope></set-body>`,
      { body: { getOpenOrders: { cust: 'contoso' } } },
    );
    assert.equal(
      sent,
      '<soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetOpenOrders><cust>contoso</cust><note>a &amp; b</note></GetOpenOrders></soap:Body></soap:Envelope>',
    );
  });

  it('a body that is not JSON is the text itself; inside return-response the body is empty, as in APIM', async () => {
    const { sent } = await forwarded('<set-body template="liquid">[{{ body }}]</set-body>', { body: 'plain text', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(sent, '[plain text]');
    const r = await emulate(`<policies><inbound><return-response><set-body template="liquid">[{{ body }}]</set-body></return-response></inbound><backend /><outbound /><on-error /></policies>`).send({
      url: 'https://gw.test/',
      method: 'POST',
      body: { a: 1 },
    });
    assert.equal(r.body, '[]');
  });

  it('substitutes defined named values and leaves liquid output tags alone', async () => {
    const { sent } = await forwarded('<set-body template="liquid">{{region}}:{{ body.id }}</set-body>', { body: { id: 5 } }, { namedValues: { region: 'emea' } });
    assert.equal(sent, 'emea:5');
  });

  it('reaches only C# members: a JavaScript property of the host objects renders as nothing', async () => {
    const { sent } = await forwarded('<set-body template="liquid">[{{ context.request.method }}][{{ context.Request.Method }}][{{ context.Request.Headers.map }}]</set-body>');
    assert.equal(sent, '[][POST][]');
  });

  it('refuses tags that read files and filters APIM does not name (snake_case), when the policy is compiled', () => {
    for (const template of ["{% include 'secrets' %}", "{% render 'x' %}", "{% layout 'x' %}", '{{ body.a | upcase }}', '{{ body.a | NoSuchFilter }}', '{% if %}']) {
      assert.throws(
        () => emulate(policy(`<set-body template="liquid">${template}</set-body>`)),
        (err: unknown) => err instanceof EmulatorError && /<set-body template="liquid"> at 1:\d+: liquid template/.test(err.message),
        template,
      );
    }
  });

  it('an XML message body is refused by name (the emulator binds JSON and text only)', async () => {
    await assert.rejects(
      forwarded('<set-body template="liquid">{{ body.a }}</set-body>', { body: '<a>1</a>', headers: { 'Content-Type': 'application/xml' } }),
      (err: unknown) => err instanceof EmulatorError && /XML message body is not bound/.test(err.message),
    );
  });

  it('a template that fails while rendering is a 500 with LastError, not a crash', async () => {
    const { r } = await forwarded('<set-body template="liquid">{{ context.constructor }}</set-body>');
    assert.equal(r.status, 500);
    assert.equal(r.lastError?.source, 'set-body');
    assert.equal(r.lastError?.reason, 'LiquidTemplateRenderFailure');
  });
});
