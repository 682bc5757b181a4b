/**
 * node:http plumbing of the local gateway: read a request (bounded), write a response,
 * and APIM's own error bodies for what the gateway refuses before any policy runs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1: Connection, the fields it names, Proxy-Connection,
 * Keep-Alive, TE, Transfer-Encoding, Upgrade; Proxy-Authorization and Proxy-Authenticate are
 * meant for this proxy, RFC 9110 §11.7) never cross the gateway; length and encoding are
 * recomputed. `Expect: 100-continue` is answered here (Node sends the 100) and not forwarded
 * (RFC 9110 §10.1.1: a proxy that answers it does not pass it on).
 */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length', 'expect', 'proxy-authorization', 'proxy-authenticate', 'http2-settings']);

/** Incoming headers as name → values, names lower-case, hop-by-hop headers (and those Connection names) dropped. */
export function requestHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  const named = headers.connection === undefined ? null : new Set(headers.connection.split(',').map((n) => n.trim().toLowerCase()));
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || name === 'host' || named?.has(name)) continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  return out;
}

/** The body, or undefined when it exceeds `limit` bytes (the rest is not read). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export type ResponseHeaders = Record<string, string | readonly string[] | undefined>;

/** Writes a response; header names as given, hop-by-hop headers dropped, content-length set. */
export function writeResponse(res: ServerResponse, status: number, headers: ResponseHeaders, body: string | Uint8Array | undefined): void {
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name.toLowerCase())) continue;
    res.setHeader(name, typeof value === 'string' ? value : [...value]);
  }
  res.setHeader('content-length', bytes ? bytes.length : 0);
  res.writeHead(status);
  res.end(bytes);
}

export type GatewayErrorStatus = 400 | 404 | 413 | 431 | 500 | 502;

const gatewayMessages: Record<GatewayErrorStatus, string> = {
  400: 'Bad request',
  404: 'Resource not found',
  413: 'Request entity too large',
  431: 'Request header fields too large',
  500: 'Internal server error',
  502: 'Bad gateway',
};

/** APIM's JSON error body for what the gateway itself refuses (no matching operation, too large, internal error). */
export function gatewayErrorBody(status: GatewayErrorStatus, requestId: string = randomUUID()): string {
  const body: Record<string, unknown> = { statusCode: status, message: gatewayMessages[status] };
  if (status >= 500) body.activityId = requestId;
  return JSON.stringify(body);
}

export function writeGatewayError(res: ServerResponse, status: GatewayErrorStatus, requestId: string = randomUUID()): void {
  writeResponse(res, status, { 'content-type': 'application/json; charset=utf-8' }, gatewayErrorBody(status, requestId));
}

/** A whole HTTP/1.1 response for a socket the parser gave up on (no ServerResponse exists). */
export function rawGatewayError(status: 400 | 431, requestId: string): string {
  const body = gatewayErrorBody(status, requestId);
  const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
