/** `chain check --prove` as a library: every verify case through the policy, the Functions handlers and the database. */
export { proveChain } from './prove.js';
export { formatProveReport } from './format.js';
export { ProveError, type ProveErrorCode } from './errors.js';
export { sampleProveDatabase, type ProveDatabase } from './database.js';
export type { ProveCaseEvidence, ProveInput, ProveLayer, ProveOutcome, ProveReport, ProveRow } from './types.js';
