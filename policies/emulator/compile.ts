/**
 * Policy tree → steps, once. A step is a function of the per-request run; `send()` only runs
 * steps. Expressions are parsed here, named values substituted here, keys sources created
 * here: nothing on the request path parses XML or C#.
 */
import type { GatewaySpanContext } from './trace-context.js';
import { attr, childElements, isExpression, type XmlElement, type XmlValue } from '../xml/tree.js';
import { EmulatorError, ExpressionError } from './errors.js';
import type { LastError, ProxyContext, ResponseState } from './context.js';
import { compileExpression, csString, describeExpressionError, expressionChangesInPlace, type EvalHost } from './expressions/index.js';
import type { KeyCache } from './jwt/keys.js';
import type { LimitCounters } from './elements/counters.js';
import type { MultiDict } from './expressions/values.js';
import type { MessageBody } from './context.js';
import { settle, type EarlyJwtCheck, type PendingCheck, type StartedJwtCheck } from './overlap.js';

export type SectionName = 'inbound' | 'backend' | 'outbound' | 'on-error';

/** A token credential in the shape of @azure/core-auth's TokenCredential. */
export interface TokenCredentialLike {
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface BackendRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Aborted when forward-request's timeout passes. */
  signal: AbortSignal;
}

export interface BackendResponse {
  status: number;
  reason?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
}

/** An in-process backend, instead of real HTTP. */
export type BackendHandler = (request: BackendRequest) => Promise<BackendResponse>;

export interface TraceEntry {
  source: string;
  severity: string;
  message: string;
  metadata?: Record<string, string>;
}

export interface MetricEntry {
  name: string;
  namespace: string;
  value: number;
  dimensions: Record<string, string>;
}

/** Shared, long-lived state and seams of one emulator instance. */
export interface Services {
  now(): number;
  random(): number;
  sleep(ms: number): Promise<void>;
  backendHandler?: BackendHandler;
  fetch: typeof globalThis.fetch;
  credential?: TokenCredentialLike;
  keyCache: KeyCache;
  /** rate-limit and quota counters (one set per APIM instance). */
  counters: LimitCounters;
  azureAdOpenIdConfigUrl(tenantId: string): string;
}

/** One request in flight. */
export interface Run extends EvalHost {
  context: ProxyContext;
  services: Services;
  trace: TraceEntry[];
  metrics: MetricEntry[];
  backendCalls: { method: string; url: string; headers: Record<string, string> }[];
  /** CORS headers to add to whatever response leaves. */
  corsHeaders: Record<string, string> | null;
  /** remaining/total calls headers of rate limits, added to the response that leaves. */
  limitHeaders: Record<string, string> | null;
  /** Counter increments that wait for the response (rate-limit/quota with an expression increment-condition/-count). */
  afterResponse: (() => void)[] | null;
  /** The path of the step whose return ended the pipeline (return-response, mock-response, a cors preflight). */
  returnedBy: string | null;
  /** quota counters this request already incremented ("incremented only once per request"). */
  countedKeys: Set<string> | null;
  /** The step running now (names a failure's path, section and scope). */
  step: { path: string; section: SectionName; scope: string; policyId: string } | null;
  /** The request a send-request is building. */
  sending: { method: string; url: string; headers: MultiDict; body: MessageBody } | null;
  /** The response a return-response is building. */
  returning: ResponseState | null;
  /** validate-jwt's signature check while pure steps run on (see overlap.ts). */
  pending: PendingCheck | null;
  /** validate-jwt's check started when the request arrived, until validate-jwt takes it (overlap.ts). */
  early: StartedJwtCheck | null;
  /** W3C correlation: the gateway's span of this request (forward-request sends its traceparent); null with no correlation. */
  traceContext: GatewaySpanContext | null;
}

/**
 * One compiled policy element. `pure`: it changes nothing outside the run, or only after it has
 * settled the check under way (settleFirst in overlap.ts), so it may run while one is.
 */
