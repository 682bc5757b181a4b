/**
 * The Functions app's HTTP routes as the host matches them: each operation's `route` template
 * (functions/handlers) under the `api` prefix (host.json's default `routePrefix`), compiled once.
 * The local Functions host and `chain check --prove`'s in-process backend match requests with it.
 */
import { operations, type OperationName } from '../../functions/handlers/index.js';

export const routePrefix = 'api';

export interface Route {
  name: OperationName;
  method: string;
  pattern: RegExp;
  paramNames: string[];
}

/** `orders/{id}` → /^\/api\/orders\/([^/]+)\/?$/i with ['id']. */
export function compileRoute(template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const body = template
    .split('/')
    .map((seg) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(seg);
      if (m?.[1]) {
        paramNames.push(m[1]);
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^/${routePrefix}/${body}/?$`, 'i'), paramNames };
}

/** Every operation the app registers, as a route. */
export function appRoutes(): Route[] {
  return operations.map((op) => ({ name: op.name as OperationName, method: op.method, ...compileRoute(op.route) }));
}
