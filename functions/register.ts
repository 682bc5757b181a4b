/**
 * Registers every operation with the Functions programming model (`app.http`), each under the
 * host's `api` route prefix. Handlers wait for the runtime (built once, lazily connected).
 * `registerTerminate` ends the runtime (the database pool) on the host's terminate hook.
 */
import type { HttpFunctionOptions } from '@azure/functions';
import { HttpError, problemResponse } from './errors.js';
import { operations, type OperationName } from './handlers/index.js';
import type { Runtime } from './runtime.js';

export interface HttpRegistrar {
  http(name: string, options: HttpFunctionOptions): void;
}

/**
 * `app.hook.appTerminate` of `@azure/functions` 4.x (types/hooks/registerHook.d.ts: "Register a
 * hook to be run during graceful shutdown of your application. This hook will not be executed if
 * your application is terminated forcefully. Hooks have a limited time to execute during the
 * termination grace period.")
 */
export interface TerminateHookRegistrar {
  hook: { appTerminate(handler: () => void | Promise<void>): unknown };
}

/**
 * Closes the runtime once, when the host shuts the worker down gracefully: `pg`'s `pool.end()`
 * lets the queries under way finish and closes every connection; a runtime that never started
 * has nothing to close. A failure is logged (one line, no secret), never thrown into the host.
 */
export function registerTerminate(registrar: TerminateHookRegistrar, runtime: Promise<Runtime>, log: (line: string) => void = (line) => console.error(line)): void {
  let closing: Promise<void> | undefined;
  registrar.hook.appTerminate(() => {
    closing ??= (async () => {
      let ready: Runtime;
      try {
        ready = await runtime;
      } catch {
        return; // start-up failed: nothing was opened
      }
      try {
        await ready.close();
      } catch (err) {
        log(`apim-rls: closing the database connections at shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
    return closing;
  });
}

export function registerFunctions(registrar: HttpRegistrar, runtime: Promise<Runtime>): string[] {
  const names: string[] = [];
  for (const operation of operations) {
    const name = operation.name as OperationName;
    registrar.http(name, {
      methods: [operation.method],
      route: operation.route,
      authLevel: 'anonymous', // proof is checked by the trust boundary, not by function keys
      handler: async (request, context) => {
        let ready: Runtime;
        try {
          ready = await runtime;
        } catch {
          // start-up failed (logged once by the entry): fail closed, answer 503
          const p = problemResponse(new HttpError('FN_503_UNAVAILABLE', 'the app is not ready', { retryAfterSeconds: 30 }));
          return { status: p.status, headers: p.headers, body: p.body };
        }
        return ready.handlers[name].handler(request, context);
      },
    });
    names.push(name);
  }
  return names;
}
