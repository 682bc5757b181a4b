/** This product's own policies, for the CLI (`policy build`), the local gateway and the emulator tests. */
import type { PolicyDocument, PolicyFragment } from '../model/document.js';
import { globalPolicy } from './global.js';
import { ordersApiPolicy } from './orders-api.js';

export type PolicyScope = 'global' | 'product' | 'api' | 'operation';

export interface ProductPolicy {
  /** File stem when built (`orders-api` → `orders-api.xml`). */
  name: string;
  scope: PolicyScope;
  document: PolicyDocument | PolicyFragment;
}

/** The policies as published (named values for every environment-specific setting). */
export function productPolicies(): ProductPolicy[] {
  return [
    { name: 'global', scope: 'global', document: globalPolicy() },
    { name: 'orders-api', scope: 'api', document: ordersApiPolicy() },
  ];
}

export { globalPolicy } from './global.js';
export {
  ordersApiPolicy,
  perCallerRateLimit,
  ORDERS_AUDIENCE,
  ORDERS_FORWARDED_CLAIMS,
  ORDERS_ROLES,
  ORDERS_TOKEN_VARIABLE,
  type OrdersApiPolicyOptions,
} from './orders-api.js';
