import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { escapeLiteral } from 'pg';
import { RedactingSpanProcessor, sanitizeSqlText } from '../../../functions/telemetry/redact.js';

describe('sanitizeSqlText', () => {
  it('replaces string and number literals, keeps placeholders, identifiers and casts', () => {
    assert.equal(
      sanitizeSqlText(`select set_config('app.tenant_id', 'contoso', true), set_config('statement_timeout', '4990', true);\nselect * from t1 where id = 42 and x = -3.5e2 and y = $1::int4 and z = @p2 and "c2" = N'a''b'`),
      'select set_config(?, ?, true), set_config(?, ?, true);\nselect * from t1 where id = ? and x = ? and y = $1::int4 and z = @p2 and "c2" = ?',
    );
  });

  it("removes whatever node-pg's escapeLiteral makes of a value (quotes and backslashes inside)", () => {
    for (const value of ["it's", 'back\\slash', "both \\ and ' here", 'emoji 🙂 and ,;']) {
      const out = sanitizeSqlText(`select ${escapeLiteral(value)} as v, ${escapeLiteral(value)}`);
      assert.equal(out.replace(/\s+/g, ' ').trim(), 'select ? as v, ?', value);
    }
  });
});

describe('RedactingSpanProcessor', () => {
  it('strips the statement attributes and the status message as the span ends, before any exporter sees it', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), new RedactingSpanProcessor()] });
    const span = provider.getTracer('t').startSpan('pg.query:SELECT', { attributes: { 'db.query.text': "select 'secret-1'", 'db.statement': 'select 77', other: 'kept' } });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid input syntax for type integer: "secret-2"' });
    span.end();
    const [done] = exporter.getFinishedSpans();
    assert.deepEqual(done?.attributes, { 'db.query.text': 'select ?', 'db.statement': 'select ?', other: 'kept' });
    assert.deepEqual(done?.status, { code: SpanStatusCode.ERROR });
  });
});
