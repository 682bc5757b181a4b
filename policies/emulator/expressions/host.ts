/** What an expression can reach besides its own locals. */
export interface EvalHost {
  /** The `context` object. */
  context: unknown;
  /** Milliseconds since the epoch (DateTime.UtcNow). */
  now(): number;
  /** [0, 1) (new Random()). */
  random(): number;
}
