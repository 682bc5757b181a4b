/**
 * Recursive-descent parser for APIM policy expressions, `@(expression)` and `@{ statements }`,
 * in the C# version APIM compiles: "This article discusses policy expressions syntax in C# 7"
 * (https://learn.microsoft.com/en-us/azure/api-management/api-management-policy-expressions).
 * It never evaluates anything. Syntax of a later C# version fails with `CS_VERSION` naming the
 * feature and its version; the few C# 7.3 constructs this front end does not model fail with
 * `CS_UNSUPPORTED` naming the construct; both with the offset in the code.
 */
import { CSharpError } from './diagnostics.js';
import { typeToString, type Arg, type CatchClause, type Expr, type LocalParam, type Stmt, type SwitchLabel, type SwitchSection, type TypeRef } from './ast.js';
import { tokenize, type Token } from './lexer.js';

export const PREDEFINED_TYPES = new Set([
  'string', 'int', 'long', 'double', 'float', 'decimal', 'bool', 'object', 'byte', 'char', 'uint', 'ulong', 'short', 'var',
]);

/** A parsed policy expression: either one expression or a statement block. */
export type ParsedExpression = { block: false; expr: Expr } | { block: true; body: Stmt[] };

/** Parses the full code of an XmlExpression (`@(...)` or `@{...}`). */
export function parseExpression(code: string): ParsedExpression {
  const open = code.startsWith('@(') ? '(' : code.startsWith('@{') ? '{' : null;
  if (!open) throw new CSharpError('CS_SYNTAX', 'a policy expression starts with @( or @{', 0);
  const close = open === '(' ? ')' : '}';
  const last = code.trimEnd().length - 1;
  if (code[last] !== close) throw new CSharpError('CS_SYNTAX', `expected '${close}' at the end of the expression`, last);
  const p = new Parser(tokenize(code, 2, last), code);
  if (open === '(') {
    const expr = p.expression();
    p.expectEnd();
    return { block: false, expr };
  }
  const body: Stmt[] = [];
  while (!p.atEnd()) body.push(p.statement());
  return { block: true, body };
}

