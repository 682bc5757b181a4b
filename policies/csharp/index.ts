/** The C# front end of policy expressions: lexer, parser, syntax tree, diagnostics. */
export { tokenize, scanStringLiteral, scanCharLiteral, stringPrefixLength, type Token, type TokenKind, type InterpPart } from './lexer.js';
export { parseExpression, parseBareExpression, PREDEFINED_TYPES, type ParsedExpression } from './parse.js';
export type { Expr, Stmt, Arg, TypeRef, CatchClause } from './ast.js';
export { typeToString } from './ast.js';
export { CSharpError, lineCol, toDiagnostic, describeDiagnostic, type CSharpErrorCode, type CSharpDiagnostic } from './diagnostics.js';
