/** Errors of the typed model, with stable codes. */
export type PolicyModelErrorCode =
  /** The XML root is neither `<policies>` nor `<fragment>`. */
  | 'ERR_POLICY_ROOT'
  /** A `raw()` escape hatch holds XML that does not parse. */
  | 'ERR_POLICY_RAW_XML'
  /** A value cannot be written as XML (for example an unknown node kind). */
  | 'ERR_POLICY_MODEL';

export class PolicyModelError extends Error {
  constructor(
    readonly code: PolicyModelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PolicyModelError';
  }
}
