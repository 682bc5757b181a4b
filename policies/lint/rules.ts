/** Every lint rule, in id order. Ids are stable and never reused; a retired id stays listed here as a comment. */
import type { Rule } from './types.js';
import { jwtRules } from './rules/jwt.js';
import { identityRules } from './rules/identity.js';
import { secretRules } from './rules/secrets.js';
import { structureRules } from './rules/structure.js';
import { expressionRules } from './rules/expressions.js';

export const RULES: readonly Rule[] = Object.freeze([...jwtRules, ...identityRules, ...secretRules, ...structureRules, ...expressionRules]);
