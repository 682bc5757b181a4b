/** set-header, set-query-parameter, set-body, set-status, set-method, rewrite-uri, set-backend-service, check-header. */
import { attr, childElements, type XmlElement } from '../../xml/tree.js';
import {
  PolicyFailure,
  attrString,
  boolAttr,
  compileString,
  compileValue,
  constAttr,
  defineElement,
  elementText,
  errorBody,
  intAttr,
  requireAttr,
  substituteDefinedNamedValues,
  substituteNamedValues,
  targetMessage,
  where,
  type CompileContext,
  type Run,
  type Step,
} from '../compile.js';
import { EmulatorError } from '../errors.js';
import { liquidSource } from '../../liquid/apim-liquid.js';
import { compileLiquid, liquidBody } from '../liquid.js';
import { csString } from '../expressions/index.js';
import { JToken } from '../expressions/json.js';
import { isExpression } from '../../xml/tree.js';

type ExistsAction = 'override' | 'skip' | 'append' | 'delete';

function existsAction(el: XmlElement, cc: CompileContext): ExistsAction {
  const a = (constAttr(el, 'exists-action', cc, 'override') ?? 'override').toLowerCase();
  if (a !== 'override' && a !== 'skip' && a !== 'append' && a !== 'delete') throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: exists-action="${a}" is not override, skip, append or delete`);
  return a;
}

function valueFns(el: XmlElement, cc: CompileContext): ((run: Run) => string)[] {
  return childElements(el, 'value').map((v) => compileString(elementText(v), cc, v));
}

defineElement('set-header', (el, cc) => {
  const name = attrString(el, 'name', cc);
  if (!name) requireAttr(el, 'name');
  const action = existsAction(el, cc);
  const values = valueFns(el, cc);
  const nameAttr = attr(el, 'name')!;
  if (!isExpression(nameAttr)) {
    // a fixed name: lower-cased once here, not per request
    const n = substituteNamedValues(nameAttr, cc, el);
    const key = n.toLowerCase();
    const one = values.length === 1 ? values[0]! : null;
    const step: Step =
      action === 'delete'
        ? (run) => targetMessage(run, cc).headers.deleteKey(key)
        : (run) => {
            const headers = targetMessage(run, cc).headers;
            const vs = one !== null ? [one(run)] : values.map((f) => f(run));
            if (action === 'skip') {
              if (!headers.hasKey(key)) headers.setKey(key, n, vs);
            } else if (action === 'append') headers.append(n, vs);
            else headers.setKey(key, n, vs);
          };
    step.setsRequestHeader = key;
    return step;
  }
  return (run) => {
    const headers = targetMessage(run, cc).headers;
    const n = name!(run);
    if (action === 'delete') return headers.delete(n);
    const vs = values.map((f) => f(run));
    if (action === 'skip') {
      if (!headers.has(n)) headers.set(n, vs);
    } else if (action === 'append') headers.append(n, vs);
    else headers.set(n, vs);
  };
}, { pure: true });

defineElement('set-query-parameter', (el, cc) => {
  const name = attrString(el, 'name', cc);
  if (!name) requireAttr(el, 'name');
  const action = existsAction(el, cc);
  const values = valueFns(el, cc);
  return (run) => {
    const q = run.context.request.url.query;
    const n = name!(run);
    if (action === 'delete') return q.delete(n);
    const vs = values.map((f) => f(run));
    if (action === 'skip') {
      if (!q.has(n)) q.set(n, vs);
    } else if (action === 'append') q.append(n, vs);
    else q.set(n, vs);
  };
}, { pure: true });

defineElement('set-body', (el, cc) => {
  const template = constAttr(el, 'template', cc);
  if (template && template.toLowerCase() === 'liquid') return liquidStep(el, cc);
  const text = elementText(el);
  const value = compileValue(text, cc, el);
  return (run) => {
    const v = value(run);
    const body = targetMessage(run, cc).body;
    if (v instanceof Uint8Array) body.set(v);
    else body.set(v instanceof JToken ? v.toCsString() : csString(v));
  };
}, { pure: true });

/** set-body template="liquid": `body` from the message (JSON bound, text as is), `context` as expressions see it. */
function liquidStep(el: XmlElement, cc: CompileContext): Step {
  const at = `<set-body template="liquid">${where(el)}`;
  const render = compileLiquid(substituteDefinedNamedValues(liquidSource(el), cc), at);
  return (run) => {
    const message = targetMessage(run, cc);
    const { body, xml } = liquidBody(message.headers.get('Content-Type')?.[0], message.body.text());
    if (xml) throw new EmulatorError('UNSUPPORTED_ELEMENT', `${at}: an XML message body is not bound to liquid templates by the emulator (JSON and text are)`);
    let out: string;
    try {
      out = render({ body, context: run.context });
    } catch (err) {
      const detail = (err as Error).message.split('\n')[0];
      throw new PolicyFailure({ source: 'set-body', reason: 'LiquidTemplateRenderFailure', message: `The liquid template failed: ${detail}`, policyId: '' }, 500, errorBody(500, 'Internal server error'));
    }
    message.body.set(out);
  };
}

defineElement('set-status', (el, cc) => {
  const code = compileString(requireAttr(el, 'code'), cc, el);
  const reason = attrString(el, 'reason', cc);
  return (run) => {
    const target = cc.target === 'return' && run.returning ? run.returning : run.context.response;
    const status = Number(code(run));
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new PolicyFailure({ source: 'set-status', reason: 'InvalidStatusCode', message: `Status code ${code(run)} is not valid.`, policyId: '' }, 500, errorBody(500, 'Internal server error'));
    }
    target.statusCode = status;
    target.statusReason = reason ? reason(run) : '';
  };
}, { pure: true });

defineElement('set-method', (el, cc) => {
  const method = compileString(elementText(el), cc, el);
  return (run) => {
    const m = method(run).trim().toUpperCase();
    if (cc.target === 'send' && run.sending) run.sending.method = m;
    else run.context.request.method = m;
  };
}, { pure: true });

/** `{name}` placeholders of a URL template. */
function fillTemplate(template: string, run: Run): { path: string; used: Set<string>; query: [string, string][] } {
  const used = new Set<string>();
  const params = run.context.request.matchedParameters.map;
  const origQuery = run.context.request.url.query;
  const [pathPart, queryPart] = template.split('?', 2) as [string, string | undefined];
  const sub = (s: string, encode: boolean): string =>
    s.replace(/\{\*?([^{}]+)\}/g, (_m, name: string) => {
      used.add(name.toLowerCase());
      const v = params.has(name) ? csString(params.get(name)) : (origQuery.getJoined(name) ?? '');
      return encode ? encodeURIComponent(v) : v;
    });
  const path = sub(pathPart, true);
  const query: [string, string][] = [];
  if (queryPart) {
    for (const pair of queryPart.split('&')) {
      if (!pair) continue;
      const [k, v = ''] = pair.split('=', 2) as [string, string | undefined];
      query.push([decodeURIComponent(sub(k, false)), decodeURIComponent(sub(v, false))]);
    }
  }
  return { path, used, query };
}

defineElement('rewrite-uri', (el, cc) => {
  const template = compileString(requireAttr(el, 'template'), cc, el);
  const copyUnmatched = boolAttr(el, 'copy-unmatched-params', cc, true);
  return (run) => {
    const url = run.context.request.url;
    const { path, used, query } = fillTemplate(template(run), run);
    const old = url.query.entries();
    url.query.clear();
    for (const [k, v] of query) url.query.append(k, [v]);
    if (copyUnmatched) for (const [k, vs] of old) if (!used.has(k.toLowerCase()) && !url.query.has(k)) url.query.set(k, vs);
    url.path = path === '/' ? '' : path.startsWith('/') ? path : `/${path}`;
  };
}, { pure: true });

defineElement('set-backend-service', (el, cc) => {
  const baseUrl = attrString(el, 'base-url', cc);
  if (!baseUrl) {
    if (attr(el, 'backend-id') !== undefined) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: <set-backend-service backend-id>${where(el)} (backend entities are not emulated; use base-url)`);
    requireAttr(el, 'base-url');
  }
  return (run) => {
    const raw = baseUrl!(run);
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new PolicyFailure({ source: 'set-backend-service', reason: 'InvalidBaseUrl', message: `Base URL ${raw} is not a valid absolute URL.`, policyId: '' }, 500, errorBody(500, 'Internal server error'));
    }
    run.context.request.url.base = u;
  };
}, { pure: true });

