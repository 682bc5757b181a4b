/** rate-limit, rate-limit-by-key, quota, quota-by-key, ip-filter, cors. */
import { isIP } from 'node:net';
import { attr, childElements, type XmlElement } from '../../xml/tree.js';
import {
  PolicyFailure,
  ReturnSignal,
  boolAttr,
  compileValue,
  constAttr,
  defineElement,
  elementText,
  errorBody,
  intAttr,
  substituteNamedValues,
  where,
  type CompileContext,
  type Run,
} from '../compile.js';
import { ResponseState } from '../context.js';
import { settleFirst } from '../overlap.js';
import { EmulatorError } from '../errors.js';
import { isExpression } from '../../xml/tree.js';

/** Fixed windows per key: the window starts with the key's first counted call. */
class WindowCounters {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly periodMs: number) {}
  current(key: string, now: number): { start: number; count: number } {
    let w = this.windows.get(key);
    if (!w || now >= w.start + this.periodMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    return w;
  }
  secondsLeft(w: { start: number }, now: number): number {
    return Math.max(1, Math.ceil((w.start + this.periodMs - now) / 1000));
  }
}

function limitStep(el: XmlElement, cc: CompileContext, kind: 'rate' | 'quota'): (run: Run) => void | Promise<void> {
  const byKey = el.name.endsWith('-by-key');
  const calls = intAttr(el, 'calls', cc);
  const bandwidth = intAttr(el, 'bandwidth', cc);
  const period = intAttr(el, 'renewal-period', cc);
  if (calls === undefined && bandwidth === undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)} needs calls${kind === 'quota' ? ' or bandwidth' : ''}`);
  if (bandwidth !== undefined && calls === undefined) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: <${el.name} bandwidth>${where(el)} without calls (bandwidth quotas are not emulated)`);
  if (period === undefined || period <= 0) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)} needs a positive renewal-period`);
  if (childElements(el).length) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: per-API/operation limits inside <${el.name}>${where(el)}`);
  const keyAttr = attr(el, 'counter-key');
  if (byKey && keyAttr === undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)} needs counter-key`);
  const key = keyAttr === undefined ? (run: Run) => String((run.context.getMember('Subscription') as { getMember?(n: string): unknown } | null)?.getMember?.('Id') ?? '') : compileValue(keyAttr, cc, el);
  const conditionAttr = attr(el, 'increment-condition');
  const condition = conditionAttr === undefined ? null : compileValue(conditionAttr, cc, el);
  const incrementAttr = attr(el, 'increment-count');
  const increment = incrementAttr === undefined ? () => 1 : compileValue(incrementAttr, cc, el);
  const retryHeader = constAttr(el, 'retry-after-header-name', cc, 'Retry-After');
  const retryVar = constAttr(el, 'retry-after-variable-name', cc);
  const remainingHeader = constAttr(el, 'remaining-calls-header-name', cc);
  const remainingVar = constAttr(el, 'remaining-calls-variable-name', cc);
  const totalHeader = constAttr(el, 'total-calls-header-name', cc);
  const counters = new WindowCounters(period * 1000);
  const count = (run: Run, k: string, counts: boolean, by: number): void => {
    const now = run.services.now();
    const w = counters.current(k, now);
    if (counts && w.count + by > calls!) {
      const retry = counters.secondsLeft(w, now);
      if (retryVar) run.context.variables.map.set(retryVar, retry);
      const headers: Record<string, string> = {};
      if (retryHeader) headers[retryHeader] = String(retry);
      if (remainingHeader) headers[remainingHeader] = '0';
      if (totalHeader) headers[totalHeader] = String(calls);
      if (kind === 'rate') {
        throw new PolicyFailure({ source: el.name, reason: 'RateLimitExceeded', message: 'Rate limit is exceeded', policyId: '' }, 429, errorBody(429, `Rate limit is exceeded. Try again in ${retry} seconds.`), headers);
      }
      const hh = Math.floor(retry / 3600);
      const mm = Math.floor(retry / 60) % 60;
      const ss = retry % 60;
      const p = (n: number): string => String(n).padStart(2, '0');
      throw new PolicyFailure({ source: el.name, reason: 'QuotaExceeded', message: 'Out of call volume quota.', policyId: '' }, 403, errorBody(403, `Out of call volume quota. Quota will be replenished in ${p(hh)}:${p(mm)}:${p(ss)}.`), headers);
    }
    w.count += by;
    const remaining = Math.max(0, calls! - w.count);
    if (remainingVar) run.context.variables.map.set(remainingVar, remaining);
    if (remainingHeader || totalHeader) {
      run.limitHeaders ??= {};
      if (remainingHeader) run.limitHeaders[remainingHeader] = String(remaining);
      if (totalHeader) run.limitHeaders[totalHeader] = String(calls);
    }
  };
  // the key and the increment are read from the run; the counter is touched once no check is under way
  return (run) => {
    const k = String(key(run) ?? '');
    const counts = condition === null || condition(run) === true;
    const by = counts ? Number(increment(run)) || 0 : 0;
    return settleFirst(run, () => count(run, k, counts, by));
  };
}

defineElement('rate-limit', (el, cc) => limitStep(el, cc, 'rate'), { pure: true });
defineElement('rate-limit-by-key', (el, cc) => limitStep(el, cc, 'rate'), { pure: true });
defineElement('quota', (el, cc) => limitStep(el, cc, 'quota'), { pure: true });
defineElement('quota-by-key', (el, cc) => limitStep(el, cc, 'quota'), { pure: true });

// ---- ip-filter ------------------------------------------------------------------------------

function ipv4ToInt(ip: string): number | null {
  if (isIP(ip) !== 4) return null;
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip.toLowerCase();
}

defineElement('ip-filter', (el, cc) => {
  const action = (constAttr(el, 'action', cc) ?? '').toLowerCase();
  if (action !== 'allow' && action !== 'forbid') throw new EmulatorError('INVALID_POLICY', `<ip-filter>${where(el)}: action must be allow or forbid`);
  const tests: ((ip: string) => boolean)[] = [];
  for (const c of childElements(el)) {
    if (c.name === 'address') {
      const t = elementText(c);
      if (isExpression(t)) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: an expression in <address>${where(c)}`);
      const a = normaliseIp(substituteNamedValues(t, cc, c).trim());
      if (!isIP(a)) throw new EmulatorError('INVALID_POLICY', `<address>${where(c)}: ${a} is not an IP address`);
      tests.push((ip) => ip === a);
    } else if (c.name === 'address-range') {
      const from = ipv4ToInt(normaliseIp(constAttr(c, 'from', cc) ?? ''));
      const to = ipv4ToInt(normaliseIp(constAttr(c, 'to', cc) ?? ''));
      if (from === null || to === null) throw new EmulatorError('INVALID_POLICY', `<address-range>${where(c)} needs IPv4 from and to`);
      tests.push((ip) => {
        const n = ipv4ToInt(ip);
        return n !== null && n >= from && n <= to;
      });
    } else throw new EmulatorError('INVALID_POLICY', `<ip-filter>${where(el)} may hold only <address> and <address-range>, not <${c.name}>`);
  }
  return (run) => {
    const ip = normaliseIp(run.context.request.ipAddress);
    const listed = tests.some((t) => t(ip));
    if (listed === (action === 'allow')) return;
    throw new PolicyFailure({ source: 'ip-filter', reason: 'CallerIpNotAllowed', message: `Caller IP address ${ip} is not allowed. Access denied.`, policyId: '' }, 403, errorBody(403, 'Forbidden'));
  };
}, { pure: true });

