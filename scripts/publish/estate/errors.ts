/**
 * Every way `apim-rls publish DIR` refuses or fails, one closed union of stable codes, grouped
 * by stage and never reused:
 * - `ESTATE_INPUT_*` the folder (layout, policies, references, secrets): bad input, exit 2;
 * - `ESTATE_ARM_*`   the service (ARM errors, concurrent changes, a run stopped part-way): exit 3.
 */
export const EstateErrorCode = {
  /** The folder is not an estate in APIOps's layout (unreadable, bad JSON, bad id, unknown workspace). */
  Layout: 'ESTATE_INPUT_LAYOUT',
  /** A policy is not policy XML (or has the wrong root for its place). */
  Malformed: 'ESTATE_INPUT_MALFORMED',
  /** Error-level lint findings at a policy's scope, without `--force`. */
  LintErrors: 'ESTATE_INPUT_LINT',
  /** `{{named values}}` that neither the folder nor the service define. */
  MissingNamedValues: 'ESTATE_INPUT_NAMED_VALUES',
  /** `include-fragment` ids that neither the folder nor the service define. */
  MissingFragments: 'ESTATE_INPUT_FRAGMENTS',
  /** A policy for a product, API (revision) or operation the service does not have. */
  MissingParent: 'ESTATE_INPUT_PARENT',
  /** A secret named value with its value in the folder, or whose environment variable is unset. */
  Secret: 'ESTATE_INPUT_SECRET',
  /** What the service holds cannot be read (a policy that does not parse, an answer without a value). */
  RemoteMalformed: 'ESTATE_ARM_REMOTE_MALFORMED',
  /** ARM answered 412: someone changed the resource since it was read. */
  PreconditionFailed: 'ESTATE_ARM_PRECONDITION',
  /** Any other ARM failure, after the bounded retries. */
  Arm: 'ESTATE_ARM_FAILED',
} as const;
export type EstateErrorCode = (typeof EstateErrorCode)[keyof typeof EstateErrorCode];

export function isEstateInputError(code: EstateErrorCode): boolean {
  return code.startsWith('ESTATE_INPUT_');
}

export interface EstateErrorDetails {
  /** Folder-relative file the problem is in. */
  file?: string;
  line?: number;
  column?: number;
  /** Every problem, when there are several (each one line). */
  problems?: string[];
  /** Names not found (named values, fragments, parents). */
  missing?: string[];
  /** ARM path of the resource. */
  path?: string;
  status?: number;
  armCode?: string;
}

/** A refusal or failure of an estate publish; branch on `code`. Never carries a token or a secret value. */
export class EstateError extends Error {
  readonly code: EstateErrorCode;
  readonly details: EstateErrorDetails;
  constructor(code: EstateErrorCode, message: string, details: EstateErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EstateError';
    this.code = code;
    this.details = details;
  }
}
