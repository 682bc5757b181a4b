/**
 * set-body template="liquid" in the emulator: APIM's dialect (policies/liquid) rendered with
 * `body` bound from a JSON message body and `context` reached only through the members policy
 * expressions see (never a JavaScript property).
 */
import { Drop, type Template } from 'liquidjs';
import { apimLiquid, parseApimLiquid, type LiquidDate } from '../liquid/apim-liquid.js';
import { EmulatorError } from './errors.js';
import { JToken } from './expressions/json.js';
import { CsDateTime, HostObject, NO_MEMBER } from './expressions/values.js';

/** A host object seen from liquid: its members and indexer, enumerable where it is. */
class HostDrop extends Drop implements LiquidDate {
  readonly #host: HostObject;
  constructor(host: HostObject) {
    super();
    this.#host = host;
  }
  override liquidMethodMissing(key: string | number): unknown {
    const member = this.#host.getMember(String(key));
    if (member !== NO_MEMBER) return toLiquid(member);
    try {
      const item = this.#host.getIndex(key);
      return item === NO_MEMBER ? undefined : toLiquid(item);
    } catch {
      // a missing key renders as nothing, as in liquid
      return undefined;
    }
  }
  /** What liquid prints and loops over: the items of an enumerable object, else its C# string. */
  override valueOf(): unknown {
    const items = this.#host.enumerate();
    return items === undefined ? this.#host.toCsString() : items.map(toLiquid);
  }
  liquidDateMs(): number | undefined {
    return this.#host instanceof CsDateTime ? this.#host.ms : undefined;
  }
}

function toLiquid(v: unknown): unknown {
  if (v instanceof JToken) return v.value;
  if (v instanceof HostObject) return new HostDrop(v);
  if (Array.isArray(v)) return v.map(toLiquid);
  return v;
}

/** What a template sees: the message body and the context. */
export interface LiquidScope {
  body: unknown;
  context: HostObject;
}

export type LiquidRender = (scope: LiquidScope) => string;

/** Parses a template once; a syntax error or an unknown filter or tag throws EmulatorError naming `where`. */
export function compileLiquid(source: string, where: string): LiquidRender {
  let template: Template[];
  try {
    template = parseApimLiquid(source);
  } catch (err) {
    throw new EmulatorError('UNSUPPORTED_ELEMENT', `${where}: liquid template: ${(err as Error).message}`);
  }
  return (scope) => String(apimLiquid().renderSync(template, { body: scope.body, context: new HostDrop(scope.context) }));
}

const JSON_TYPE = /^(?:application|text)\/(?:[\w.+-]+\+)?json\b/i;
const XML_TYPE = /^(?:application|text)\/(?:[\w.+-]+\+)?xml\b/i;

/**
 * `body` of a template: the message body parsed as JSON when its Content-Type says JSON, its text
 * otherwise. An XML body is not bound by the emulator: null then, with `xml: true`.
 */
export function liquidBody(contentType: string | undefined, text: string): { body: unknown; xml: boolean } {
  if (contentType !== undefined && XML_TYPE.test(contentType)) return { body: null, xml: true };
  if (contentType !== undefined && JSON_TYPE.test(contentType) && text.trim() !== '') {
    try {
      return { body: JSON.parse(text) as unknown, xml: false };
    } catch {
      return { body: text, xml: false };
    }
  }
  return { body: text, xml: false };
}
