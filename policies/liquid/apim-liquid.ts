/**
 * APIM's liquid dialect (set-body template="liquid"): DotLiquid in "C# mode" — filters by their
 * PascalCase names and only the ones APIM lists, `Date` with C# formats — on liquidjs. No tag
 * reads files: include, render, layout and block are removed. Shared by the linter (does a
 * template parse?) and the emulator (render it).
 */
import { createRequire } from 'node:module';
import type { Liquid, Template } from 'liquidjs';
import { DEFAULT_DATE_FORMAT, formatDate } from '../csharp/format-date.js';
import type { XmlElement, XmlNode } from '../xml/tree.js';

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

/** A value the Date filter reads as a point in time (the emulator's DateTime). */
export interface LiquidDate {
  liquidDateMs(): number | undefined;
}

function dateFilter(value: unknown, format?: unknown): unknown {
  let ms: number | undefined;
  if (value !== null && typeof value === 'object' && typeof (value as Partial<LiquidDate>).liquidDateMs === 'function') ms = (value as LiquidDate).liquidDateMs();
  else if (value === 'now' || value === 'Now') ms = Date.now();
  else if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) ms = parsed;
  }
  if (ms === undefined) return value;
  // .NET format strings, as DateTime.ToString(format) reads them (the C# front end's one implementation)
  return formatDate(ms, typeof format === 'string' && format !== '' ? format : DEFAULT_DATE_FORMAT);
}

const currency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

// liquidjs (its CommonJS build, the one `import` loads too: the package has no ESM entry for
// Node) is loaded on first use, so linting or building a policy without a liquid template does
// not pay for it (`npm run bench -- cli-cold-start`)
const requireFromHere = createRequire(import.meta.url);

function engine(): Liquid {
  const { Liquid: LiquidEngine } = requireFromHere('liquidjs') as typeof import('liquidjs');
  const liquid = new LiquidEngine({ strictFilters: true, ownPropertyOnly: true, cache: false });
  const builtins = { ...liquid.filters };
  for (const name of Object.keys(liquid.filters)) delete liquid.filters[name];
  for (const [apim, builtin] of Object.entries(FILTERS)) liquid.filters[apim] = builtins[builtin]!;
  liquid.registerFilter('Date', dateFilter);
  liquid.registerFilter('Currency', (v: unknown) => (Number.isFinite(Number(v)) ? currency.format(Number(v)) : v));
  for (const tag of FILE_TAGS) delete liquid.tags[tag];
  return liquid;
}

let shared: Liquid | undefined;

/** The one engine with APIM's dialect. */
export function apimLiquid(): Liquid {
  return (shared ??= engine());
}

/** Parses a template in APIM's dialect; throws with liquidjs's message (first line) when it does not parse. */
export function parseApimLiquid(source: string): Template[] {
  try {
    return apimLiquid().parse(source);
  } catch (err) {
    throw new Error((err as Error).message.split('\n')[0], { cause: err });
  }
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

/** Whether a set-body renders as liquid. */
export function isLiquidBody(el: XmlElement): boolean {
  const t = el.attributes.find((a) => a.name === 'template')?.value;
  return el.name === 'set-body' && typeof t === 'string' && t.trim().toLowerCase() === 'liquid';
}
