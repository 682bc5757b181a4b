// The `context` variable's surface as the policy-expressions page documents it (section "Context
// variable"). Filled in below.
import type { TypeSig } from './types.js';

export const CONTEXT_URL =
  'https://learn.microsoft.com/en-us/azure/api-management/api-management-policy-expressions#ContextVariables';

export const CONTEXT_TYPES: readonly TypeSig[] = [];
