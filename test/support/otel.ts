/**
 * Registers a tracer provider as the process's global one for a test file, and undoes it.
 * `provider.register()` sets OpenTelemetry's global tracer provider, context manager and
 * propagator, and `provider.shutdown()` leaves them set: the files that run after it in the same
 * worker process (scripts/test-worker.mjs) would see an SDK where they test that none is.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export function registerGlobally(provider: NodeTracerProvider): () => Promise<void> {
  provider.register();
  return async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  };
}
