/** Every operation of the orders API, and the handlers built from them. */
import { createHandler } from '../pipeline/run.js';
import type { Handler, HandlerDeps, Operation } from '../pipeline/types.js';
import { createOrder } from './create-order.js';
import { deleteOrder } from './delete-order.js';
import { getMe } from './get-me.js';
import { getOrder } from './get-order.js';
import { health } from './health.js';
import { listOrders } from './list-orders.js';
import { updateOrder } from './update-order.js';

export const operations: readonly Operation[] = Object.freeze([listOrders, createOrder, getOrder, updateOrder, deleteOrder, getMe, health]);

export type OperationName = 'listOrders' | 'createOrder' | 'getOrder' | 'updateOrder' | 'deleteOrder' | 'getMe' | 'health';

export interface BoundHandler {
  operation: Operation;
  handler: Handler;
}

/** Builds each handler once (the request path only runs it). */
export function createHandlers(deps: HandlerDeps): Record<OperationName, BoundHandler> {
  const out = {} as Record<OperationName, BoundHandler>;
  for (const operation of operations) out[operation.name as OperationName] = { operation, handler: createHandler(operation, deps) };
  return out;
}

export { createOrder, deleteOrder, getMe, getOrder, health, listOrders, updateOrder };
