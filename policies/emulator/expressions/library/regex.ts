/**
 * System.Text.RegularExpressions: Regex's static and instance members, Match, Group,
 * GroupCollection and MatchCollection, over JavaScript's RegExp with .NET's pattern and
 * replacement syntax translated where they differ (`(?'name'…)`, leading inline options,
 * `${name}` and `$0` in replacements). A pattern JavaScript cannot compile is unsupported.
 * https://github.com/microsoft/referencesource/tree/master/System/regex/system/text/regularexpressions
 *
 * A backtracking engine can take exponential time on a short input (`^(a+)+$`), which no step
 * count sees: each regex operation runs under a watchdog (node:vm's `timeout`, which interrupts
 * V8's regexp engine) and stops once it has used REGEX_TIMEOUT_MS of CPU, with an emulator limit;
 * its time is charged to the run's budget (one step per microsecond), so a loop of slow matches
 * stops too.
 * .NET has the same guard as an option (`Regex.MatchTimeout`, RegexMatchTimeoutException:
 * https://learn.microsoft.com/en-us/dotnet/api/system.text.regularexpressions.regex.matchtimeout).
 */
import vm from 'node:vm';
import { LimitExceeded, chargeArray, chargeString, charge } from '../budget.js';
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

/** How much CPU time one regex operation may take (an emulator limit; APIM documents none). */
export const REGEX_TIMEOUT_MS = 100;
/** However starved the CPU, one regex operation never holds the run longer than this (wall clock). */
export const REGEX_WALL_LIMIT_MS = 10 * REGEX_TIMEOUT_MS;

/** A regex operation ran longer than REGEX_TIMEOUT_MS. */
class RegexTimeout extends LimitExceeded {
  constructor() {
    super('RegexMatchTimeoutException', `The regular expression ran longer than ${REGEX_TIMEOUT_MS} ms (emulator limit).`);
  }
}

const sandbox = vm.createContext(Object.create(null) as object) as { run?: () => unknown };
const runInSandbox = new vm.Script('run()');

/** Microseconds of CPU the process has used (user + system, every thread). */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Runs one regex operation under the watchdog and charges its time. The watchdog (node:vm's
 * `timeout`) counts wall-clock time, which a starved CPU (a loaded machine) spends without
 * running the regex. So a timeout counts only once the operation has had its time: the CPU the
 * process used since the operation began (an upper bound of the regex's own, taken no larger than
 * the wall clock) reaches REGEX_TIMEOUT_MS. Before that the operation — pure: a match over
 * strings it was given — runs again from the start (the RegExp's lastIndex put back; what it charged
 * to the budget stays charged); REGEX_WALL_LIMIT_MS bounds the whole wait.
 * The budget is charged the same bound of the CPU it used (one step per microsecond).
 */
export function bounded<T>(re: RegExp, operation: () => T): T {
  const lastIndex = re.lastIndex;
  const start = process.hrtime.bigint();
  const cpuStart = cpuMicros();
  const used = () => Math.min(Number((process.hrtime.bigint() - start) / 1000n), cpuMicros() - cpuStart);
  sandbox.run = operation;
  try {
    for (;;) {
      try {
        return runInSandbox.runInContext(sandbox, { timeout: REGEX_TIMEOUT_MS }) as T;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
        if (used() >= REGEX_TIMEOUT_MS * 1000 || Number((process.hrtime.bigint() - start) / 1_000_000n) >= REGEX_WALL_LIMIT_MS) throw new RegexTimeout();
        re.lastIndex = lastIndex; // where the interrupted attempt began
      }
    }
  } finally {
    sandbox.run = undefined;
    charge(used());
  }
}

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
      return new CsMatch(bounded(this.re, () => this.re.exec(this.input)), this.re, this.input);
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
  return new CsMatch(bounded(re, () => re.exec(text)), re, text);
}

function matches(text: string, re: RegExp): MatchCollection {
  return bounded(re, () => {
    const out: CsMatch[] = [];
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      chargeArray(out.length + 1);
      out.push(new CsMatch(m, re, text));
      if (m[0] === '') re.lastIndex = m.index + 1;
    }
    return new MatchCollection(out);
  });
}

function isMatch(text: string, re: RegExp): boolean {
  return bounded(re, () => re.test(text));
}

function split(text: string, re: RegExp): string[] {
  return bounded(re, () => text.split(re));
}

/**
 * One match's replacement in .NET's substitution syntax: `$n`, `${name}`, `$0`/`$&` (the match),
 * `` $` `` / `$'` (before / after it), `$_` (the input), `$+` (the last group), `$$`.
 * https://learn.microsoft.com/en-us/dotnet/standard/base-types/substitutions-in-regular-expressions
 */
function substitute(by: string, m: RegExpExecArray, input: string): string {
  return by.replace(/\$(\$|&|`|'|_|\+|\d+|\{([A-Za-z_]\w*|\d+)\})/g, (all, what: string, braced: string | undefined) => {
    const key = braced ?? what;
    if (key === '$') return '$';
    if (key === '&') return m[0];
    if (key === '`') return input.slice(0, m.index);
    if (key === "'") return input.slice(m.index + m[0].length);
    if (key === '_') return input;
    if (key === '+') return m.length > 1 ? (m[m.length - 1] ?? '') : '';
    if (/^\d+$/.test(key)) return Number(key) < m.length ? (m[Number(key)] ?? '') : all;
    return m.groups && Object.hasOwn(m.groups, key) ? (m.groups[key] ?? '') : all;
  });
}

/** Regex.Replace: each replacement charged as it is made (a short pattern can multiply the input). */
function replace(text: string, re: RegExp, by: string): string {
  return bounded(re, () => {
    let size = text.length;
    let out = '';
    let last = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      chargeString(by.length);
      const piece = substitute(by, m, text);
      size += piece.length - m[0].length;
      chargeString(size);
      out += text.slice(last, m.index) + piece;
      last = m.index + m[0].length;
      if (m[0] === '') re.lastIndex = m.index + 1;
    }
    return out + text.slice(last);
  });
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
        return isMatch(input(args[0]), re);
      case 'Replace':
        return replace(input(args[0]), re, str(args[1]));
      case 'Split':
        return split(input(args[0]), re);
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
    IsMatch: { overloads: ['(string,string)', '(string,string,RegexOptions)'], run: statically((t, re) => isMatch(t, re), 2) },
    Replace: { overloads: ['(string,string,string)', '(string,string,string,RegexOptions)'], run: statically((t, re, a) => replace(t, re, str(a[2])), 3) },
    Split: { overloads: ['(string,string)', '(string,string,RegexOptions)'], run: statically((t, re) => split(t, re), 2) },
    Escape: { overloads: ['(string)'], run: (_self, args) => str(args[0]).replace(/[\\*+?|{[()^$.#\s]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\f' ? '\\f' : c === ' ' ? '\\ ' : `\\${c}`)) },
  },
};

export const REGEX_OPTIONS_TYPE: TypeLibrary = {
  type: 'System.Text.RegularExpressions.RegexOptions',
  source: `${SOURCE}/RegexOptions.cs`,
  properties: Object.fromEntries(Object.entries(REGEX_OPTIONS).map(([n, v]) => [n, { overloads: [''], run: () => v }])),
};
