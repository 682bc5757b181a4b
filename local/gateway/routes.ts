/**
 * The API the local gateway publishes, as APIM models it: an API with a URL suffix and a
 * service URL (the backend), and operations with URL templates. A request to
 * `{gateway}/{suffix}{template}` is forwarded to `{serviceUrl}{template}`, as APIM does.
 *
 * Templates are compiled once at start-up into one matcher; a request only runs it.
 */

export interface ApiOperation {
  /** Operation id, e.g. `get-order`. */
  id: string;
  method: string;
  /** URL template relative to the API, e.g. `/orders/{id}`. */
  urlTemplate: string;
}

export interface ApiDefinition {
  name: string;
  /** URL suffix of the API on the gateway, without slashes; '' = at the root. */
  path: string;
  operations: readonly ApiOperation[];
}

/** The orders API of this product: the Functions app's routes under `/api`. */
export const ordersApi: ApiDefinition = Object.freeze({
  name: 'orders-api',
  path: '',
  operations: Object.freeze([
    { id: 'list-orders', method: 'GET', urlTemplate: '/orders' },
    { id: 'create-order', method: 'POST', urlTemplate: '/orders' },
    { id: 'get-order', method: 'GET', urlTemplate: '/orders/{id}' },
    { id: 'update-order', method: 'PATCH', urlTemplate: '/orders/{id}' },
    { id: 'delete-order', method: 'DELETE', urlTemplate: '/orders/{id}' },
    { id: 'get-me', method: 'GET', urlTemplate: '/me' },
    { id: 'health', method: 'GET', urlTemplate: '/health' },
  ]),
});

export interface RouteMatch {
  operation: ApiOperation;
  /** Template parameters, decoded. */
  params: Record<string, string>;
  /** The path relative to the API (after the suffix), as sent: appended to the service URL. */
  operationPath: string;
}

export type RouteResult =
  | { kind: 'operation'; match: RouteMatch }
  /** No operation for this method, but the path belongs to the API (a CORS preflight goes to the API's policies). */
  | { kind: 'path-only'; operationPath: string }
  | { kind: 'none' };

interface CompiledOperation {
  operation: ApiOperation;
  pattern: RegExp;
  names: string[];
}

export interface Router {
  match(method: string, path: string): RouteResult;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles an API's operations into a matcher. Paths match case-insensitively, as in APIM; a trailing slash is tolerated. */
export function compileRoutes(api: ApiDefinition): Router {
  if (!/^[A-Za-z0-9._~/-]*$/.test(api.path)) throw new TypeError(`invalid API path "${api.path}"`);
  const prefix = api.path === '' ? '' : '/' + api.path.replace(/^\/+|\/+$/g, '');
  const compiled: CompiledOperation[] = api.operations.map((operation) => {
    if (!operation.urlTemplate.startsWith('/')) throw new TypeError(`URL template of ${operation.id} must start with /`);
    const names: string[] = [];
    const source = operation.urlTemplate
      .split(/(\{[A-Za-z_][A-Za-z0-9_-]*\})/)
      .map((part) => {
        const m = /^\{(.+)\}$/.exec(part);
        if (!m) return escapeRegExp(part);
        names.push(m[1] as string);
        return '([^/]+)';
      })
      .join('');
    return { operation: { ...operation, method: operation.method.toUpperCase() }, pattern: new RegExp(`^${source}/?$`, 'i'), names };
  });

  return {
    match(method, path) {
      let operationPath: string;
      if (prefix === '') operationPath = path;
      else if (path.toLowerCase() === prefix.toLowerCase()) operationPath = '/';
      else if (path.toLowerCase().startsWith(prefix.toLowerCase() + '/')) operationPath = path.slice(prefix.length);
      else return { kind: 'none' };
      const upper = method.toUpperCase();
      let pathMatched = false;
      for (const c of compiled) {
        const m = c.pattern.exec(operationPath);
        if (!m) continue;
        pathMatched = true;
        if (c.operation.method !== upper) continue;
        const params: Record<string, string> = {};
        let ok = true;
        c.names.forEach((name, i) => {
          try {
            params[name] = decodeURIComponent(m[i + 1] as string);
          } catch {
            ok = false; // malformed percent-encoding: no match
          }
        });
        if (!ok) return { kind: 'none' };
        return { kind: 'operation', match: { operation: c.operation, params, operationPath } };
      }
      return pathMatched ? { kind: 'path-only', operationPath } : { kind: 'none' };
    },
  };
}
