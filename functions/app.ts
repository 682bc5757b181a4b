/**
 * The Azure Functions entry (package.json `main` → dist/functions/app.js). The only module of
 * the app that reads `process.env`: app settings are validated here at start-up (a bad setting
 * stops the app with one clear message listing every problem), the one credential is created
 * here, telemetry starts here (functions/telemetry/start.ts), and every operation is registered
 * with `app.http`.
 */
// the package is a CommonJS bundle: Node's ESM loader sees only its default export
import azureFunctions from '@azure/functions';
import { loadConfig } from './config.js';
import { createCredential, needsCredential } from './credential.js';
import { registerFunctions, registerTerminate } from './register.js';
import { createRuntime } from './runtime.js';
import { pgliteCacheDirFromEnv } from '../rls/db/pglite-cluster.js';
import { startTelemetry } from './telemetry/start.js';

const config = loadConfig(process.env);
// Application Insights when the standard setting is there (no exporter otherwise), before the database pools exist
const telemetry = await startTelemetry(process.env.APPLICATIONINSIGHTS_CONNECTION_STRING).catch((err: unknown) => {
  console.error(`apim-rls: telemetry did not start: ${err instanceof Error ? err.message : String(err)}`);
  return null;
});
const credential = needsCredential(config) ? createCredential(config) : undefined;
// APIM_RLS_DB=pglite:… (a local run): a new cluster comes from the cached dump of a fresh initdb
const runtime = createRuntime({ config, pgliteCache: pgliteCacheDirFromEnv(process.env), ...(credential ? { credential } : {}) });
// surface a start-up failure in the host log; each request then answers 500 through the pipeline
runtime.catch((err: unknown) => console.error(`apim-rls: start-up failed: ${err instanceof Error ? err.message : String(err)}`));

registerFunctions(azureFunctions.app, runtime);
// the host's graceful shutdown ends the database pool (app.hook.appTerminate, @azure/functions 4.x)
registerTerminate(azureFunctions.app, runtime);
if (telemetry) azureFunctions.app.hook.appTerminate(() => telemetry.shutdown());
