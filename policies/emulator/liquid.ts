/**
 * set-body template="liquid", as APIM renders it (DotLiquid in "C# mode"): filters by their
 * PascalCase names and only the ones APIM lists, `body` bound from a JSON message body,
 * `context` with the members policy expressions see (Request, Response, Variables, …). liquidjs
 * renders. No tag reads files (include, render, layout and block are removed), and host objects
 * are reached only through their listed members.
 */
import { Drop, Liquid, type Template } from 'liquidjs';
import type { XmlElement, XmlNode } from '../xml/tree.js';
import { EmulatorError } from './errors.js';
import { JToken } from './expressions/json.js';
import { CsDateTime, HostObject, NO_MEMBER } from './expressions/values.js';

/** APIM's liquid filters (PascalCase) and the liquidjs filter each one is. */
const FILTERS: Record<string, string> = {
  Abs: 'abs',
  Append: 'append',
  AtLeast: 'at_least',
  AtMost: 'at_most',
  Capitalize: 'capitalize',
  Compact: 'compact',
  Default: 'default',
  DividedBy: 'divided_by',
  Downcase: 'downcase',
  Escape: 'escape',
  First: 'first',
  H: 'escape',
  Join: 'join',
  Last: 'last',
  Lstrip: 'lstrip',
  Map: 'map',
  Minus: 'minus',
  Modulo: 'modulo',
  NewlineToBr: 'newline_to_br',
  Plus: 'plus',
  Prepend: 'prepend',
  Remove: 'remove',
  RemoveFirst: 'remove_first',
  Replace: 'replace',
  ReplaceFirst: 'replace_first',
  Round: 'round',
  Rstrip: 'rstrip',
  Size: 'size',
  Slice: 'slice',
  Sort: 'sort',
  Split: 'split',
  Strip: 'strip',
  StripHtml: 'strip_html',
  StripNewlines: 'strip_newlines',
  Times: 'times',
  Truncate: 'truncate',
  TruncateWords: 'truncatewords',
  Uniq: 'uniq',
  Upcase: 'upcase',
  UrlDecode: 'url_decode',
  UrlEncode: 'url_encode',
};

/** Tags that read templates from the file system: never in a policy. */
const FILE_TAGS = ['include', 'render', 'layout', 'block'];

/** A host object seen from liquid: its members and indexer, enumerable where it is. */
class HostDrop extends Drop {
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
  /** The C# value behind the drop (the Date filter reads DateTime). */
  host(): HostObject {
    return this.#host;
  }
}

function toLiquid(v: unknown): unknown {
  if (v instanceof JToken) return v.value;
  if (v instanceof HostObject) return new HostDrop(v);
  if (Array.isArray(v)) return v.map(toLiquid);
  return v;
}

/** C# custom date formats (`yyyy-MM-ddTHH:mm:ssZ`) through the expression DateTime. */
function dateFilter(value: unknown, format?: unknown): unknown {
  let ms: number | undefined;
  if (value instanceof HostDrop && value.host() instanceof CsDateTime) ms = (value.host() as CsDateTime).ms;
  else if (value === 'now' || value === 'Now') ms = Date.now();
  else if (typeof value === 'string' || typeof value === 'number') {
    const parsed = typeof value === 'number' ? value * 1000 : Date.parse(value);
    if (!Number.isNaN(parsed)) ms = parsed;
  }
  if (ms === undefined) return value;
  const dt = new CsDateTime(ms);
  return typeof format === 'string' && format !== '' ? dt.callMethod('ToString', [format]) : dt.toCsString();
}

const currency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

function engine(): Liquid {
  const liquid = new Liquid({ strictFilters: true, ownPropertyOnly: true, cache: false });
  const builtins = { ...liquid.filters };
  for (const name of Object.keys(liquid.filters)) delete liquid.filters[name];
  for (const [apim, builtin] of Object.entries(FILTERS)) liquid.filters[apim] = builtins[builtin]!;
  liquid.registerFilter('Date', dateFilter);
  liquid.registerFilter('Currency', (v: unknown) => (Number.isFinite(Number(v)) ? currency.format(Number(v)) : v));
  for (const tag of FILE_TAGS) delete liquid.tags[tag];
  return liquid;
}

let shared: Liquid | undefined;

/** What a template sees: the message body and the context. */
export interface LiquidScope {
  body: unknown;
  context: HostObject;
}

export type LiquidRender = (scope: LiquidScope) => string;

/** Parses a template once; a syntax error or an unknown filter or tag throws EmulatorError naming `where`. */
export function compileLiquid(source: string, where: string): LiquidRender {
  const liquid = (shared ??= engine());
  let template: Template[];
  try {
    template = liquid.parse(source);
  } catch (err) {
    throw new EmulatorError('UNSUPPORTED_ELEMENT', `${where}: liquid template: ${(err as Error).message.split('\n')[0]}`);
  }
  return (scope) => String(liquid.renderSync(template, { body: scope.body, context: new HostDrop(scope.context) }));
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

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const escapeAttribute = (s: string): string => escapeText(s).replace(/"/g, '&quot;');

function nodeSource(node: XmlNode, asXml: boolean): string {
  switch (node.kind) {
    case 'text':
      return typeof node.value !== 'string' ? node.value.code : asXml ? escapeText(node.value) : node.value;
    case 'cdata':
      return asXml ? `<![CDATA[${node.value}]]>` : node.value;
    case 'comment':
      return '';
    case 'element': {
      const attrs = node.attributes.map((a) => ` ${a.name}="${typeof a.value === 'string' ? escapeAttribute(a.value) : a.value.code}"`).join('');
      const inner = node.children.map((c) => nodeSource(c, true)).join('');
      return inner === '' ? `<${node.name}${attrs} />` : `<${node.name}${attrs}>${inner}</${node.name}>`;
    }
  }
}

/**
 * The template of a set-body: its text, or, when it holds XML elements (a SOAP envelope, say),
 * its inner XML. Comments are not part of it.
 */
export function liquidSource(el: XmlElement): string {
  const asXml = el.children.some((c) => c.kind === 'element');
  return el.children.map((c) => nodeSource(c, asXml)).join('');
}
