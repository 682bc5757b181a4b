/**
 * Keeps values out of spans. The pg session sends identity and values as escaped literals in
 * one simple-protocol message (functions/session/pg.ts), and OpenTelemetry's pg instrumentation
 * records the query text as it is (`db.query.text`; `enhancedDatabaseReporting: false` only keeps
 * the bound `values` out) and a failed query's driver message as the span status (a PostgreSQL
 * message can quote a value: `invalid input syntax for type uuid: "..."`).
 *
 * `RedactingSpanProcessor` runs as every span ends (`onEnding`, while it can still change): the
 * statement attributes lose their literals (each string or number literal becomes `?`), and a
 * status message is dropped (the code stays; the error type attribute names the SQLSTATE). Put
 * it before the exporting processor.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The attributes that hold statement text (stable and older semantic conventions). */
export const statementAttributes = ['db.query.text', 'db.statement'] as const;

// a string literal: '...', E'...', N'...' (quotes doubled inside, as the drivers escape them)
const stringLiteral = /(?:\b[EeNn])?'(?:[^']|'')*'/g;
// a number literal, not part of an identifier or a $n / @pn placeholder
const numberLiteral = /(?<![\w$@."])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w"])/g;

/** The statement text without literal values: `where id = 42 and t = 'x'` → `where id = ? and t = ?`. */
export function sanitizeSqlText(text: string): string {
  return text.replace(stringLiteral, '?').replace(numberLiteral, '?');
}

export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}
  onEnding(span: Span): void {
    for (const key of statementAttributes) {
      const value = span.attributes[key];
      if (typeof value === 'string') span.setAttribute(key, sanitizeSqlText(value));
    }
    if (span.status.message !== undefined) span.setStatus({ code: span.status.code });
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
