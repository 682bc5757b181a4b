// A type's signatures as generated from source, before APIM's allow-list is joined to it.
import type { TypeSig } from './types.js';

export type ExtractedType = Omit<TypeSig, 'apim'>;
