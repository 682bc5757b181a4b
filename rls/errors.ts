/**
 * The RLS module's errors: one class, one closed union of stable codes.
 * Callers branch on `code`, never on the message.
 */
export type RlsErrorCode =
  /** the spec (or a cases file) is not valid: `issues` names each path and reason */
  | 'RLS_SPEC_INVALID'
  /** a spec or cases file cannot be read or parsed */
  | 'RLS_FILE_UNREADABLE'
  /** a database URL is not one this tool understands */
  | 'RLS_DB_URL_INVALID'
  /** the database could not be reached or refused the connection */
  | 'RLS_DB_UNREACHABLE'
  /** the operation is not available for this dialect */
  | 'RLS_DIALECT_UNSUPPORTED';

export interface RlsIssue {
  /** dotted path into the document, e.g. `tables.0.tenant.column` */
  path: string;
  reason: string;
}

export class RlsError extends Error {
  constructor(
    readonly code: RlsErrorCode,
    message: string,
    readonly issues: readonly RlsIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RlsError';
  }
}
