/** `apim-rls/rls`: the RLS spec, its emitters, apply / verify / drift, the audit trail query (re-exports only; the orders sample is not part of it). */
export * from '../rls/index.js';
