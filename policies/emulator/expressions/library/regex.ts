/**
 * System.Text.RegularExpressions: Regex's static and instance members, Match, Group,
 * GroupCollection and MatchCollection, over JavaScript's RegExp with .NET's pattern and
 * replacement syntax translated where they differ (`(?'name'…)`, leading inline options,
 * `${name}` and `$0` in replacements). A pattern JavaScript cannot compile is unsupported.
 * https://github.com/microsoft/referencesource/tree/master/System/regex/system/text/regularexpressions
 *
 * Not bounded by the step budget: a backtracking pattern the policy author writes runs as long
 * as V8's engine takes (the input's size is charged).
 */
import { chargeArray, chargeString } from '../budget.js';
import { num, str, unsupported } from '../core.js';
import { CsException, HostObject, NO_MEMBER } from '../values.js';
import type { Impl, TypeLibrary } from './types.js';

const SOURCE = 'https://github.com/microsoft/referencesource/tree/master/System/regex/system/text/regularexpressions';

/** RegexOptions flags (regexoptions.cs). */
export const REGEX_OPTIONS: Record<string, number> = {
  None: 0,
  IgnoreCase: 1,
  Multiline: 2,
  ExplicitCapture: 4,
  Compiled: 8,
  Singleline: 16,
  IgnorePatternWhitespace: 32,
  RightToLeft: 64,
  ECMAScript: 256,
  CultureInvariant: 512,
};

const compiled = new Map<string, RegExp>();

