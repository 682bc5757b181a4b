/** POST /api/orders — creates an order in the caller's tenant, owned by the caller (RLS checks it). */
import { HttpError } from '../errors.js';
import { readJsonBody } from '../pipeline/body.js';
import { json, toOrder } from '../pipeline/respond.js';
import type { Operation } from '../pipeline/types.js';
import { createOrderBody } from './schemas.js';

export const createOrder: Operation = {
  name: 'createOrder',
  method: 'POST',
  route: 'orders',
  requiresIdentity: true,
  async execute({ request, deps, sessionValues, setResourceId, runOptions }) {
    const body = await readJsonBody(request, createOrderBody, deps.config.maxBodyBytes);
    const result = await deps.session.run(sessionValues, deps.queries.create(body), runOptions());
    const row = result.rows[0];
    if (!row) throw new HttpError('FN_300_FORBIDDEN_BY_POLICY', undefined, { reason: 'rls_blocked' });
    const order = toOrder(row);
    setResourceId(String(order.id));
    return json(201, order, { location: `/api/orders/${order.id}` });
  },
};
