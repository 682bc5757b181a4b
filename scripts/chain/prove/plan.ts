/**
 * Which API operation expresses each check of a verify case. The orders API (functions/handlers)
 * reads and writes `app.orders` and reads the caller's own `app.tenants` row; it takes an order's
 * tenant and owner from the verified identity (session keys `tenant_id`, `user_oid`), never from
 * the body. So:
 *   rows  app.orders            → GET /orders, every page: the number of orders listed
 *   rows  app.tenants           → GET /me: `database.tenantName` set (1) or null (0) — the caller's
 *                                 own tenant row only, so a truth of more than 1 is not reachable
 *   insert app.orders as caller → POST /orders {item, quantity} (tenant and owner = the caller's)
 *   update app.orders           → PATCH /orders/{id} {item?, quantity?, status?}; `where` must pick one row
 *   delete app.orders           → DELETE /orders/{id}; `where` must pick one row
 * Everything else has no API operation: reported "not reachable through the API", never as a pass.
 * An insert naming another tenant or owner, or an update moving a row to one, is sent anyway with
 * those fields in the body, to show the API refuses the body itself (422) rather than letting it
 * reach the database.
 */
import type { VerifyCase, WriteProbe } from '../../../rls/cases.js';
import type { RlsSpec } from '../../../rls/spec/schema.js';

export const ordersTable = 'app.orders';
export const tenantsTable = 'app.tenants';
/** The session keys the API's statements fill an order's tenant and owner from (functions/queries). */
const apiTenantKey = 'tenant_id';
const apiOwnerKey = 'user_oid';
const bodyColumns: Record<string, string> = { item: 'item', quantity: 'quantity', status: 'status' };
/** body field names that name a tenant or an owner (refused by the API's strict schemas) */
const identityBodyFields: Record<string, string> = { tenant_id: 'tenantId', owner_oid: 'ownerOid' };

export type ReadPlan =
  | { kind: 'list-orders'; operation: 'GET /orders' }
  | { kind: 'me-tenant'; operation: 'GET /me' }
  | { kind: 'unreachable'; why: string };

/** An API call the proof makes; `where` is resolved to an order id on the database first. */
export interface WriteCall {
  method: 'POST' | 'PATCH' | 'DELETE';
  where?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

export type WritePlan =
  | { kind: 'call'; operation: string; call: WriteCall }
  /** not reachable; `attempt` is the call that shows the API refuses to express it (expected 422) */
  | { kind: 'unreachable'; why: string; attempt?: { operation: string; call: WriteCall } };

export interface CasePlan {
  reads: { table: string; plan: ReadPlan }[];
  writes: { subject: string; probe: WriteProbe; plan: WritePlan }[];
}

function claimOfKey(spec: RlsSpec, key: string): string | undefined {
  const k = spec.sessionKeys.find((s) => s.name === key);
  return k?.source === 'claim' ? k.claim : undefined;
}

export function planRead(table: string): ReadPlan {
  if (table === ordersTable) return { kind: 'list-orders', operation: 'GET /orders' };
  if (table === tenantsTable) return { kind: 'me-tenant', operation: 'GET /me' };
  return { kind: 'unreachable', why: `the API reads no rows of ${table}` };
}

export function planWrite(spec: RlsSpec, c: VerifyCase, probe: WriteProbe): WritePlan {
  if (probe.table !== ordersTable) return { kind: 'unreachable', why: `the API writes no rows of ${probe.table}` };
  const tenantClaim = claimOfKey(spec, apiTenantKey);
  const ownerClaim = claimOfKey(spec, apiOwnerKey);
  const callerValue: Record<string, unknown> = {
    tenant_id: tenantClaim === undefined ? undefined : c.claims[tenantClaim],
    owner_oid: ownerClaim === undefined ? undefined : c.claims[ownerClaim],
  };
  const refusedBody = (cols: Record<string, unknown>, base: Record<string, unknown>) => {
    const body = { ...base };
    for (const [col, field] of Object.entries(identityBodyFields)) if (col in cols) body[field] = cols[col];
    return body;
  };
  switch (probe.op) {
    case 'insert': {
      const v = probe.values;
      const other = Object.keys(v).filter((col) => !(col in identityBodyFields) && col !== 'item' && col !== 'quantity');
      if (other.length > 0) return { kind: 'unreachable', why: `POST /orders takes no ${other.join(', ')}` };
      if (typeof v['item'] !== 'string' || typeof v['quantity'] !== 'number') return { kind: 'unreachable', why: 'POST /orders needs an item (text) and a quantity (number)' };
      const body = { item: v['item'], quantity: v['quantity'] };
      const foreign = Object.keys(identityBodyFields).filter((col) => typeof callerValue[col] !== 'string' || v[col] !== callerValue[col]);
      if (foreign.length > 0) {
        return {
          kind: 'unreachable',
          why: `the API takes ${foreign.join(' and ')} from the verified identity, and the probe's differ from the caller's`,
          attempt: { operation: 'POST /orders', call: { method: 'POST', body: refusedBody(v, body) } },
        };
      }
      return { kind: 'call', operation: 'POST /orders', call: { method: 'POST', body } };
    }
    case 'update': {
      const movesIdentity = Object.keys(probe.set).filter((col) => col in identityBodyFields);
      const other = Object.keys(probe.set).filter((col) => !(col in identityBodyFields) && !(col in bodyColumns));
      if (other.length > 0) return { kind: 'unreachable', why: `PATCH /orders/{id} changes no ${other.join(', ')}` };
      const body: Record<string, unknown> = {};
      for (const [col, v] of Object.entries(probe.set)) if (col in bodyColumns) body[bodyColumns[col] as string] = v;
      if (movesIdentity.length > 0) {
        return {
          kind: 'unreachable',
          why: `the API never changes an order's ${movesIdentity.join(' or ')}`,
          attempt: { operation: 'PATCH /orders/{id}', call: { method: 'PATCH', where: probe.where, body: refusedBody(probe.set, body) } },
        };
      }
      return { kind: 'call', operation: 'PATCH /orders/{id}', call: { method: 'PATCH', where: probe.where, body } };
    }
    case 'delete':
      return { kind: 'call', operation: 'DELETE /orders/{id}', call: { method: 'DELETE', where: probe.where } };
  }
}

export function planCase(spec: RlsSpec, c: VerifyCase): CasePlan {
  return {
    reads: Object.keys(c.rows).map((table) => ({ table, plan: planRead(table) })),
    writes: c.writes.map((probe, i) => ({ subject: probe.name ?? `${probe.op} ${probe.table} #${i + 1}`, probe, plan: planWrite(spec, c, probe) })),
  };
}
