/** Calls a handler directly, as the Functions host would: HttpRequest + InvocationContext with a capturing logger. */
import azureFunctions from '@azure/functions';
import type { OperationName } from '../../../functions/handlers/index.js';
import type { Runtime } from '../../../functions/runtime.js';

const { HttpRequest, InvocationContext } = azureFunctions;

export interface CallOptions {
  token?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  /** raw body text (sent as is) */
  rawBody?: string;
  /** the trace context the host hands the invocation */
  traceContext?: { traceParent?: string; traceState?: string; attributes?: Record<string, string> };
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: unknown;
  logs: { level: string; message: string }[];
}

const methods: Record<OperationName, string> = {
  listOrders: 'GET',
  createOrder: 'POST',
  getOrder: 'GET',
  updateOrder: 'PATCH',
  deleteOrder: 'DELETE',
  getMe: 'GET',
  health: 'GET',
};

export async function call(runtime: Runtime, name: OperationName, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const url = new URL('http://localhost/api/x');
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const request = new HttpRequest({
    method: methods[name],
    url: url.toString(),
    headers,
    params: options.params ?? {},
    query: options.query ?? {},
    ...(body !== undefined ? { body: { string: body } } : {}),
  });
  const logs: { level: string; message: string }[] = [];
  const context = new InvocationContext({ invocationId: 'test', functionName: name, ...(options.traceContext ? { traceContext: options.traceContext } : {}), logHandler: (level, ...args) => void logs.push({ level, message: args.map(String).join(' ') }) });
  const res = await runtime.handlers[name].handler(request, context);
  const text = typeof res.body === 'string' ? res.body : '';
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: json stays undefined
  }
  return { status: res.status ?? 200, headers: (res.headers ?? {}) as Record<string, string>, body: text, json, logs };
}
