/**
 * One structured audit line per request, through the Functions logger (InvocationContext): who
 * (oid, tid), what (operation, resource id), the decision (allowed, or refused and why), the
 * request id and the duration. Built from named fields only — a token, a header value or a
 * database message can never reach it.
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
  durationMs: number;
  /** how the identity was proven */
  proof: 'caller-token' | 'gateway-token' | null;
}

export interface AuditLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
}

/** Writes the line (`info` when allowed, `warn` when refused). Returns the line, for tests. */
export function writeAudit(logger: AuditLogger, entry: AuditEntry): string {
  const line = JSON.stringify({
    type: 'apim-rls.audit',
    operation: entry.operation,
    resourceId: entry.resourceId,
    oid: entry.oid,
    tid: entry.tid,
    decision: entry.decision,
    reason: entry.reason,
    status: entry.status,
    requestId: entry.requestId,
    durationMs: Math.round(entry.durationMs * 1000) / 1000,
    proof: entry.proof,
  });
  if (entry.decision === 'allowed') logger.info(line);
  else logger.warn(line);
  return line;
}
