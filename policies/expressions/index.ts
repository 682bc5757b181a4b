export { csharp, csharpBlock, csharpString, csharpOf, type Expr, type Operand } from './expr.js';
export {
  requestHeader,
  hasRequestHeader,
  tokenClaim,
  tokenLifetimeExceeds,
  tokenGrants,
  contextVariable,
  requestId,
  callerIp,
  subscriptionId,
  subscriptionName,
  namedValueString,
} from './context.js';
export { concat, eq, ne, lt, le, gt, ge, and, or, not, isEmpty } from './operators.js';
