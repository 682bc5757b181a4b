/** `apim-rls/rls`: the RLS spec, its emitters, apply / verify / drift (re-exports only; the orders sample is not part of it). */
export * from '../rls/index.js';
