/**
 * The orders API's statements, one module per dialect with the same shape. Identity never
 * appears as a value here: tenant and owner of a new order, and what /me reports, are read from
 * the session keys the driver set in the same round trip.
 */
import type { Statement } from '../session/statement.js';

export interface OrderInput {
  item: string;
  quantity: number;
}

export interface OrderPatch {
  item?: string | undefined;
  quantity?: number | undefined;
  status?: 'open' | 'shipped' | 'cancelled' | undefined;
}

export interface OrdersQueries {
  /** up to `limit` rows with id > afterId (0 = from the start), ordered by id */
  list(limit: number, afterId: number): Statement;
  get(id: number): Statement;
  /** the new row; tenant and owner from the session keys */
  create(input: OrderInput): Statement;
  /** one row `{ visible, ...order }`: visible = the caller can see the row; order columns null if it was not updated */
  update(id: number, patch: OrderPatch): Statement;
  /** one row `{ visible, deleted }` */
  remove(id: number): Statement;
  /** the session keys as the database sees them, and the caller's tenant row */
  me(): Statement;
  /** reachability */
  ping(): Statement;
}

/** Columns every order query returns. */
export interface OrderRow {
  id: unknown;
  tenant_id: unknown;
  owner_oid: unknown;
  item: unknown;
  quantity: unknown;
  status: unknown;
  created_at: unknown;
}