defineElement('check-header', (el, cc) => {
  const name = compileString(requireAttr(el, 'name'), cc, el);
  const status = intAttr(el, 'failed-check-httpcode', cc, 401)!;
  const message = attrString(el, 'failed-check-error-message', cc);
  const ignoreCase = boolAttr(el, 'ignore-case', cc, false);
  const values = childElements(el, 'value').map((v) => {
    const t = elementText(v);
    return isExpression(t) ? compileString(t, cc, v) : ((s: string) => () => s)(substituteNamedValues(t, cc, v));
  });
  return (run) => {
    const n = name(run);
    const got = run.context.request.headers.get(n);
    const msg = (fallback: string): string => (message ? message(run) : fallback);
    if (!got) {
      throw new PolicyFailure({ source: 'check-header', reason: 'HeaderNotFound', message: `Header ${n} was not found in the request. Access denied.`, policyId: '' }, status, errorBody(status, msg(`Header ${n} was not found in the request. Access denied.`)));
    }
    if (values.length === 0) return;
    const allowed = values.map((f) => f(run));
    const norm = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
    const ok = got.some((g) => allowed.some((a) => norm(a) === norm(g)));
    if (!ok) {
      const text = `Header ${n} value of ${got.join(',')} is not allowed. Access denied.`;
      throw new PolicyFailure({ source: 'check-header', reason: 'HeaderValueNotAllowed', message: text, policyId: '' }, status, errorBody(status, msg(text)));
    }
  };
}, { pure: true });

defineElement('find-and-replace', (el, cc) => {
  const from = compileString(requireAttr(el, 'from'), cc, el);
  const to = compileString(requireAttr(el, 'to'), cc, el);
  return (run) => {
    const body = targetMessage(run, cc).body;
    const f = from(run);
    if (f === '') return;
    body.set(body.text().split(f).join(to(run)));
  };
}, { pure: true });
