/**
 * Every way `policy publish` refuses or fails, as one closed union of stable codes.
 * Codes are grouped by stage and never reused:
 * - `PUBLISH_INPUT_*`  the local side (arguments, the policy file, lint, named values): bad input;
 * - `PUBLISH_ARM_*`    the service side (ARM answered with an error, or a concurrent writer won).
 */
export const PublishErrorCode = {
  /** The target (scope + identifiers) is missing, ambiguous or malformed. */
  BadTarget: 'PUBLISH_INPUT_TARGET',
  /** The local policy is not readable policy XML. */
  Malformed: 'PUBLISH_INPUT_MALFORMED',
  /** The linter reported error-level findings and `force` was not set. */
  LintErrors: 'PUBLISH_INPUT_LINT',
  /** The policy references `{{named values}}` the service does not define. */
  MissingNamedValues: 'PUBLISH_INPUT_NAMED_VALUES',
  /** The policy stored in APIM is not readable policy XML (so no safe comparison is possible). */
  RemoteMalformed: 'PUBLISH_ARM_REMOTE_MALFORMED',
  /** ARM answered 412: the policy changed between our read and our write. */
  PreconditionFailed: 'PUBLISH_ARM_PRECONDITION',
  /** Any other ARM failure (status and ARM error code carried on the error). */
  Arm: 'PUBLISH_ARM_FAILED',
} as const;
export type PublishErrorCode = (typeof PublishErrorCode)[keyof typeof PublishErrorCode];

/** Whether a code is the caller's input (CLI exit 2) or the service side (CLI exit 3). */
export function isInputError(code: PublishErrorCode): boolean {
  return code.startsWith('PUBLISH_INPUT_');
}

export interface PublishErrorDetails {
  /** 1-based position in the local policy, for malformed input. */
  line?: number;
  column?: number;
  /** Named values referenced but not defined, sorted. */
  missing?: string[];
  /** HTTP status ARM answered with. */
  status?: number;
  /** ARM's own error code (`error.code` of the response body), e.g. `ValidationError`. */
  armCode?: string;
}

/** A refusal or failure of `policy publish`; branch on `code`. Never carries a token. */
export class PublishError extends Error {
  readonly code: PublishErrorCode;
  readonly details: PublishErrorDetails;
  constructor(code: PublishErrorCode, message: string, details: PublishErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
    this.code = code;
    this.details = details;
  }
}
