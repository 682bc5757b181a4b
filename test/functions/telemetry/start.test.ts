/** Importing the library starts no OpenTelemetry SDK; the app entry starts one only with a connection string. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
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
});
