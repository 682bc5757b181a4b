/** GET /api/orders/{id} — 404 when it does not exist or the caller may not see it (RLS). */
import { HttpError } from '../errors.js';
import { json, parseId, toOrder } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';

export const getOrder: Operation = {
  name: 'getOrder',
  method: 'GET',
  route: 'orders/{id}',
  requiresIdentity: true,
  async execute({ request, deps, sessionValues, setResourceId, runOptions }) {
    const id = parseId(request.params['id']);
    setResourceId(String(id));
    const result = await deps.session.run(sessionValues, deps.queries.get(id), runOptions());
    const row = result.rows[0];
    if (!row) throw new HttpError('FN_110_NOT_FOUND', 'no such order', { reason: 'not_found' });
    return json(200, toOrder(row));
  },
};
