/** The proof's errors, one code each (a finding is a report row, never an error). */
export type ProveErrorCode =
  /** the policy cannot run, the settings or the verify cases are not valid */
  | 'CHAIN_PROVE_INPUT'
  /** a call through the chain did not answer within its bound */
  | 'CHAIN_PROVE_TIMEOUT';

export class ProveError extends Error {
  constructor(
    readonly code: ProveErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProveError';
  }
}
