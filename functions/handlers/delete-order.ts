/** DELETE /api/orders/{id} — 404 when not visible, 403 when visible but RLS refuses, 204 when deleted. */
import { HttpError } from '../errors.js';
import { parseId } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';

export const deleteOrder: Operation = {
  name: 'deleteOrder',
  method: 'DELETE',
  route: 'orders/{id}',
  requiresIdentity: true,
  async execute({ request, deps, sessionValues, setResourceId, runOptions }) {
    const id = parseId(request.params['id']);
    setResourceId(String(id));
    const result = await deps.session.run(sessionValues, deps.queries.remove(id), runOptions());
    const row = result.rows[0];
    if (!row) throw new HttpError('FN_110_NOT_FOUND', 'no such order', { reason: 'not_found' });
    if (Number(row['deleted']) !== 1) throw new HttpError('FN_300_FORBIDDEN_BY_POLICY', undefined, { reason: 'rls_blocked' });
    return { status: 204 };
  },
};