/** The .NET pattern as a JavaScript RegExp (global, with indices for groups), cached. */
export function toRegExp(pattern: string, options: number): RegExp {
  const key = `${options}/${pattern}`;
  let re = compiled.get(key);
  if (re !== undefined) return new RegExp(re);
  let source = pattern.replace(/\(\?'([A-Za-z_]\w*)'/g, '(?<$1>');
  let opts = options;
  const inline = /^\(\?([imsnx]+)\)/.exec(source);
  if (inline) {
    for (const c of inline[1]!) opts |= c === 'i' ? 1 : c === 'm' ? 2 : c === 's' ? 16 : c === 'n' ? 4 : 32;
    source = source.slice(inline[0].length);
  }
  if (opts & (4 | 32 | 64)) unsupported('RegexOptions ExplicitCapture / IgnorePatternWhitespace / RightToLeft');
  source = source.replace(/\\A/g, '^').replace(/\\[zZ]/g, '$');
  let flags = 'gd';
  if (opts & 1) flags += 'i';
  if (opts & 2) flags += 'm';
  if (opts & 16) flags += 's';
  try {
    re = new RegExp(source, flags);
  } catch (err) {
    // .NET would compile some of these (lookbehind variants, conditionals, balancing groups)
    return unsupported(`regular expression /${pattern}/ (${(err as Error).message})`);
  }
  if (compiled.size > 256) compiled.clear();
  compiled.set(key, re);
  return new RegExp(re);
}

export class CsGroup extends HostObject {
  readonly typeName: string = 'Group';
  constructor(
    readonly success: boolean,
    readonly value: string,
    readonly index: number,
  ) {
    super();
  }
  override getMember(name: string): unknown {
    switch (name) {
      case 'Success':
        return this.success;
      case 'Value':
        return this.value;
      case 'Index':
        return this.index;
      case 'Length':
        return this.value.length;
    }
    return NO_MEMBER;
  }
  override toCsString(): string {
    return this.value;
  }
}

/** A Match: group 0 is the match; `Groups[name]` of a group that did not take part is an unsuccessful, empty group, never null. */
export class CsMatch extends CsGroup {
  override readonly typeName = 'Match';
  constructor(
    private readonly m: RegExpExecArray | null,
    private readonly re: RegExp,
    private readonly input: string,
  ) {
    super(m !== null, m?.[0] ?? '', m?.index ?? 0);
  }
  group(key: unknown): CsGroup {
    const m = this.m;
    if (m === null) return new CsGroup(false, '', 0);
    let i: number | undefined;
    let v: string | undefined;
    if (typeof key === 'number') {
      i = key;
      v = m[key];
    } else {
      const k = str(key);
      if (/^\d+$/.test(k)) return this.group(Number(k));
      v = m.groups && Object.hasOwn(m.groups, k) ? m.groups[k] : undefined;
      const at = v === undefined ? undefined : m.indices?.groups?.[k];
      return new CsGroup(v !== undefined, v ?? '', at?.[0] ?? 0);
    }
    const at = v === undefined ? undefined : m.indices?.[i];
    return new CsGroup(v !== undefined, v ?? '', at?.[0] ?? 0);
  }
  override getMember(name: string): unknown {
    if (name === 'Groups') return new GroupCollection(this, this.m === null ? 1 : this.m.length);
    return super.getMember(name);
  }
  override callMethod(name: string): unknown {
    if (name === 'NextMatch') {
      if (this.m === null) return this;
      if (this.m[0] === '') this.re.lastIndex = this.m.index + 1;
      return new CsMatch(this.re.exec(this.input), this.re, this.input);
    }
    return NO_MEMBER;
  }
}

class GroupCollection extends HostObject {
  readonly typeName = 'GroupCollection';
  constructor(
    private readonly match: CsMatch,
    private readonly count: number,
  ) {
    super();
  }
  override getIndex(key: unknown): unknown {
    return this.match.group(key);
  }
  override getMember(name: string): unknown {
    return name === 'Count' ? this.count : NO_MEMBER;
  }
  override enumerate(): unknown[] {
    return Array.from({ length: this.count }, (_, i) => this.match.group(i));
  }
}

class MatchCollection extends HostObject {
  readonly typeName = 'MatchCollection';
  constructor(private readonly matches: CsMatch[]) {
    super();
  }
  override getIndex(key: unknown): unknown {
    const i = num(key);
    if (!Number.isInteger(i) || i < 0 || i >= this.matches.length) throw new CsException('ArgumentOutOfRangeException', 'Specified argument was out of the range of valid values.\r\nParameter name: i');
    return this.matches[i];
  }
  override getMember(name: string): unknown {
    return name === 'Count' ? this.matches.length : NO_MEMBER;
  }
  override enumerate(): unknown[] {
    return this.matches;
  }
}

function input(v: unknown): string {
  if (v === null || v === undefined) throw new CsException('ArgumentNullException', 'Value cannot be null.\r\nParameter name: input');
  const s = str(v);
  chargeString(s.length);
  return s;
}

function match(text: string, re: RegExp): CsMatch {
  return new CsMatch(re.exec(text), re, text);
}

function matches(text: string, re: RegExp): MatchCollection {
  const out: CsMatch[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    chargeArray(out.length + 1);
    out.push(new CsMatch(m, re, text));
    if (m[0] === '') re.lastIndex = m.index + 1;
  }
  return new MatchCollection(out);
}

/** .NET replacement syntax to JavaScript's: `${name}` → `$<name>`, `$0` → `$&`. */
function replacement(r: string): string {
  return r.replace(/\$\{([A-Za-z_]\w*)\}|\$0(?!\d)/g, (m, name: string | undefined) => (name !== undefined ? `$<${name}>` : '$&'));
}

function replace(text: string, re: RegExp, by: string): string {
  const out = text.replace(re, replacement(by));
  chargeString(out.length);
  return out;
}

const opts = (v: unknown): number => (v === undefined ? 0 : num(v));

/** new Regex(pattern[, options]). */
export class CsRegex extends HostObject {
  readonly typeName = 'Regex';
  constructor(
    private readonly pattern: string,
    private readonly options: number,
  ) {
    super();
    toRegExp(pattern, options);
  }
  override callMethod(name: string, args: unknown[]): unknown {
    const re = toRegExp(this.pattern, this.options);
    switch (name) {
      case 'Match':
        return match(input(args[0]), re);
      case 'Matches':
        return matches(input(args[0]), re);
      case 'IsMatch':
        return re.test(input(args[0]));
      case 'Replace':
        return replace(input(args[0]), re, str(args[1]));
      case 'Split':
        return input(args[0]).split(re);
    }
    return NO_MEMBER;
  }
  override toCsString(): string {
    return this.pattern;
  }
}

const statically =
  (f: (text: string, re: RegExp, args: unknown[]) => unknown, optionsAt: number): Impl =>
  (_self, args) =>
    f(input(args[0]), toRegExp(str(args[1]), opts(args[optionsAt])), args);

export const REGEX: TypeLibrary = {
  type: 'System.Text.RegularExpressions.Regex',
  source: `${SOURCE}/Regex.cs`,
  methods: {
    Match: { overloads: ['(string,string)', '(string,string,RegexOptions)'], run: statically((t, re) => match(t, re), 2) },
    Matches: { overloads: ['(string,string)', '(string,string,RegexOptions)'], run: statically((t, re) => matches(t, re), 2) },
    IsMatch: { overloads: ['(string,string)', '(string,string,RegexOptions)'], run: statically((t, re) => re.test(t), 2) },
    Replace: { overloads: ['(string,string,string)', '(string,string,string,RegexOptions)'], run: statically((t, re, a) => replace(t, re, str(a[2])), 3) },
    Split: { overloads: ['(string,string)', '(string,string,RegexOptions)'], run: statically((t, re) => t.split(re), 2) },
    Escape: { overloads: ['(string)'], run: (_self, args) => str(args[0]).replace(/[\\*+?|{[()^$.#\s]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\f' ? '\\f' : c === ' ' ? '\\ ' : `\\${c}`)) },
  },
};

export const REGEX_OPTIONS_TYPE: TypeLibrary = {
  type: 'System.Text.RegularExpressions.RegexOptions',
  source: `${SOURCE}/RegexOptions.cs`,
  properties: Object.fromEntries(Object.entries(REGEX_OPTIONS).map(([n, v]) => [n, { overloads: [''], run: () => v }])),
};