export interface Step {
  (run: Run): void | Promise<void>;
  pure?: true;
  /** The request header (lower-cased) this step sets or deletes, when that is all it does. */
  setsRequestHeader?: string;
  /** validate-jwt reading its token from a request header: its check may start when the request arrives. */
  early?: EarlyJwtCheck;
}

/** Marks a step pure when every step it runs is (containers: choose, return-response, fragments). */
export function pureWhen<S extends Step>(step: S, steps: readonly Step[]): S {
  if (steps.every((s) => s.pure === true)) step.pure = true;
  return step;
}

/** Stops the pipeline with this response (return-response, mock-response, cors preflight). */
export class ReturnSignal {
  constructor(readonly response: ResponseState) {}
}

/** A policy failed: on-error runs with LastError set and the response prepared here. */
export class PolicyFailure {
  constructor(
    readonly error: Omit<LastError, 'section' | 'path' | 'scope'> & { section?: string; path?: string; scope?: string },
    readonly status: number,
    readonly body: string | null,
    readonly headers: Record<string, string> = {},
  ) {}
}

export type NamedValues = Record<string, string> | ((name: string) => string | undefined);
export type PolicyRoot = XmlElement;

export interface CompileOptions {
  namedValues: NamedValues;
  fragments: Record<string, XmlElement>;
  services: Services;
}

/** Where an element is compiled: which message it changes and how to name it in errors. */
export interface CompileContext {
  options: CompileOptions;
  section: SectionName;
  /** `request` in inbound/backend, `response` in outbound/on-error; return-response sets its own. */
  target: 'request' | 'response' | 'return' | 'send';
  path: string;
  scope: string;
  /** Fragments being included (cycle check). */
  including: string[];
  /**
   * false where a failure must surface at the step itself (inside retry, wait, limit-concurrency,
   * send-request, return-response): validate-jwt then waits for its signature check in place.
   */
  overlap?: false;
}

export type ElementCompiler = (el: XmlElement, cc: CompileContext) => Step;

const registry = new Map<string, ElementCompiler>();

/**
 * Registers the runtime of one element (called by the elements/ modules). `pure`: the element
 * never has an effect outside the run (no I/O, no shared counters), so it may run while
 * validate-jwt's signature check is under way.
 */
export function defineElement(name: string, compiler: ElementCompiler, traits: { pure?: true } = {}): void {
  registry.set(
    name,
    traits.pure
      ? (el, cc) => {
          const step = compiler(el, cc);
          step.pure = true;
          return step;
        }
      : compiler,
  );
}

function attrText(el: XmlElement, name: string): string {
  const v = attr(el, name);
  return typeof v === 'string' ? v : '';
}

export function where(el: XmlElement): string {
  return el.loc ? ` at ${el.loc.line}:${el.loc.column}` : '';
}