// ---- cors -----------------------------------------------------------------------------------

function list(el: XmlElement, container: string, item: string, cc: CompileContext): string[] {
  const c = childElements(el, container)[0];
  if (!c) return [];
  return childElements(c, item).map((x) => {
    const t = elementText(x);
    if (isExpression(t)) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: an expression in <${item}>${where(x)}`);
    return substituteNamedValues(t, cc, x).trim();
  });
}

defineElement('cors', (el, cc) => {
  const credentials = boolAttr(el, 'allow-credentials', cc, false);
  const terminate = boolAttr(el, 'terminate-unmatched-request', cc, true);
  const origins = list(el, 'allowed-origins', 'origin', cc);
  const methods = list(el, 'allowed-methods', 'method', cc).map((m) => m.toUpperCase());
  const methodsEl = childElements(el, 'allowed-methods')[0];
  const maxAge = methodsEl ? constAttr(methodsEl, 'preflight-result-max-age', cc) : undefined;
  const headers = list(el, 'allowed-headers', 'header', cc).map((h) => h.toLowerCase());
  const expose = list(el, 'expose-headers', 'header', cc);
  if (origins.length === 0) throw new EmulatorError('INVALID_POLICY', `<cors>${where(el)} needs <allowed-origins>`);
  const anyOrigin = origins.includes('*');
  if (anyOrigin && credentials) throw new EmulatorError('INVALID_POLICY', `<cors>${where(el)}: allow-credentials="true" cannot be combined with origin *`);
  const anyMethod = methods.length === 0 || methods.includes('*');
  const anyHeader = headers.includes('*');
  return (run) => {
    const req = run.context.request;
    const origin = req.headers.get('Origin')?.[0];
    if (origin === undefined) return;
    const originOk = anyOrigin || origins.some((o) => o.toLowerCase() === origin.toLowerCase());
    const allowOrigin = anyOrigin ? '*' : origin;
    const preflightMethod = req.headers.get('Access-Control-Request-Method')?.[0];
    if (req.method === 'OPTIONS' && preflightMethod !== undefined) {
      const requested = (req.headers.getJoined('Access-Control-Request-Headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
      const ok = originOk && (anyMethod || methods.includes(preflightMethod.toUpperCase())) && (anyHeader || requested.every((h) => headers.includes(h)));
      if (!ok) {
        if (terminate) throw new ReturnSignal(new ResponseState(200, 'OK'));
        return;
      }
      const r = new ResponseState(200, 'OK');
      r.headers.set('Access-Control-Allow-Origin', [allowOrigin]);
      if (credentials) r.headers.set('Access-Control-Allow-Credentials', ['true']);
      r.headers.set('Access-Control-Allow-Methods', [anyMethod ? preflightMethod.toUpperCase() : methods.join(',')]);
      if (requested.length) r.headers.set('Access-Control-Allow-Headers', [anyHeader ? requested.join(',') : headers.filter((h) => requested.includes(h)).join(',')]);
      if (maxAge) r.headers.set('Access-Control-Max-Age', [maxAge]);
      if (!anyOrigin) r.headers.set('Vary', ['Origin']);
      throw new ReturnSignal(r);
    }
    if (!originOk) {
      if (terminate) throw new ReturnSignal(new ResponseState(200, 'OK'));
      return;
    }
    const h: Record<string, string> = { 'Access-Control-Allow-Origin': allowOrigin };
    if (credentials) h['Access-Control-Allow-Credentials'] = 'true';
    if (expose.length) h['Access-Control-Expose-Headers'] = expose.join(',');
    if (!anyOrigin) h.Vary = 'Origin';
    run.corsHeaders = h;
  };
}, { pure: true });

