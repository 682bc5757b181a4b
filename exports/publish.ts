/** `apim-rls/publish`: publishing policies to API Management through ARM (re-exports only). */
export * from '../scripts/publish/index.js';
