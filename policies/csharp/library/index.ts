// APIM's C# type surface: the allowed .NET Framework types with their 4.8 signatures, and `context`.
export type { FieldSig, MethodSig, ParamSig, PropertySig, TypeSig, TypeText } from './types.js';
export { TYPES, findType } from './table.js';
export { ALLOW_LIST, ALLOW_LIST_URL } from './allow-list.js';
export { CONTEXT_URL, MESSAGE_BODY_AS_TYPES } from './context.js';
