// --import hook for tests: appends every module URL the process resolves to $APIM_RLS_LOAD_LOG.
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url);
