/** Publishing policies to API Management: plan → diff → apply. */
export { publishPolicy, type PolicyCodec, type PublishLintFinding, type PublishOptions, type PublishRequest, type PublishResult } from './publish.js';
export { planPublish, chooseWireForm, type PublishAction, type PublishPlan, type PlanInput } from './plan.js';
export { ArmPolicyStore, type ArmPolicyStoreOptions, type TokenCredential } from './arm.js';
export type { PolicyFormat, PolicyStore, RemotePolicy, StoreCallOptions } from './store.js';
export { PublishError, PublishErrorCode, isInputError, type PublishErrorDetails } from './errors.js';
export { resolveTarget, serviceProblems, describeTarget, type PublishTarget, type PublishScope, type ServiceRef, type TargetSelectors } from './target.js';
export { referencedNamedValues, missingNamedValues } from './named-values.js';
export { canonicalText } from './canonical.js';
export { unifiedDiff, type UnifiedDiffOptions } from './diff.js';
export { publishCodec } from './policy-xml.js';
export { lintForPublish } from './lint.js';
