/**
 * One structured audit line per request, through the Functions logger (InvocationContext): who
 * (oid, tid), what (operation, resource id), the decision (allowed, or refused and why), the
 * request id, the trace id and the duration. Built from named fields only — a token, a header value or a
 * database message can never reach it. Every text field is bounded ({@link auditValueMaxLength}
 * characters, then `…`): a refused claim can be as long as the token that carried it.
 */
export interface AuditEntry {
  operation: string;
  resourceId: string | null;
  oid: string | null;
  tid: string | null;
  decision: 'allowed' | 'refused';
  /** the structured reason when refused (an error reason code such as `no_token`, `rls_blocked`) */
  reason: string | null;
  status: number;
  requestId: string;
  /** the W3C trace id of the request's span (the gateway's trace), or null without a trace context */
  traceId?: string | null;
  durationMs: number;
  /** how the identity was proven */
  proof: 'caller-token' | 'gateway-token' | null;
}

export interface AuditLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
}

/** Longest text a field of the audit line holds (a GUID is 36; a request id at most 128). */
export const auditValueMaxLength = 128;

function bounded(v: string | null): string | null {
  if (v === null || v.length <= auditValueMaxLength) return v;
  // never split a surrogate pair
  let end = auditValueMaxLength;
  const c = v.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${v.slice(0, end)}…`;
}

/** Writes the line (`info` when allowed, `warn` when refused). Returns the line, for tests. */
export function writeAudit(logger: AuditLogger, entry: AuditEntry): string {
  const line = JSON.stringify({
    type: 'apim-rls.audit',
    operation: bounded(entry.operation),
    resourceId: bounded(entry.resourceId),
    oid: bounded(entry.oid),
    tid: bounded(entry.tid),
    decision: entry.decision,
    reason: bounded(entry.reason),
    status: entry.status,
    requestId: bounded(entry.requestId),
    traceId: bounded(entry.traceId ?? null),
    durationMs: Math.round(entry.durationMs * 1000) / 1000,
    proof: entry.proof,
  });
  if (entry.decision === 'allowed') logger.info(line);
  else logger.warn(line);
  return line;
}