/** Parses bare C# expression text (interpolation holes, tests). `offset` shifts positions. */
export function parseBareExpression(code: string, offset = 0): Expr {
  const p = new Parser(tokenize(code, 0, code.length, offset), code);
  const e = p.expression();
  p.expectEnd();
  return e;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly src: string,
  ) {}

  private get t(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private is(value: string, tok = this.t): boolean {
    return tok.kind === 'punct' && tok.value === value;
  }
  private isWord(value: string, tok = this.t): boolean {
    return tok.kind === 'ident' && tok.value === value;
  }
  private eat(value: string): boolean {
    if (this.is(value)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(value: string): Token {
    if (!this.is(value)) this.syntax(`expected '${value}' but found ${this.describe(this.t)}`);
    return this.toks[this.i++]!;
  }
  private ident(): string {
    if (this.t.kind !== 'ident') this.syntax(`expected a name but found ${this.describe(this.t)}`);
    return this.toks[this.i++]!.value;
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'the end of the expression';
    if (t.kind === 'string' || t.kind === 'interp') return 'a string';
    return `'${t.value}'`;
  }
  syntax(msg: string, pos = this.t.pos): never {
    throw new CSharpError('CS_SYNTAX', msg, pos);
  }
  unsupported(construct: string, pos = this.t.pos): never {
    throw new CSharpError('CS_UNSUPPORTED', `unsupported C# construct: ${construct}`, pos);
  }
  /** Syntax of a later C# than APIM's 7.3: "switch expression is C# 8; APIM compiles C# 7". */
  version(feature: string, version: number, pos = this.t.pos): never {
    throw new CSharpError('CS_VERSION', `${feature} is C# ${version}; APIM compiles C# 7`, pos);
  }
  atEnd(): boolean {
    return this.t.kind === 'eof';
  }
  expectEnd(): void {
    if (!this.atEnd()) this.syntax(`unexpected ${this.describe(this.t)}`);
  }

  // ---- statements -------------------------------------------------------------------------

  /** `try { } catch (T e) when (…) { } … finally { }`: at least one catch or the finally. */
  tryStatement(): Stmt {
    const pos = this.t.pos;
    this.i++;
    if (!this.is('{')) this.syntax("expected '{' after try");
    const body = this.statement();
    const catches: CatchClause[] = [];
    while (this.isWord('catch')) {
      this.i++;
      let type: string | null = null;
      let name: string | null = null;
      if (this.eat('(')) {
        type = typeToString(this.type());
        if (!this.is(')')) name = this.ident();
        this.expect(')');
      }
      let filter: Expr | null = null;
      if (this.isWord('when')) {
        this.i++;
        this.expect('(');
        filter = this.expression();
        this.expect(')');
      }
      if (!this.is('{')) this.syntax("expected '{' after catch");
      catches.push({ type, name, filter, body: this.statement() });
    }
    let fin: Stmt | null = null;
    if (this.isWord('finally')) {
      this.i++;
      if (!this.is('{')) this.syntax("expected '{' after finally");
      fin = this.statement();
    }
    if (catches.length === 0 && fin === null) this.syntax("expected 'catch' or 'finally'");
    return { k: 'try', body, catches, fin, pos };
  }

  statement(): Stmt {
    const t = this.t;
    const pos = t.pos;
    if (this.is('{')) {
      this.i++;
      const body: Stmt[] = [];
      while (!this.is('}')) {
        if (this.atEnd()) this.syntax("expected '}'");
        body.push(this.statement());
      }
      this.i++;
      return { k: 'block', body, pos };
    }
    if (this.is(';')) {
      this.i++;
      return { k: 'block', body: [], pos };
    }
    if (t.kind === 'ident') {
      switch (t.value) {
        case 'return': {
          this.i++;
          const x = this.is(';') ? null : this.expression();
          this.expect(';');
          return { k: 'return', x, pos };
        }
        case 'if': {
          this.i++;
          this.expect('(');
          const c = this.expression();
          this.expect(')');
          const then = this.statement();
          let els: Stmt | null = null;
          if (this.isWord('else')) {
            this.i++;
            els = this.statement();
          }
          return { k: 'if', c, then, else: els, pos };
        }
        case 'foreach': {
          this.i++;
          this.expect('(');
          const type = this.type();
          const name = this.ident();
          if (!this.isWord('in')) this.syntax("expected 'in'");
          this.i++;
          const iter = this.expression();
          this.expect(')');
          return { k: 'foreach', type, name, iter, body: this.statement(), pos };
        }
        case 'do': {
          this.i++;
          const body = this.statement();
          if (!this.isWord('while')) this.syntax("expected 'while' after the body of do");
          this.i++;
          this.expect('(');
          const c = this.expression();
          this.expect(')');
          this.expect(';');
          return { k: 'do', body, c, pos };
        }
        case 'switch':
          return this.switchStatement();
        case 'using': {
          if (!this.is('(', this.peek())) this.version('a using declaration (using var x = …;)', 8);
          this.i += 2;
          const resource = this.simpleStatement();
          this.expect(')');
          return { k: 'using', resource, body: this.statement(), pos };
        }
        case 'static':
          this.version('a static local function', 8);
          break;
        case 'await':
          if (this.isWord('foreach', this.peek()) || this.isWord('using', this.peek())) this.version(`await ${this.peek().value}`, 8);
          break;
        case 'for': {
          this.i++;
          this.expect('(');
          const init = this.is(';') ? null : this.simpleStatement();
          this.expect(';');
          const c = this.is(';') ? null : this.expression();
          this.expect(';');
          const update: Expr[] = [];
          while (!this.is(')')) {
            update.push(this.expression());
            if (!this.eat(',')) break;
          }
          this.expect(')');
          return { k: 'for', init, c, update, body: this.statement(), pos };
        }
        case 'while': {
          this.i++;
          this.expect('(');
          const c = this.expression();
          this.expect(')');
          return { k: 'while', c, body: this.statement(), pos };
        }
        case 'break':
        case 'continue':
          this.i++;
          this.expect(';');
          return { k: t.value, pos };
        case 'throw': {
          this.i++;
          const x = this.is(';') ? null : this.expression();
          this.expect(';');
          return { k: 'throw', x, pos };
        }
        case 'checked':
        case 'unchecked':
          if (this.is('{', this.peek())) {
            // arithmetic overflow checks do not apply to the interpreter's numbers
            this.i++;
            return this.statement();
          }
          break;
        case 'try':
          return this.tryStatement();
        case 'lock':
        case 'goto':
        case 'unsafe':
        case 'fixed':
        case 'yield':
          this.unsupported(`'${t.value}' statement`);
          break;
        case 'const':
          this.i++;
          break;
      }
    }
    const s = this.simpleStatement();
    // a local function ends with its body (or its own ';')
    if (s.k !== 'localFunc') this.expect(';');
    return s;
  }

  /** A declaration or an expression statement, without the trailing semicolon. */
  private simpleStatement(): Stmt {
    const pos = this.t.pos;
    const decl = this.tryDeclaration();
    if (decl) return decl;
    return { k: 'expr', x: this.expression(), pos };
  }

  private tryDeclaration(): Stmt | null {
    if (this.t.kind !== 'ident') return null;
    const save = this.i;
    const pos = this.t.pos;
    const type = this.tryType();
    if (type && this.t.kind === 'ident' && (this.is('(', this.peek()) || this.is('<', this.peek()))) return this.localFunction(type, pos);
    if (!type || this.t.kind !== 'ident' || !(this.is('=', this.peek()) || this.is(';', this.peek()) || this.is(',', this.peek()))) {
      this.i = save;
      return null;
    }
    const names: { name: string; init: Expr | null }[] = [];
    do {
      const name = this.ident();
      names.push({ name, init: this.eat('=') ? this.expression() : null });
    } while (this.eat(','));
    return { k: 'decl', type, names, pos };
  }

  /** `T Name(T1 a, …) { … }` or `=> expr;` (C# 7 local function); the type is already read. */
  private localFunction(returns: TypeRef, pos: number): Stmt {
    const name = this.ident();
    if (this.is('<')) this.unsupported('a generic local function');
    this.expect('(');
    const params: LocalParam[] = [];
    while (!this.is(')')) {
      let mod: LocalParam['mod'];
      if (this.isWord('out') || this.isWord('ref') || this.isWord('in') || this.isWord('params')) mod = this.ident() as LocalParam['mod'];
      const type = this.type();
      const p: LocalParam = { name: this.ident(), type };
      if (mod) p.mod = mod;
      if (this.is('=')) this.unsupported('an optional parameter of a local function');
      params.push(p);
      if (!this.eat(',')) break;
    }
    this.expect(')');
    let body: Stmt;
    if (this.is('=>')) {
      const at = this.t.pos;
      this.i++;
      const x = this.expression();
      this.expect(';');
      body = { k: 'block', body: [typeToString(returns) === 'void' ? { k: 'expr', x, pos: at } : { k: 'return', x, pos: at }], pos: at };
    } else {
      if (!this.is('{')) this.syntax("expected '{' or '=>' after the parameters of a local function");
      body = this.statement();
    }
    return { k: 'localFunc', name, returns, params, body, pos };
  }

  /** `switch (x) { case …: … }` with C# 7 patterns: constants, `T name`, `var name`, `when`. */
  private switchStatement(): Stmt {
    const pos = this.t.pos;
    this.i++;
    this.expect('(');
    const x = this.expression();
    this.expect(')');
    this.expect('{');
    const sections: SwitchSection[] = [];
    while (!this.is('}')) {
      if (this.atEnd()) this.syntax("expected '}'");
      const labels: SwitchLabel[] = [];
      while (this.isWord('case') || this.isWord('default')) {
        const lpos = this.t.pos;
        if (this.isWord('default')) {
          this.i++;
          this.expect(':');
          labels.push({ k: 'default', pos: lpos });
          continue;
        }
        this.i++;
        const label = this.caseLabel(lpos);
        this.expect(':');
        labels.push(label);
      }
      if (labels.length === 0) this.syntax(`expected 'case' or 'default' but found ${this.describe(this.t)}`);
      const body: Stmt[] = [];
      while (!this.isWord('case') && !this.isWord('default') && !this.is('}')) {
        if (this.atEnd()) this.syntax("expected '}'");
        body.push(this.statement());
      }
      sections.push({ labels, body });
    }
    this.i++;
    return { k: 'switch', x, sections, pos };
  }

  private caseLabel(pos: number): SwitchLabel {
    this.patternVersion();
    const save = this.i;
    // `case T name` / `case T _` / `case var name`: a type followed by a designation
    const type = this.tryType();
    if (type && this.t.kind === 'ident' && !this.isWord('when')) {
      const name = this.ident();
      this.patternCombinator();
      return { k: 'type', type, name: name === '_' ? null : name, when: this.when(), pos };
    }
    this.i = save;
    const value = this.conditional();
    this.patternCombinator();
    return { k: 'const', value, when: this.when(), pos };
  }

  private when(): Expr | null {
    if (!this.isWord('when')) return null;
    this.i++;
    return this.expression();
  }

  /** Patterns of later C# versions, at the start of a pattern. */
  private patternVersion(): void {
    if (this.isWord('not')) this.version("the 'not' pattern", 9);
    if (this.is('{')) this.version('a property pattern (is { … })', 8);
    if (this.is('[')) this.version('a list pattern (is [ … ])', 11);
    if (this.is('<') || this.is('>') || this.is('<=') || this.is('>=')) this.version(`a relational pattern (${this.t.value} …)`, 9);
  }

  private patternCombinator(): void {
    if (this.isWord('and') || this.isWord('or')) this.version(`the '${this.t.value}' pattern combinator`, 9);
  }

  // ---- types ------------------------------------------------------------------------------

  private type(): TypeRef {
    const t = this.tryType();
    if (!t) this.syntax(`expected a type but found ${this.describe(this.t)}`);
    return t!;
  }

  /** A type, or null (position restored) when the tokens are not one. */
  private tryType(): TypeRef | null {
    const save = this.i;
    if (this.t.kind !== 'ident') return null;
    let name = this.ident();
    while (this.is('.') && this.peek().kind === 'ident') {
      this.i++;
      name += '.' + this.ident();
    }
    const args: TypeRef[] = [];
    if (this.is('<')) {
      this.i++;
      for (;;) {
        const a = this.tryType();
        if (!a) {
          this.i = save;
          return null;
        }
        args.push(a);
        if (this.eat(',')) continue;
        if (this.eat('>')) break;
        this.i = save;
        return null;
      }
    }
    let nullable = false;
    if (this.is('?') && (this.peek().kind === 'ident' || this.is(')', this.peek()) || this.is('>', this.peek()) || this.is('[', this.peek()))) {
      // `int? x` / `(DateTime?)x` — but not `a ? b : c`
      const after = this.peek();
      if (after.kind === 'ident' && !this.is('=', this.peek(2)) && !this.is(';', this.peek(2)) && !this.is(',', this.peek(2))) {
        // `cond ? x : y` with an identifier after `?`: not a nullable type
      } else {
        this.i++;
        nullable = true;
      }
    }
    let array = 0;
    while (this.is('[') && this.is(']', this.peek())) {
      this.i += 2;
      array++;
    }
    return { name, args, array, nullable };
  }

  // ---- expressions ------------------------------------------------------------------------

  expression(): Expr {
    return this.assignment();
  }

  private assignment(): Expr {
    const lambda = this.tryLambda();
    if (lambda) return lambda;
    const left = this.conditional();
    const t = this.t;
    if (t.kind === 'punct' && t.value === '??=') this.version('??= (null-coalescing assignment)', 8);
    if (t.kind === 'punct' && ['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<='].includes(t.value)) {
      this.i++;
      if (left.k !== 'id' && left.k !== 'index' && left.k !== 'member') this.syntax('the left side of an assignment must be a variable', t.pos);
      return { k: 'assign', op: t.value, target: left, value: this.assignment(), pos: t.pos };
    }
    return left;
  }

  private tryLambda(): Expr | null {
    const pos = this.t.pos;
    let params: string[] | null = null;
    if (this.t.kind === 'ident' && this.is('=>', this.peek())) {
      params = [this.t.value];
      this.i += 2;
    } else if (this.is('(')) {
      let j = this.i + 1;
      const names: string[] = [];
      let ok = true;
      while (!this.is(')', this.toks[j]!)) {
        const tk = this.toks[j]!;
        // `(string s) =>` typed parameter: keep the last identifier
        if (tk.kind === 'ident' && this.toks[j + 1]?.kind === 'ident') {
          j++;
          continue;
        }
        if (tk.kind !== 'ident') {
          ok = false;
          break;
        }
        names.push(tk.value);
        j++;
        if (this.is(',', this.toks[j]!)) j++;
        else if (!this.is(')', this.toks[j]!)) {
          ok = false;
          break;
        }
      }
      if (ok && this.is('=>', this.toks[j + 1]!)) {
        params = names;
        this.i = j + 2;
      }
    }
    if (!params) return null;
    if (this.is('{')) return { k: 'lambda', params, body: this.statement(), pos };
    return { k: 'lambda', params, body: this.assignment(), pos };
  }

  private conditional(): Expr {
    const c = this.coalesce();
    if (this.is('?')) {
      const pos = this.t.pos;
      this.i++;
      const a = this.assignment();
      this.expect(':');
      const b = this.assignment();
      return { k: 'cond', c, a, b, pos };
    }
    return c;
  }

  private coalesce(): Expr {
    const l = this.binary(0);
    if (this.is('??')) {
      const pos = this.t.pos;
      this.i++;
      return { k: 'binary', op: '??', l, r: this.coalesce(), pos };
    }
    return l;
  }

  private static readonly LEVELS: string[][] = [
    ['||'],
    ['&&'],
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<', '>', '<=', '>=', 'is', 'as'],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    const ops = Parser.LEVELS[level]!;
    let l = this.binary(level + 1);
    for (;;) {
      const t = this.t;
      if (ops.includes('is') && t.kind === 'ident' && (t.value === 'is' || t.value === 'as')) {
        this.i++;
        if (t.value === 'as') {
          l = { k: 'as', x: l, type: this.type(), pos: t.pos };
          continue;
        }
        this.patternVersion();
        if (this.is('(')) this.version('a positional pattern (is ( … ))', 8);
        if (this.isWord('null')) {
          this.i++;
          this.patternCombinator();
          l = { k: 'binary', op: '==', l, r: { k: 'lit', v: null, pos: t.pos }, pos: t.pos };
          continue;
        }
        if (this.t.kind !== 'ident' || this.isWord('true') || this.isWord('false')) this.unsupported('a constant pattern other than null (use ==)');
        const type = this.type();
        if (this.is('{')) this.version('a property pattern (is T { … })', 8);
        this.patternCombinator();
        const bind = this.t.kind === 'ident' ? this.ident() : undefined;
        if (type.name === 'var' && !bind) this.syntax("expected a name after 'is var'");
        this.patternCombinator();
        l = bind ? { k: 'is', x: l, type, bind, pos: t.pos } : { k: 'is', x: l, type, pos: t.pos };
        continue;
      }
      if (t.kind !== 'punct') break;
      if (t.value === '..') this.version('a range (a..b)', 8);
      let op = t.value;
      // `>>` arrives as two `>` tokens (so generic closers work)
      if (op === '>' && this.is('>', this.peek()) && this.peek().pos === t.pos + 1 && ops.includes('>>')) op = '>>';
      if (op === '<' && this.is('<', this.peek()) && ops.includes('<<')) op = '<<';
      if (!ops.includes(op)) break;
      this.i += op === '>>' || op === '<<' ? 2 : 1;
      const r = this.binary(level + 1);
      l = { k: 'binary', op, l, r, pos: t.pos };
    }
    return l;
  }

  private unary(): Expr {
    const t = this.t;
    if (t.kind === 'punct') {
      if (t.value === '^') this.version('an index from the end (^n)', 8);
      if (t.value === '..') this.version('a range (..b)', 8);
      if (t.value === '!' || t.value === '-' || t.value === '+' || t.value === '~') {
        this.i++;
        return { k: 'unary', op: t.value, x: this.unary(), pos: t.pos };
      }
      if (t.value === '++' || t.value === '--') {
        this.i++;
        return { k: 'incdec', op: t.value, prefix: true, x: this.unary(), pos: t.pos };
      }
      if (t.value === '(') {
        const cast = this.tryCast();
        if (cast) return cast;
      }
    }
    if (this.isWord('await')) this.unsupported("'await'");
    return this.postfix(this.primary());
  }

  private tryCast(): Expr | null {
    const save = this.i;
    const pos = this.t.pos;
    this.i++;
    const type = this.tryType();
    if (!type || !this.is(')')) {
      this.i = save;
      return null;
    }
    this.i++;
    const next = this.t;
    const predefined = PREDEFINED_TYPES.has(type.name) && type.name !== 'var';
    const startsOperand =
      next.kind === 'ident' ||
      next.kind === 'number' ||
      next.kind === 'string' ||
      next.kind === 'interp' ||
      next.kind === 'char' ||
      this.is('(', next) ||
      this.is('!', next) ||
      this.is('~', next);
    if (startsOperand && !(next.kind === 'ident' && (next.value === 'is' || next.value === 'as'))) {
      return { k: 'cast', type, x: this.unary(), pos };
    }
    if (predefined && (this.is('-', next) || this.is('+', next))) return { k: 'cast', type, x: this.unary(), pos };
    this.i = save;
    return null;
  }

  private primary(): Expr {
    const t = this.t;
    const pos = t.pos;
    switch (t.kind) {
      case 'number':
        this.i++;
        return { k: 'lit', v: t.num!, ltype: t.numType ?? 'int', pos };
      case 'string':
      case 'char':
        this.i++;
        return { k: 'lit', v: t.value, ltype: t.kind, pos };
      case 'interp': {
        this.i++;
        const parts = t.parts!.map((p) => {
          if ('text' in p) return p.text;
          const expr = parseBareExpression(p.code, p.offset);
          return p.format !== undefined ? { expr, format: p.format } : { expr };
        });
        return { k: 'interp', parts, pos };
      }
      case 'punct':
        if (t.value === '(') {
          this.i++;
          const e = this.expression();
          if (this.is(',')) this.unsupported('a tuple (System.ValueTuple is not on the allow-list)', t.pos);
          this.expect(')');
          return e;
        }
        this.syntax(`unexpected ${this.describe(t)}`);
        break;
      case 'eof':
        this.syntax('unexpected end of the expression');
        break;
      case 'ident':
        break;
    }
    // LINQ query syntax: `from x in xs where … select …` (use the method form, xs.Where(…).Select(…))
    if (t.value === 'from' && this.peek().kind === 'ident' && (this.isWord('in', this.peek(2)) || this.peek(2).kind === 'ident')) {
      this.unsupported('LINQ query syntax (from … select …); write the method form, xs.Where(…).Select(…)');
    }
    switch (t.value) {
      case 'true':
        this.i++;
        return { k: 'lit', v: true, ltype: 'bool', pos };
      case 'false':
        this.i++;
        return { k: 'lit', v: false, ltype: 'bool', pos };
      case 'null':
        this.i++;
        return { k: 'lit', v: null, pos };
      case 'new':
        return this.newExpression();
      case 'checked':
      case 'unchecked':
        if (this.is('(', this.peek())) {
          this.i += 2;
          const inner = this.expression();
          this.expect(')');
          return inner;
        }
        this.unsupported(`'${t.value}'`);
        break;
      case 'default': {
        this.i++;
        if (!this.eat('(')) return { k: 'default', type: null, pos };
        const type = this.type();
        this.expect(')');
        return { k: 'default', type, pos };
      }
      case 'nameof': {
        if (!this.is('(', this.peek())) break;
        this.i += 2;
        let name = this.ident();
        while (this.eat('.')) name = this.ident();
        this.expect(')');
        return { k: 'lit', v: name, ltype: 'string', pos };
      }
      case 'throw':
        this.i++;
        return { k: 'throw', x: this.expression(), pos };
      case 'typeof':
      case 'sizeof':
      case 'stackalloc':
      case 'delegate':
      case 'this':
      case 'base':
      case 'switch':
        this.unsupported(`'${t.value}'`);
    }
    this.i++;
    return { k: 'id', name: t.value, pos };
  }

  private newExpression(): Expr {
    const pos = this.t.pos;
    this.i++;
    if (this.is('[')) {
      // new[] { ... }
      this.i++;
      this.expect(']');
      return { k: 'new', type: null, args: [], init: this.initializer(), pos };
    }
    if (this.is('{')) {
      // anonymous type: new { a = 1, b = "x" }
      this.i++;
      const members: Expr[] = [];
      while (!this.is('}')) {
        const mpos = this.t.pos;
        let value: Expr;
        let name: string;
        if (this.t.kind === 'ident' && this.is('=', this.peek())) {
          name = this.ident();
          this.i++;
          value = this.expression();
        } else {
          // projection initializer: new { username } / new { x.Name }
          value = this.expression();
          name = value.k === 'id' || value.k === 'member' ? value.name : this.syntax('an anonymous type member needs a name', mpos);
        }
        members.push({ k: 'new', type: { name: '$member', args: [], array: 0, nullable: false }, args: [{ value: { k: 'lit', v: name, pos: mpos } }, { value }], init: null, pos: mpos });
        if (!this.eat(',')) break;
      }
      this.expect('}');
      return { k: 'new', type: { name: '$anonymous', args: [], array: 0, nullable: false }, args: [], init: members, pos };
    }
    if (this.is('(')) this.version('target-typed new()', 9);
    const save = this.i;
    let type = this.tryType();
    if (!type) this.syntax('expected a type after new');
    // `new string[3]` / `new byte[n]`
    if (this.is('[')) {
      this.i = save;
      const name = this.ident();
      this.expect('[');
      const size = this.is(']') ? null : this.expression();
      this.expect(']');
      type = { name, args: [], array: 1, nullable: false };
      if (size) return { k: 'new', type, args: [{ value: size }], init: this.is('{') ? this.initializer() : null, pos };
    }
    const args = this.is('(') ? this.args() : [];
    const init = this.is('{') ? this.initializer() : null;
    return { k: 'new', type: type!, args, init, pos };
  }

  private initializer(): Expr[] {
    this.expect('{');
    const items: Expr[] = [];
    while (!this.is('}')) {
      if (this.is('{')) {
        const pos = this.t.pos;
        // collection initializer entry `{ key, value }`
        const inner = this.initializer();
        items.push({ k: 'new', type: { name: '$pair', args: [], array: 0, nullable: false }, args: inner.map((value) => ({ value })), init: null, pos });
      } else if (this.is('[')) {
        // index initializer `["key"] = value` (C# 6)
        const pos = this.t.pos;
        this.i++;
        const args = this.indexArgs();
        this.expect('=');
        items.push({ k: 'indexInit', args, value: this.initValue(), pos });
      } else if (this.t.kind === 'ident' && this.is('=', this.peek())) {
        // object initializer `Member = value`
        const pos = this.t.pos;
        const name = this.ident();
        this.i++;
        items.push({ k: 'memberInit', name, value: this.initValue(), pos });
      } else items.push(this.expression());
      if (!this.eat(',')) break;
    }
    this.expect('}');
    return items;
  }

  private initValue(): Expr {
    if (this.is('{')) this.unsupported('a nested object or collection initializer (Member = { … })');
    return this.expression();
  }

  private args(): Arg[] {
    this.expect('(');
    const args: Arg[] = [];
    while (!this.is(')')) {
      let name: string | undefined;
      if (this.t.kind === 'ident' && this.is(':', this.peek()) && !this.is('::', this.peek())) {
        name = this.ident();
        this.i++;
      }
      const arg: Arg = this.isWord('out') || this.isWord('ref') || this.isWord('in') ? this.modifiedArg() : { value: this.expression() };
      if (name !== undefined) arg.name = name;
      args.push(arg);
      if (!this.eat(',')) break;
    }
    this.expect(')');
    return args;
  }

  /** `out x`, `out var x`, `out T x`, `out _`, `ref x`, `in x`. */
  private modifiedArg(): Arg {
    const pos = this.t.pos;
    const mod = this.ident() as 'out' | 'ref' | 'in';
    if (mod === 'out') {
      const save = this.i;
      const type = this.tryType();
      if (type && this.t.kind === 'ident') {
        const name = this.ident();
        return { mod, value: { k: 'declVar', type: type.name === 'var' ? null : type, name, pos } };
      }
      this.i = save;
      if (this.isWord('_') && (this.is(')', this.peek()) || this.is(',', this.peek()))) {
        this.i++;
        return { mod, value: { k: 'declVar', type: null, name: '_', pos } };
      }
    }
    const value = this.unary();
    if (value.k !== 'id' && value.k !== 'member' && value.k !== 'index') this.syntax(`an '${mod}' argument must be a variable`, pos);
    return { mod, value };
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      const t = this.t;
      if (t.kind === 'ident' && this.is('{', this.peek())) {
        if (t.value === 'switch') this.version('a switch expression', 8);
        if (t.value === 'with') this.version('a with expression', 9);
      }
      if (t.kind !== 'punct') return e;
      if (t.value === '.' || t.value === '?.') {
        this.i++;
        const nullCond = t.value === '?.';
        if (nullCond && this.is('[')) {
          this.i++;
          const args = this.indexArgs();
          e = { k: 'index', obj: e, args, nullCond: true, pos: t.pos };
          continue;
        }
        const nameTok = this.t;
        const name = this.ident();
        // generic method call: .As<JObject>(...)
        let typeArgs: TypeRef[] = [];
        if (this.is('<')) {
          const save = this.i;
          this.i++;
          const list: TypeRef[] = [];
          let ok = true;
          for (;;) {
            const ty = this.tryType();
            if (!ty) {
              ok = false;
              break;
            }
            list.push(ty);
            if (this.eat(',')) continue;
            if (this.eat('>')) break;
            ok = false;
            break;
          }
          if (ok && this.is('(')) typeArgs = list;
          else this.i = save;
        }
        e = { k: 'member', obj: e, name, nullCond, pos: nameTok.pos };
        if (this.is('(')) e = { k: 'call', callee: e, args: this.args(), typeArgs, pos: nameTok.pos };
        continue;
      }
      if (t.value === '?' && this.is('[', this.peek()) && this.peek().pos === t.pos + 1) {
        // null-conditional indexer `x?[i]`
        this.i += 2;
        e = { k: 'index', obj: e, args: this.indexArgs(), nullCond: true, pos: t.pos };
        continue;
      }
      if (t.value === '(') {
        e = { k: 'call', callee: e, args: this.args(), typeArgs: [], pos: t.pos };
        continue;
      }
      if (t.value === '[') {
        this.i++;
        e = { k: 'index', obj: e, args: this.indexArgs(), nullCond: false, pos: t.pos };
        continue;
      }
      if (t.value === '++' || t.value === '--') {
        this.i++;
        e = { k: 'incdec', op: t.value, prefix: false, x: e, pos: t.pos };
        continue;
      }
      if (t.value === '!' && (this.is('.', this.peek()) || this.is(')', this.peek()) || this.is(';', this.peek()) || this.is('[', this.peek()) || this.is(',', this.peek()))) {
        this.version('the null-forgiving operator (x!)', 8);
      }
      return e;
    }
  }

  private indexArgs(): Expr[] {
    const args: Expr[] = [];
    while (!this.is(']')) {
      args.push(this.expression());
      if (!this.eat(',')) break;
    }
    this.expect(']');
    return args;
  }

  /** For error messages that quote source. */
  text(from: number, to: number): string {
    return this.src.slice(from, to);
  }
}

