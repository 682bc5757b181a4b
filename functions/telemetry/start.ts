/**
 * The Functions app's telemetry, started by the app's entry only (functions/app.ts): importing
 * `apim-rls/functions` or any module of the app starts nothing.
 *
 * With a connection string (the standard `APPLICATIONINSIGHTS_CONNECTION_STRING` app setting,
 * https://learn.microsoft.com/azure/azure-monitor/app/opentelemetry-enable?tabs=nodejs), the
 * Azure Monitor OpenTelemetry distro (`useAzureMonitor`) exports the spans to Application
 * Insights: the request span of each invocation (functions/pipeline/trace.ts, a child of the
 * host's trace context) lands in `requests`, the database calls in `dependencies` — PostgreSQL
 * through the distro's pg instrumentation (`enhancedDatabaseReporting: false`: no bound values),
 * Azure SQL through OpenTelemetry's tedious instrumentation, registered here. The statement text
 * loses its literals and a failed query its driver message before export (redact.ts).
 * Without a connection string: no SDK, no exporter — the API stays a no-op (the trace id still
 * reaches the `trace_id` session key from the host's trace context).
 */
import { createRequire } from 'node:module';
import { RedactingSpanProcessor } from './redact.js';

export interface Telemetry {
  /** Flushes and stops the exporter (the host's graceful shutdown). */
  shutdown(): Promise<void>;
}

/**
 * The database drivers, required once more after the instrumentations are registered: the
 * OpenTelemetry instrumentations patch a CommonJS module when it goes through `require`, and the
 * app (ES modules) may have imported `pg` before; the patch is made in place on the one module
 * object every importer shares.
 */
function requireDrivers(): void {
  const require = createRequire(import.meta.url);
  for (const name of ['pg', 'tedious']) {
    try {
      require(name);
    } catch {
      // not installed: nothing to instrument
    }
  }
}

export async function startTelemetry(connectionString: string | undefined): Promise<Telemetry | null> {
  if (connectionString === undefined || connectionString.trim() === '') return null;
  const [{ useAzureMonitor, shutdownAzureMonitor }, { TediousInstrumentation }, { registerInstrumentations }] = await Promise.all([
    import('@azure/monitor-opentelemetry'),
    import('@opentelemetry/instrumentation-tedious'),
    import('@opentelemetry/instrumentation'),
  ]);
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString },
    instrumentationOptions: { postgreSql: { enabled: true, enhancedDatabaseReporting: false } as { enabled: boolean } },
    spanProcessors: [new RedactingSpanProcessor()],
  });
  registerInstrumentations({ instrumentations: [new TediousInstrumentation({ enableTraceContextPropagation: false })] });
  requireDrivers();
  return { shutdown: () => shutdownAzureMonitor() };
}
