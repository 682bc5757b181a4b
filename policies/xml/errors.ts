/**
 * The one error class of the policy XML layer. Codes are stable and form a closed union, so
 * callers can `switch (err.code)`; line and column are 1-based positions in the source text.
 */
export type PolicyXmlErrorCode =
  /** Not well-formed even after masking the policy expressions (mismatched tags, bad markup). */
  | 'ERR_XML_MALFORMED'
  /** A `@(` or `@{` whose brackets, strings or comments never close. */
  | 'ERR_XML_UNTERMINATED_EXPRESSION'
  /** A closing bracket inside an expression that does not match the open one. */
  | 'ERR_XML_EXPRESSION_BRACKET'
  /** The root element is not `policies` or `fragment`, or there is none. */
  | 'ERR_XML_ROOT'
  /** The text holds characters the parser reserves for masking (Unicode private use U+E000–U+F8FF). */
  | 'ERR_XML_RESERVED_CHARACTER';

export class PolicyXmlError extends Error {
  override readonly name = 'PolicyXmlError';
  constructor(
    readonly code: PolicyXmlErrorCode,
    /** What went wrong, without the position (the message adds it). */
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} (line ${line}, column ${column})`);
  }
}

/** Converts offsets in a text to 1-based line and column (UTF-16 code units). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
  offset(line: number, column: number): number {
    return (this.starts[line - 1] ?? 0) + column - 1;
  }
}
