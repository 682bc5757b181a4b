/**
 * Registers every operation with the Functions programming model (`app.http`), each under the
 * host's `api` route prefix. Handlers wait for the runtime (built once, lazily connected).
 */
import type { HttpFunctionOptions } from '@azure/functions';
import { HttpError, problemResponse } from './errors.js';
import { operations, type OperationName } from './handlers/index.js';
import type { Runtime } from './runtime.js';

export interface HttpRegistrar {
  http(name: string, options: HttpFunctionOptions): void;
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
