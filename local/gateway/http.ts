/**
 * node:http plumbing of the local gateway: read a request (bounded), write a response,
 * and APIM's own error bodies for what the gateway refuses before any policy runs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) never cross the gateway; length and encoding are recomputed. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length']);

/** Incoming headers as name → values, names lower-case, hop-by-hop headers dropped. */
export function requestHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || name === 'host') continue;
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

/** APIM's JSON error body for what the gateway itself refuses (no matching operation, too large, internal error). */
export function writeGatewayError(res: ServerResponse, status: 404 | 413 | 500 | 502, requestId: string = randomUUID()): void {
  const message = { 404: 'Resource not found', 413: 'Request entity too large', 500: 'Internal server error', 502: 'Bad gateway' }[status];
  const body: Record<string, unknown> = { statusCode: status, message };
  if (status >= 500) body.activityId = requestId;
  writeResponse(res, status, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(body));
}