/** Compiles a list of policy elements into steps. `base` compiles the enclosing scope's section. */
export function compileElements(nodes: readonly XmlElement['children'][number][], cc: CompileContext, base: () => Step[]): Step[] {
  const steps: Step[] = [];
  let index = 0;
  for (const node of nodes) {
    if (node.kind !== 'element') {
      if (node.kind === 'text' && typeof node.value === 'string' && node.value.trim() === '') continue;
      if (node.kind === 'comment') continue;
      if (node.kind === 'text' || node.kind === 'cdata') throw new EmulatorError('INVALID_POLICY', `unexpected text in <${cc.section}>${node.loc ? ` at ${node.loc.line}:${node.loc.column}` : ''}`);
      continue;
    }
    if (node.name === 'base') {
      steps.push(...base());
      continue;
    }
    const compiler = registry.get(node.name);
    if (!compiler) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported element <${node.name}>${where(node)}`);
    const path = `${cc.path}/${node.name}[${index++}]`;
    const step = compiler(node, { ...cc, path });
    const at = { path, section: cc.section, scope: cc.scope, policyId: attrText(node, 'id') };
    // no wrapper promise: the run remembers the innermost step, and a failure is annotated from it
    const wrapped: Step = (run) => {
      run.step = at;
      return step(run);
    };
    if (step.pure && !changesValuesInPlace(node)) wrapped.pure = true;
    if (step.setsRequestHeader !== undefined && cc.target === 'request') wrapped.setsRequestHeader = step.setsRequestHeader;
    if (step.early) wrapped.early = step.early;
    steps.push(wrapped);
  }
  return steps;
}

function changesInPlace(v: XmlValue): boolean {
  return isExpression(v) && expressionChangesInPlace(v.code);
}

/**
 * Whether an expression in the element could change an object in place (an array or JSON a
 * variable holds): such a step is never pure, since putting the run back cannot undo it.
 */
function changesValuesInPlace(el: XmlElement): boolean {
  for (const a of el.attributes) if (changesInPlace(a.value)) return true;
  for (const c of el.children) {
    if (c.kind === 'element' ? changesValuesInPlace(c) : (c.kind === 'text' || c.kind === 'cdata') && changesInPlace(c.value)) return true;
  }
  return false;
}

/**
 * Runs steps in order; only awaits the ones that return a promise. While a signature check is
 * under way, only pure steps run before it is settled. Synchronous (undefined) until a step
 * returns a promise or a check must be settled: no promise per call when nothing waits.
 */
export function runSteps(steps: readonly Step[], run: Run): void | Promise<void> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (run.pending !== null && step.pure !== true) return runStepsFrom(steps, run, i, undefined);
    const r = step(run);
    if (r !== undefined) return runStepsFrom(steps, run, i + 1, r);
  }
  return undefined;
}

/** runSteps once something waits: `first` (a step's promise), then the steps from `from`. */
async function runStepsFrom(steps: readonly Step[], run: Run, from: number, first: void | Promise<void>): Promise<void> {
  if (first !== undefined) await first;
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    if (run.pending !== null && step.pure !== true) await settle(run);
    const r = step(run);
    if (r !== undefined) await r;
  }
}

// ---- values ---------------------------------------------------------------------------------

function lookupNamed(named: NamedValues, name: string): string | undefined {
  return typeof named === 'function' ? named(name) : Object.hasOwn(named, name) ? named[name] : undefined;
}

/**
 * Replaces the `{{name}}` references of defined named values and leaves the rest: in a liquid
 * template `{{ body.id }}` is liquid's own output tag.
 */
export function substituteDefinedNamedValues(text: string, cc: CompileContext): string {
  if (!text.includes('{{')) return text;
  return text.replace(/\{\{([^{}]+)\}\}/g, (m, name: string) => lookupNamed(cc.options.namedValues, name.trim()) ?? m);
}

/** Replaces `{{name}}` references; an unknown name fails the compile (APIM refuses to save it). */
export function substituteNamedValues(text: string, cc: CompileContext, el: XmlElement): string {
  if (!text.includes('{{')) return text;
  return text.replace(/\{\{([^{}]+)\}\}/g, (_m, name: string) => {
    const v = lookupNamed(cc.options.namedValues, name.trim());
    if (v === undefined) throw new EmulatorError('INVALID_POLICY', `named value '${name.trim()}' is not defined (used by <${el.name}>${where(el)})`);
    return v;
  });
}

/** A compiled attribute/text value: evaluated per request (expressions) or constant. */
export type ValueFn = (run: Run) => unknown;

function runtimeFailure(err: unknown, el: XmlElement, code: string): never | PolicyFailure {
  if (err instanceof ExpressionError && err.code === 'EXPR_RUNTIME') {
    throw new PolicyFailure(
      { source: el.name, reason: 'ExpressionValueEvaluationFailure', message: `Expression evaluation failed. ${describeExpressionError(err, code)}`, policyId: '' },
      500,
      JSON.stringify({ statusCode: 500, message: 'Internal server error' }),
    );
  }
  if (err instanceof ExpressionError) {
    throw new EmulatorError(err.code, `<${el.name}>${where(el)}: ${describeExpressionError(err, code)}`);
  }
  throw err;
}

/** Compiles a value; expressions return their raw C# value. */
export function compileValue(v: XmlValue, cc: CompileContext, el: XmlElement): ValueFn {
  if (!isExpression(v)) {
    const text = substituteNamedValues(v, cc, el);
    return () => text;
  }
  const code = substituteNamedValues(v.code, cc, el);
  let compiled;
  try {
    compiled = compileExpression({ ...v, code });
  } catch (err) {
    if (err instanceof ExpressionError) throw new EmulatorError(err.code, `<${el.name}>${where(el)}: ${describeExpressionError(err, code)}`);
    throw err;
  }
  return (run) => {
    try {
      return compiled.run(run);
    } catch (err) {
      return runtimeFailure(err, el, code);
    }
  };
}

/** Compiles a value evaluated to a string (C# ToString of the result). */
export function compileString(v: XmlValue, cc: CompileContext, el: XmlElement): (run: Run) => string {
  if (!isExpression(v)) {
    const text = substituteNamedValues(v, cc, el);
    return () => text;
  }
  const fn = compileValue(v, cc, el);
  return (run) => csString(fn(run));
}

/** An attribute as a string function, or undefined when absent. */
export function attrString(el: XmlElement, name: string, cc: CompileContext): ((run: Run) => string) | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : compileString(v, cc, el);
}

/** A constant attribute (no expressions allowed), or the default. */
export function constAttr(el: XmlElement, name: string, cc: CompileContext, fallback?: string): string | undefined {
  const v = attr(el, name);
  if (v === undefined) return fallback;
  if (isExpression(v)) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: attribute ${name} does not accept an expression in the emulator`);
  return substituteNamedValues(v, cc, el);
}

