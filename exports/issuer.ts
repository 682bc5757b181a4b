/** `apim-rls/issuer`: the local OpenID issuer, Entra ID's stand-in for tests (re-exports only). */
export * from '../local/issuer/index.js';
