/** `apim-rls/emulator`: runs APIM policy XML against a request (re-exports only). */
export * from '../policies/emulator/index.js';
