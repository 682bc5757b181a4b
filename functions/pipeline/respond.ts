/** Response shapes: JSON bodies, the order representation, the paging cursor. */
import type { HttpResponseInit } from '@azure/functions';
import { HttpError } from '../errors.js';

export interface Order {
  id: number;
  tenantId: string;
  ownerOid: string;
  item: string;
  quantity: number;
  status: string;
  createdAt: string;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

export function toOrder(row: Readonly<Record<string, unknown>>): Order {
  const created = row['created_at'];
  return {
    id: Number(row['id']),
    tenantId: String(row['tenant_id']),
    ownerOid: String(row['owner_oid']),
    item: String(row['item']),
    quantity: Number(row['quantity']),
    status: String(row['status']),
    createdAt: (created instanceof Date ? created : new Date(String(created))).toISOString(),
  };
}

/** Opaque cursor: base64url of `{"after": <last id>}`. */
export function encodeCursor(afterId: number): string {
  return Buffer.from(JSON.stringify({ after: afterId })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const bad = () => new HttpError('FN_102_BAD_PARAMETER', 'the next cursor is not valid', { reason: 'bad_cursor' });
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw bad();
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const after = (doc as { after?: unknown } | null)?.after;
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0) throw bad();
  return after;
}

/** A path id: a positive integer. */
export function parseId(raw: string | undefined): number {
  if (raw === undefined || !/^[1-9][0-9]{0,14}$/.test(raw)) {
    throw new HttpError('FN_102_BAD_PARAMETER', 'the order id must be a positive integer', { reason: 'bad_id' });
  }
  return Number(raw);
}
