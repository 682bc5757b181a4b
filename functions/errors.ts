/**
 * Every error the Functions app answers with, declared once: a stable code, the HTTP status and
 * a title. Codes are grouped by stage and never reused (a retired code stays as a comment):
 *   FN_1xx request (input)   FN_2xx identity (proof, claims)   FN_3xx data (database outcome)
 *   FN_5xx availability
 * Responses are `application/problem+json` (RFC 9457). A detail never holds a token, a header
 * value the caller sent as proof, or a database message.
 */
export const errorTable = {
  FN_100_BAD_REQUEST: { status: 400, title: 'Bad request' },
  FN_101_BAD_JSON: { status: 400, title: 'The body is not valid JSON' },
  FN_102_BAD_PARAMETER: { status: 400, title: 'A path or query parameter is invalid' },
  FN_110_NOT_FOUND: { status: 404, title: 'Not found' },
  FN_111_ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  FN_112_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  FN_120_PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is too large' },
  FN_121_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The body must be application/json' },
  FN_122_VALIDATION_FAILED: { status: 422, title: 'The body failed validation' },
  FN_200_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FN_201_INVALID_TOKEN: { status: 401, title: 'The token is not valid' },
  FN_202_UNPROVEN_IDENTITY_HEADERS: { status: 401, title: 'Identity headers without proof' },
  FN_203_GATEWAY_NOT_ALLOWED: { status: 401, title: 'The token does not come from an allowed gateway' },
  FN_210_CLAIM_MISSING: { status: 403, title: 'A required claim is missing' },
  FN_211_CLAIM_INVALID: { status: 403, title: 'A claim has the wrong type or is too long' },
  FN_300_FORBIDDEN_BY_POLICY: { status: 403, title: 'The row-level security policy refused the write' },
  FN_301_CONFLICT: { status: 409, title: 'Conflict' },
  FN_500_INTERNAL: { status: 500, title: 'Internal error' },
  FN_503_UNAVAILABLE: { status: 503, title: 'The database is unavailable' },
  FN_510_DEADLINE_EXCEEDED: { status: 503, title: 'The request did not finish within its deadline' },
} as const;

export type ErrorCode = keyof typeof errorTable;

/** An error the pipeline answers with; `reason` is the structured why, used for the audit line. */
export class HttpError extends Error {
  readonly status: number;
  readonly title: string;
  /** seconds, for 503 */
  readonly retryAfterSeconds: number | undefined;
  /** the structured reason for the audit line (never a secret) */
  readonly reason: string;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: { reason?: string; retryAfterSeconds?: number; cause?: unknown },
  ) {
    const entry = errorTable[code];
    super(detail ?? entry.title, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = entry.status;
    this.title = entry.title;
    this.reason = options?.reason ?? code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}

/** The problem+json document for an error. `instance` is the request id, for correlation. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  errors?: { path: string; message: string }[];
}

export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function problemResponse(err: HttpError, requestId?: string, errors?: { path: string; message: string }[]): ProblemResponse {
  const doc: ProblemDocument = {
    type: `urn:apim-rls:problem:${err.code}`,
    title: err.title,
    status: err.status,
    code: err.code,
    detail: err.message,
  };
  if (requestId !== undefined) doc.instance = `urn:apim-rls:request:${requestId}`;
  if (errors !== undefined) doc.errors = errors;
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
  if (err.status === 401) headers['www-authenticate'] = 'Bearer';
  return { status: err.status, headers, body: JSON.stringify(doc) };
}

/** A validation error with its per-field list (422). */
export class ValidationError extends HttpError {
  constructor(readonly errors: { path: string; message: string }[]) {
    super('FN_122_VALIDATION_FAILED', 'The body failed validation', { reason: 'validation' });
  }
}
