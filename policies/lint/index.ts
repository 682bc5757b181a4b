export { lintPolicy } from './lint.js';
export { RULES } from './rules.js';
export { RAW_XML_MARKER } from './rules/structure.js';
export { DEFAULT_IDENTITY_HEADER_PREFIXES } from './types.js';
export type { Finding, FindingLocation, LintOptions, PolicyScope, Rule, Severity } from './types.js';
