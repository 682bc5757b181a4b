// npm test: own process — it registers the OpenTelemetry SDK for the whole process and checks that pg and
// tedious, imported before, get instrumented: other files in the same process would see it, and it them.
/** Importing the library starts no OpenTelemetry SDK; the app entry starts one only with a connection string. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pg from 'pg';
import tedious from 'tedious';
import { startTelemetry } from '../../../functions/telemetry/start.js';

/** An SDK gives every new span fresh ids (sampled or not); the API alone gives none. */
const sdkRegistered = () => {
  const span = trace.getTracer('probe').startSpan('probe');
  span.end();
  return isSpanContextValid(span.spanContext());
};

describe('telemetry start', () => {
  it('importing apim-rls/functions registers no SDK: spans stay no-ops', async () => {
    await import('../../../exports/functions.js');
    await import('../../../functions/index.js');
    assert.equal(sdkRegistered(), false);
  });

  it('without APPLICATIONINSIGHTS_CONNECTION_STRING: no SDK, no exporter', async () => {
    assert.equal(await startTelemetry(undefined), null);
    assert.equal(await startTelemetry('  '), null);
    assert.equal(sdkRegistered(), false);
  });

  it('with a connection string: the Azure Monitor distro is registered, pg — imported before as an ES module — and tedious are instrumented', async () => {
    // loopback endpoints only: the export fails fast, nothing leaves the machine
    const telemetry = await startTelemetry('InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/');
    assert.ok(telemetry);
    try {
      assert.equal(sdkRegistered(), true);
      assert.equal((pg.Client.prototype.query as { __wrapped?: boolean }).__wrapped, true, 'the pg instrumentation patched the module the app imported');
      assert.equal((tedious.Connection.prototype.execSql as { __wrapped?: boolean }).__wrapped, true, 'the tedious instrumentation patched the driver mssql uses');
    } finally {
      await telemetry.shutdown();
    }
  });
});
