/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as API Management applies it when its
 * Application Insights diagnostic uses the W3C correlation protocol (`httpCorrelationProtocol`:
 * "W3C: Inject Trace Context headers. See https://w3c.github.io/trace-context";
 * https://learn.microsoft.com/rest/api/apimanagement/diagnostic/create-or-update#httpcorrelationprotocol,
 * https://learn.microsoft.com/azure/api-management/api-management-howto-app-insights):
 * the gateway continues a valid incoming `traceparent` (same trace id, the caller's span as its
 * parent) or starts a new trace, and sends `traceparent` with ITS OWN span id as the parent to the
 * backend.
 *
 * Parsing follows the spec's rules (https://www.w3.org/TR/trace-context/#traceparent-header):
 * lower-case hex only, version `ff` invalid, an all-zero trace-id or parent-id invalid, version
 * `00` exactly four fields, a later version may carry more after a `-`; more than one
 * `traceparent` header is invalid (the W3C test suite's `test_traceparent_duplicated`). The field
 * grammar itself is OpenTelemetry's (`parseTraceParent` of @opentelemetry/core). "If the
 * traceparent header value is invalid, the vendor creates a new traceparent", and a vendor that
 * failed to parse `traceparent` "MUST NOT attempt to parse tracestate"
 * (https://www.w3.org/TR/trace-context/#processing-model): a malformed `traceparent` is replaced,
 * its `tracestate` dropped — never forwarded.
 *
 * A client-sent `traceparent` is not identity, but it is input: it is bounded (longer values are
 * refused unparsed) and validated before its trace id is used anywhere.
 */
import { randomBytes } from 'node:crypto';
import { parseTraceParent } from '@opentelemetry/core';

/** A valid incoming `traceparent`: the caller's trace and span. */
export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** The caller's span (16 lower-case hex digits, not all zero): the parent of the gateway's span. */
  parentId: string;
  /** The trace-flags byte (bit 0: sampled). */
  traceFlags: number;
}

/** The gateway's span of one request: what it forwards and logs. */
export interface GatewaySpanContext {
  traceId: string;
  /** The gateway's own span id: the parent-id of the `traceparent` it forwards. */
  spanId: string;
  /** The caller's span id when the trace was continued; null when the gateway started it. */
  parentSpanId: string | null;
  traceFlags: number;
  /** The `tracestate` forwarded with it (only with a continued trace), or null. */
  traceState: string | null;
}

/** Makes new ids (an OpenTelemetry `IdGenerator` fits). */
export interface TraceIdGenerator {
  generateTraceId(): string;
  generateSpanId(): string;
}

/**
 * The longest `traceparent` parsed. Version 00 is exactly 55 characters; later versions may append
 * fields, which the spec leaves unbounded: anything longer than this is refused unparsed (the
 * stricter choice).
 */
export const maxTraceparentLength = 256;
/** `tracestate`: "at most 32 list-members", and vendors "SHOULD propagate at least 512 characters" (https://www.w3.org/TR/trace-context/#tracestate-limits); more is dropped. */
export const maxTracestateLength = 512;
export const maxTracestateMembers = 32;

const traceIdPattern = /^[0-9a-f]{32}$/;
const spanIdPattern = /^[0-9a-f]{16}$/;
const zeroTraceId = '0'.repeat(32);
const zeroSpanId = '0'.repeat(16);

/** 32 lower-case hex digits, not all zero (https://www.w3.org/TR/trace-context/#trace-id). */
export function isValidTraceId(id: unknown): id is string {
  return typeof id === 'string' && traceIdPattern.test(id) && id !== zeroTraceId;
}

/** 16 lower-case hex digits, not all zero (https://www.w3.org/TR/trace-context/#parent-id). */
export function isValidSpanId(id: unknown): id is string {
  return typeof id === 'string' && spanIdPattern.test(id) && id !== zeroSpanId;
}

/** The header's values as received (one string, several, or none) → the one valid traceparent, or null. */
export function parseTraceparent(header: string | readonly string[] | null | undefined): TraceParent | null {
  let value: string | undefined;
  if (typeof header === 'string') value = header;
  else if (header && header.length === 1) value = header[0];
  // absent, or more than one traceparent header: invalid
  if (value === undefined || value.length > maxTraceparentLength) return null;
  // a comma means several values folded into one header line: invalid as well
  if (value.includes(',')) return null;
  const parsed = parseTraceParent(value);
  if (!parsed || !isValidTraceId(parsed.traceId) || !isValidSpanId(parsed.spanId)) return null;
  return { traceId: parsed.traceId, parentId: parsed.spanId, traceFlags: parsed.traceFlags & 0xff };
}

/** `00-<trace-id>-<parent-id>-<flags>`. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

// list-member = key "=" value (https://www.w3.org/TR/trace-context/#key, #value): a simple key starts
// with a lower-case letter; a multi-tenant key is tenant-id "@" system-id; the value's last character is not a space
const tracestateMember = /^(?:[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** The `tracestate` to forward with a continued trace: combined, within the limits, every member well-formed; otherwise null (dropped). */
export function tracestateToForward(header: string | readonly string[] | null | undefined): string | null {
  if (header === undefined || header === null) return null;
  const combined = typeof header === 'string' ? header : header.join(',');
  if (combined.length === 0 || combined.length > maxTracestateLength) return null;
  const members = combined.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (members.length === 0 || members.length > maxTracestateMembers) return null;
  if (!members.every((m) => tracestateMember.test(m))) return null;
  return members.join(',');
}

/** Random ids from the operating system's generator (never all zero). */
export const randomTraceIds: TraceIdGenerator = {
  generateTraceId: () => nonZeroHex(16),
  generateSpanId: () => nonZeroHex(8),
};

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** The sampled flag of a new trace (APIM samples by its diagnostic's percentage; 100 % here). */
const sampled = 0x01;

/**
 * The gateway's span for one request: continues the incoming trace when `traceparent` is valid,
 * otherwise starts a new one; a new span id either way. `own` is the span the host already
 * recorded for this request (the local gateway's OpenTelemetry span), used as is when it belongs
 * to the same trace.
 */
export function gatewaySpanContext(
  traceparent: string | readonly string[] | null | undefined,
  tracestate: string | readonly string[] | null | undefined,
  ids: TraceIdGenerator = randomTraceIds,
  own?: { traceId: string; spanId: string; traceFlags: number },
): GatewaySpanContext {
  const parent = parseTraceparent(traceparent);
  const ownFits = own !== undefined && isValidTraceId(own.traceId) && isValidSpanId(own.spanId) && (parent === null || own.traceId === parent.traceId) && own.spanId !== parent?.parentId;
  if (parent === null) {
    if (ownFits) return { traceId: own.traceId, spanId: own.spanId, parentSpanId: null, traceFlags: own.traceFlags & 0xff, traceState: null };
    return { traceId: checked(ids.generateTraceId(), isValidTraceId), spanId: checked(ids.generateSpanId(), isValidSpanId), parentSpanId: null, traceFlags: sampled, traceState: null };
  }
  return {
    traceId: parent.traceId,
    spanId: ownFits ? own.spanId : checked(ids.generateSpanId(), isValidSpanId),
    parentSpanId: parent.parentId,
    // the caller's sampled decision travels on (only the flags version 00 defines)
    traceFlags: ownFits ? own.traceFlags & 0xff : parent.traceFlags & 0x01,
    traceState: tracestateToForward(tracestate),
  };
}

function checked(id: string, valid: (id: unknown) => boolean): string {
  if (!valid(id)) throw new TypeError(`the trace id generator returned an invalid id ${JSON.stringify(id)}`);
  return id;
}