export function requireAttr(el: XmlElement, name: string): XmlValue {
  const v = attr(el, name);
  if (v === undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)} needs the attribute ${name}`);
  return v;
}

export function intAttr(el: XmlElement, name: string, cc: CompileContext, fallback?: number): number | undefined {
  const s = constAttr(el, name, cc);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: ${name}="${s}" is not a number`);
  return n;
}

export function boolAttr(el: XmlElement, name: string, cc: CompileContext, fallback: boolean): boolean {
  const s = constAttr(el, name, cc);
  if (s === undefined) return fallback;
  if (!/^(true|false)$/i.test(s)) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: ${name}="${s}" is not true or false`);
  return s.toLowerCase() === 'true';
}

/** The text content of an element (a plain string or one expression). */
export function elementText(el: XmlElement): XmlValue {
  const parts = el.children.filter((c) => c.kind === 'text' || c.kind === 'cdata');
  if (parts.length === 1 && parts[0]!.kind === 'text' && isExpression(parts[0]!.value)) return parts[0]!.value;
  return parts.map((p) => (typeof p.value === 'string' ? p.value : p.value.code)).join('');
}

export function childTexts(el: XmlElement, container: string, item: string, cc: CompileContext): string[] | null {
  const c = childElements(el, container)[0];
  if (!c) return null;
  return childElements(c, item).map((x) => {
    const t = elementText(x);
    if (isExpression(t)) throw new EmulatorError('INVALID_POLICY', `<${item}>${where(x)} does not accept an expression in the emulator`);
    return substituteNamedValues(t, cc, x).trim();
  });
}

// ---- messages -------------------------------------------------------------------------------

/** The headers and body a step in this place changes. */
export function targetMessage(run: Run, cc: CompileContext): { headers: MultiDict; body: MessageBody } {
  const t = cc.target;
  if (t === 'request') return run.context.request;
  if (t === 'return' && run.returning) return run.returning;
  if (t === 'send' && run.sending) return run.sending;
  return run.context.response;
}

/** A JSON error body as APIM writes it. */
export function errorBody(status: number, message: string): string {
  return JSON.stringify({ statusCode: status, message });
}
