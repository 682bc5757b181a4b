/**
 * The correlation id: the gateway's `X-Request-Id` when it has a safe format, otherwise a new
 * one. It becomes the `request_id` session key and appears in the audit line.
 */
import { randomUUID } from 'node:crypto';

const requestIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function requestIdFrom(header: string | null | undefined): string {
  if (header && requestIdPattern.test(header)) return header;
  return randomUUID();
}
