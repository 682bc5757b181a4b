/** Importing the library starts no OpenTelemetry SDK; the app entry starts one only with a connection string. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import pg from 'pg';
import { startTelemetry } from '../../../functions/telemetry/start.js';

const recording = () => trace.getTracer('probe').startSpan('probe').isRecording();

describe('telemetry start', () => {
  it('importing apim-rls/functions registers no SDK: spans stay no-ops', async () => {
    await import('../../../exports/functions.js');
    await import('../../../functions/index.js');
    assert.equal(recording(), false);
  });

  it('without APPLICATIONINSIGHTS_CONNECTION_STRING: no SDK, no exporter', async () => {
    assert.equal(await startTelemetry(undefined), null);
    assert.equal(await startTelemetry('  '), null);
    assert.equal(recording(), false);
  });

  it('with a connection string: the Azure Monitor distro records spans, and pg — imported before as an ES module — is instrumented', async () => {
    // loopback endpoints only: the export fails fast, nothing leaves the machine
    const telemetry = await startTelemetry('InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/');
    assert.ok(telemetry);
    try {
      assert.equal(recording(), true);
      assert.equal((pg.Client.prototype.query as { __wrapped?: boolean }).__wrapped, true, 'the pg instrumentation patched the module the app imported');
    } finally {
      await telemetry.shutdown();
    }
  });
});
