/**
 * Database calls on the PostgreSQL server are child spans of the request span through
 * OpenTelemetry's pg instrumentation — registered after the app imported `pg` as an ES module,
 * then `pg` required once more, as functions/telemetry/start.ts does — and no session value,
 * bound value or driver message reaches a span: the pg session sends values as escaped literals
 * in one simple-protocol message, which the redacting processor strips (functions/telemetry/redact.ts).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { registerGlobally } from '../../support/otel.js';
import { createPgPool, createPgSession } from '../../../functions/session/pg.js';
import { int, sql, text } from '../../../functions/session/statement.js';
import type { IdentitySession } from '../../../functions/session/types.js';
import { RedactingSpanProcessor } from '../../../functions/telemetry/redact.js';
import { createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../../support/postgres-server.js';

const setupSql = `
do $$ begin create role trace_app nologin; exception when duplicate_object or unique_violation then null; end $$;
create table if not exists trace_notes (id int not null, tenant text not null, body text not null);
grant select on trace_notes to trace_app;
delete from trace_notes;
insert into trace_notes values (424242, 'tenant-secret-7q', 'note');
`;

describe('pg instrumentation: database spans without values', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter)] });
  let unregisterProvider: (() => Promise<void>) | undefined;
  const instrumentation = new PgInstrumentation({ enhancedDatabaseReporting: false });
  let database: TestDatabase | null = null;
  let session: IdentitySession | undefined;
  let pool: pg.Pool | undefined;
  let unregister: (() => void) | undefined;

  before(async () => {
    unregisterProvider = registerGlobally(provider);
    unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [instrumentation] });
    // the app imported pg as an ES module (above); requiring it patches that same module object
    createRequire(import.meta.url)('pg');
    database = await createTestDatabase();
    if (!database) return;
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(setupSql);
    await admin.end();
    pool = createPgPool({ connectionString: database.url, max: 2 });
    session = createPgSession({ pool, role: 'trace_app' });
  });
  after(async () => {
    await session?.close();
    unregister?.();
    await unregisterProvider?.();
    await database?.drop();
  });

  it('a query is a client span, a child of the request span, in its trace', async (t) => {
    if (!session) return t.skip(postgresUnavailableReason);
    exporter.reset();
    const tracer = provider.getTracer('test');
    const identity = [{ key: 'tenant_id', value: 'tenant-secret-7q' }, { key: 'request_id', value: 'request-secret-9z' }];
    const rows = await tracer.startActiveSpan('request', async (request) => {
      try {
        return await session!.run(identity, sql`select body from trace_notes where id = ${int(424242)} and body <> ${text('bind-secret-3x')}`);
      } finally {
        request.end();
      }
    });
    assert.deepEqual(rows.rows, [{ body: 'note' }]);
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'request')!;
    const queries = spans.filter((s) => s.kind === SpanKind.CLIENT && s.name.startsWith('pg.query'));
    assert.ok(queries.length >= 1, `a pg span (${spans.map((s) => s.name).join(', ')})`);
    for (const q of queries) {
      assert.equal(q.spanContext().traceId, request.spanContext().traceId);
      assert.equal(q.parentSpanContext?.spanId, request.spanContext().spanId);
    }
    const statements = queries.map((q) => String(q.attributes['db.query.text'])).join('\n');
    assert.match(statements, /select set_config\(\?, \?, true\)/, 'the identity prelude, literals replaced');
    // prepared (the default): PREPARE with $n once, then EXECUTE with the values as literals
    assert.match(statements, /where id = (\?|\$1)(::int4)? and body <> (\?|\$2)/, 'the statement text');
    const everything = JSON.stringify(spans.map((s) => ({ n: s.name, a: s.attributes, st: s.status, e: s.events })));
    for (const value of ['tenant-secret-7q', 'request-secret-9z', 'bind-secret-3x', '424242']) assert.ok(!everything.includes(value), `no ${value} in a span`);
  });

  it("a failed query's span keeps its error code, never the driver's message (which quotes the value)", async (t) => {
    if (!session) return t.skip(postgresUnavailableReason);
    exporter.reset();
    await assert.rejects(session!.run([{ key: 'tenant_id', value: 'x' }], sql`select ${text('not-a-number-5v')}::int4 as n`));
    const failed = exporter.getFinishedSpans().filter((s) => s.status.code === SpanStatusCode.ERROR);
    assert.ok(failed.length >= 1);
    const everything = JSON.stringify(exporter.getFinishedSpans().map((s) => ({ a: s.attributes, st: s.status, e: s.events })));
    assert.ok(!everything.includes('not-a-number-5v'), 'the value the driver message quotes is not in a span');
    assert.equal(failed[0]!.status.message, undefined);
  });
});
