/** GET /api/orders?limit=&next= — the caller's visible orders, by id, with an opaque cursor. */
import { HttpError } from '../errors.js';
import { decodeCursor, encodeCursor, json, toOrder } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';

export const defaultPageSize = 20;
export const maxPageSize = 100;

function parseLimit(raw: string | null): number {
  if (raw === null) return defaultPageSize;
  if (!/^[1-9][0-9]{0,2}$/.test(raw) || Number(raw) > maxPageSize) {
    throw new HttpError('FN_102_BAD_PARAMETER', `limit must be an integer from 1 to ${maxPageSize}`, { reason: 'bad_limit' });
  }
  return Number(raw);
}

export const listOrders: Operation = {
  name: 'listOrders',
  method: 'GET',
  route: 'orders',
  requiresIdentity: true,
  async execute({ request, deps, sessionValues, runOptions }) {
    const limit = parseLimit(request.query.get('limit'));
    const next = request.query.get('next');
    const afterId = next === null ? 0 : decodeCursor(next);
    // one row more than asked tells whether there is a next page
    const result = await deps.session.run(sessionValues, deps.queries.list(limit + 1, afterId), runOptions());
    const items = result.rows.slice(0, limit).map(toOrder);
    const last = items[items.length - 1];
    return json(200, { items, next: result.rows.length > limit && last ? encodeCursor(last.id) : null });
  },
};
