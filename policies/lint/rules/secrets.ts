/** APIM3xx: secrets and transport. */
import { isExpression, type XmlValue } from '../../xml/tree.js';
import { csharpLiterals } from '../../xml/scan.js';
import type { Rule } from '../types.js';
import { literalAttr, textContent, valueText } from '../walk.js';

/** Patterns that look like a secret wherever they appear. */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/, 'a JWT'],
  [/[?&]sig=[A-Za-z0-9%+/=]{16,}/i, 'a SAS signature'],
  [/\b(AccountKey|SharedAccessKey|Password|Pwd|client_secret)=(?!\{\{)[^;&"'\s{]{8,}/i, 'a connection-string or form secret'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/^\s*(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{12,}\s*$/, 'a literal Authorization credential'],
];

/** Attributes whose literal value is a secret by name. */
const SECRET_ATTRIBUTES = /^(password|secret|client-secret|subscription-key|api-key|certificate-password)$/i;
/** Headers whose literal value is a secret. */
const SECRET_HEADERS = /^(authorization|ocp-apim-subscription-key|x-api-key|api-key|x-functions-key|x-ms-functions-key)$/i;

function looksSecret(text: string): string | undefined {
  for (const [re, what] of SECRET_PATTERNS) if (re.test(text)) return what;
  return undefined;
}

/** The literal text of a value: a plain string, or the string literals inside an expression. */
function literals(v: XmlValue): string[] {
  if (!isExpression(v)) return [v];
  return csharpLiterals(v.code)
    .filter((l) => l.kind === 'string')
    .map((l) => v.code.slice(l.start, l.end));
}

const isPlainLiteral = (s: string) => s.trim().length >= 8 && !s.includes('{{') && !s.trim().startsWith('@');

export const secretRules: Rule[] = [
  {
    id: 'APIM301',
    severity: 'error',
    summary: 'a literal that looks like a secret instead of a `{{named value}}`',
    check(ctx) {
      for (const v of ctx.visits) {
        let found: string | undefined;
        for (const a of v.el.attributes) {
          for (const lit of literals(a.value)) {
            if (lit.includes('{{')) continue;
            found ??= looksSecret(lit);
          }
          if (found === undefined && typeof a.value === 'string' && SECRET_ATTRIBUTES.test(a.name) && isPlainLiteral(a.value)) {
            found = `a literal ${a.name}`;
          }
        }
        for (const c of v.el.children) {
          if (c.kind !== 'text' && c.kind !== 'cdata') continue;
          for (const lit of c.kind === 'cdata' ? [c.value] : literals(c.value)) {
            if (lit.includes('{{')) continue;
            found ??= looksSecret(lit);
          }
        }
        const parent = v.ancestors[v.ancestors.length - 1];
        if (found === undefined && v.el.name === 'key' && parent !== undefined && /^(issuer-signing-keys|decryption-keys)$/.test(parent.name)) {
          const text = textContent(v.el);
          if (isPlainLiteral(text)) found = 'a literal signing or decryption key';
        }
        if (found === undefined && v.el.name === 'value' && parent?.name === 'set-header' && SECRET_HEADERS.test(literalAttr(parent, 'name')?.trim() ?? '')) {
          const text = textContent(v.el);
          if (isPlainLiteral(text)) found = `a literal ${literalAttr(parent, 'name')} header value`;
        }
        if (found !== undefined) {
          ctx.report(v, `${found} is written into the policy: keep it in a (Key Vault-backed) named value and reference it as {{name}}`);
        }
      }
    },
  },
  {
    id: 'APIM302',
    severity: 'error',
    summary: 'a backend reached over `http://` (set-backend-service base-url, send-request url)',
    check(ctx) {
      const plain = (url: string) => /^\s*http:\/\//i.test(url) && !/^\s*http:\/\/(localhost|127\.0\.0\.1|\[::1\])([:/]|\s*$)/i.test(url);
      for (const v of ctx.visits) {
        let url: string | undefined;
        if (v.el.name === 'set-backend-service') url = literalAttr(v.el, 'base-url');
        else if (v.el.name === 'set-url' && v.ancestors.some((a) => a.name === 'send-request' || a.name === 'send-one-way-request')) {
          url = textContent(v.el);
        }
        if (url !== undefined && plain(url)) {
          ctx.report(v, `backend URL ${url.trim()} is plain http: identity headers and tokens travel unencrypted; use https`);
        }
      }
    },
  },
  {
    id: 'APIM303',
    severity: 'warning',
    summary: 'a token or credential header written to trace, logs or metrics',
    check(ctx) {
      const sinks = new Set(['trace', 'log-to-eventhub', 'emit-metric', 'azure-openai-emit-token-metric']);
      const leaks = /Headers[^;]*"(Authorization|Ocp-Apim-Subscription-Key|x-api-key|Cookie)"|AsJwt\(\)\s*(\?|\))|\.Token\b/i;
      for (const v of ctx.visits) {
        if (!sinks.has(v.el.name)) continue;
        const codes: string[] = [];
        const collect = (el: typeof v.el): void => {
          for (const a of el.attributes) codes.push(valueText(a.value));
          for (const c of el.children) {
            if (c.kind === 'text') codes.push(valueText(c.value));
            else if (c.kind === 'element') collect(c);
          }
        };
        collect(v.el);
        if (codes.some((c) => leaks.test(c))) {
          ctx.report(v, `${v.el.name} records a token or credential header: logs and traces are read by more people than the API; log a hash or the claims you need`);
        }
      }
    },
  },
];
