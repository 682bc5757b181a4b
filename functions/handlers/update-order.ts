/**
 * PATCH /api/orders/{id} — 404 when the caller cannot see the order, 403 when it can see it but
 * RLS refuses the change (one statement tells both apart), 200 with the updated order.
 */
import { HttpError } from '../errors.js';
import { readJsonBody } from '../pipeline/body.js';
import { json, parseId, toOrder } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';
import { updateOrderBody } from './schemas.js';

export const updateOrder: Operation = {
  name: 'updateOrder',
  method: 'PATCH',
  route: 'orders/{id}',
  requiresIdentity: true,
  async execute({ request, deps, sessionValues, setResourceId, runOptions }) {
    const id = parseId(request.params['id']);
    setResourceId(String(id));
    const patch = await readJsonBody(request, updateOrderBody, deps.config.maxBodyBytes);
    const result = await deps.session.run(sessionValues, deps.queries.update(id, patch), runOptions());
    const row = result.rows[0];
    if (!row) throw new HttpError('FN_110_NOT_FOUND', 'no such order', { reason: 'not_found' });
    if (row['id'] === null || row['id'] === undefined) throw new HttpError('FN_300_FORBIDDEN_BY_POLICY', undefined, { reason: 'rls_blocked' });
    return json(200, toOrder(row));
  },
};
