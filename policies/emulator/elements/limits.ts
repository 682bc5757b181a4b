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
  type Step,
} from '../compile.js';
import { ResponseState } from '../context.js';
import { settleFirst } from '../overlap.js';
import { EmulatorError } from '../errors.js';
import { isExpression } from '../../xml/tree.js';

/** APIM's TimeSpan text: `hh:mm:ss`, or `d.hh:mm:ss` from a day on (".NET TimeSpan.ToString()"). */
function timeSpanText(seconds: number): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const d = Math.floor(seconds / 86400);
  const hms = `${p(Math.floor(seconds / 3600) % 24)}:${p(Math.floor(seconds / 60) % 60)}:${p(seconds % 60)}`;
  return d > 0 ? `${d}.${hms}` : hms;
}

/** `0001-01-01T00:00:00Z`, the documented default of first-period-start. */
const FIRST_PERIOD_START_DEFAULT = Date.parse('0001-01-01T00:00:00Z');
const RATE_ONLY_ATTRIBUTES = ['retry-after-header-name', 'retry-after-variable-name', 'remaining-calls-header-name', 'remaining-calls-variable-name', 'total-calls-header-name'];

/**
 * rate-limit, rate-limit-by-key, quota, quota-by-key.
 *
 * - https://learn.microsoft.com/azure/api-management/rate-limit-policy
 * - https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy
 * - https://learn.microsoft.com/azure/api-management/quota-policy
 * - https://learn.microsoft.com/azure/api-management/quota-by-key-policy
 *
 * The check runs where the element stands (inbound). The counter is incremented there too,
 * unless `increment-condition` or `increment-count` is an expression: then "the policy
 * expression defers evaluation and counter increment to the end of the outbound pipeline"
 * (rate-limit-by-key reference), so the condition sees the response (the reference's own
 * example counts by `context.Response.StatusCode`). The quota references give the same
 * response-based example; the emulator defers them alike. A bandwidth quota counts the bytes of
 * the caller's request and of the response it gets, so it is always counted at the end.
 * "The end of the outbound pipeline" when the pipeline failed: the docs are silent, the
 * emulator still counts (the stricter choice), with the condition seeing the error response.
 */
function limitStep(el: XmlElement, cc: CompileContext, kind: 'rate' | 'quota'): Step {
  const byKey = el.name.endsWith('-by-key');
  const calls = intAttr(el, 'calls', cc);
  const bandwidthKb = kind === 'quota' ? intAttr(el, 'bandwidth', cc) : undefined;
  const period = intAttr(el, 'renewal-period', cc);
  if (kind === 'rate' && attr(el, 'bandwidth') !== undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: bandwidth is a quota attribute`);
  // rate-limit (per subscription) documents no increment attributes; rate-limit-by-key does
  if (el.name === 'rate-limit') for (const a of ['increment-condition', 'increment-count']) if (attr(el, a) !== undefined) throw new EmulatorError('INVALID_POLICY', `<rate-limit>${where(el)}: ${a} is not an attribute of rate-limit (use rate-limit-by-key)`);
  if (calls === undefined && bandwidthKb === undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)} needs calls${kind === 'quota' ? ' or bandwidth' : ''}`);
  for (const [name, v] of [['calls', calls], ['bandwidth', bandwidthKb]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: ${name} must be a non-negative integer`);
  }
  if (period === undefined || !Number.isInteger(period) || period < 0) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)} needs renewal-period, a whole number of seconds`);
  if (kind === 'rate') {
    // "Maximum allowed value: 300 seconds."
    if (period === 0 || period > MAX_RATE_LIMIT_PERIOD_SECONDS) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: renewal-period="${period}" must be between 1 and ${MAX_RATE_LIMIT_PERIOD_SECONDS} seconds (the reference's maximum)`);
  } else {
    // "Minimum period: 300 seconds. When renewal-period is set to 0, the period is set to infinite."
    if (period === 0) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: <${el.name} renewal-period="0">${where(el)} (a lifetime quota is not emulated)`);
    if (period < MIN_QUOTA_PERIOD_SECONDS) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: renewal-period="${period}" is below the quota minimum of ${MIN_QUOTA_PERIOD_SECONDS} seconds`);
    for (const a of RATE_ONLY_ATTRIBUTES) if (attr(el, a) !== undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: ${a} is not an attribute of ${el.name}`);
  }
  if (childElements(el).length) throw new EmulatorError('UNSUPPORTED_ELEMENT', `unsupported: per-API/operation limits inside <${el.name}>${where(el)}`);
  let origin = FIRST_PERIOD_START_DEFAULT;
  const firstPeriodStart = constAttr(el, 'first-period-start', cc);
  if (firstPeriodStart !== undefined) {
    if (kind !== 'quota') throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: first-period-start is a quota attribute`);
    // "in the following format: yyyy-MM-ddTHH:mm:ssZ"
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(firstPeriodStart) || Number.isNaN(Date.parse(firstPeriodStart))) {
      throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: first-period-start="${firstPeriodStart}" is not yyyy-MM-ddTHH:mm:ssZ`);
    }
    origin = Date.parse(firstPeriodStart);
  }
  const keyAttr = attr(el, 'counter-key');
  if (byKey && keyAttr === undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)} needs counter-key`);
  if (!byKey && keyAttr !== undefined) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: counter-key belongs to ${el.name}-by-key`);
  const key = keyAttr === undefined ? (run: Run) => String((run.context.getMember('Subscription') as { getMember?(n: string): unknown } | null)?.getMember?.('Id') ?? '') : compileValue(keyAttr, cc, el);
  const conditionAttr = attr(el, 'increment-condition');
  const countAttr = attr(el, 'increment-count');
  const deferred = (conditionAttr !== undefined && isExpression(conditionAttr)) || (countAttr !== undefined && isExpression(countAttr));
  const condition = conditionAttr === undefined ? null : compileValue(conditionAttr, cc, el);
  const increment = countAttr === undefined ? null : compileValue(countAttr, cc, el);
  // a constant condition or count is known now: "false" never counts
  const constantCondition = conditionAttr === undefined || isExpression(conditionAttr) ? true : /^true$/i.test(substituteNamedValues(conditionAttr, cc, el).trim());
  const constantCount = countAttr === undefined || isExpression(countAttr) ? 1 : Number(substituteNamedValues(countAttr, cc, el));
  if (!Number.isInteger(constantCount) || constantCount < 0) throw new EmulatorError('INVALID_POLICY', `<${el.name}>${where(el)}: increment-count must be a non-negative integer`);
  const retryHeader = constAttr(el, 'retry-after-header-name', cc, 'Retry-After');
  const retryVar = constAttr(el, 'retry-after-variable-name', cc);
  const remainingHeader = constAttr(el, 'remaining-calls-header-name', cc);
  const remainingVar = constAttr(el, 'remaining-calls-variable-name', cc);
  const totalHeader = constAttr(el, 'total-calls-header-name', cc);
  const periodMs = period * 1000;
  const counters = cc.options.services.counters;
  const prefix = `${el.name}\u0000${period}\u0000${kind === 'quota' ? origin : ''}\u0000`;

  /** What the deferred increment reads at the end: whether the request counts, and by how much. */
  const countOf = (run: Run): number => {
    try {
      if (condition !== null && condition(run) !== true) return 0;
      if (increment === null) return 1;
      const n = Number(increment(run));
      return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
    } catch {
      // a failing expression at the end of the pipeline: counted (the docs are silent; the stricter choice)
      return 1;
    }
  };

  const refuse = (run: Run, retrySeconds: number, reason: 'calls' | 'bandwidth'): never => {
    const headers: Record<string, string> = {};
    if (kind === 'rate') {
      if (retryVar) run.context.variables.map.set(retryVar, retrySeconds);
      if (retryHeader) headers[retryHeader] = String(retrySeconds);
      if (remainingVar) run.context.variables.map.set(remainingVar, 0);
      if (remainingHeader) headers[remainingHeader] = '0';
      if (totalHeader) headers[totalHeader] = String(calls);
      // https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies#predefined-errors-for-policies
      throw new PolicyFailure({ source: el.name, reason: 'RateLimitExceeded', message: 'Rate limit is exceeded', policyId: '' }, 429, errorBody(429, `Rate limit is exceeded. Try again in ${retrySeconds} seconds.`), headers);
    }
    // "the response includes a Retry-After header whose value is the recommended retry interval in seconds"
    headers['Retry-After'] = String(retrySeconds);
    const what = reason === 'calls' ? 'call volume' : 'bandwidth';
    const message = `Out of ${what} quota. Quota will be replenished in ${timeSpanText(retrySeconds)}.`;
    throw new PolicyFailure({ source: el.name, reason: 'QuotaExceeded', message, policyId: '' }, 403, errorBody(403, message), headers);
  };

  const setRemaining = (run: Run, remaining: number): void => {
    if (remainingVar) run.context.variables.map.set(remainingVar, remaining);
    if (remainingHeader || totalHeader) {
      run.limitHeaders ??= {};
      if (remainingHeader) run.limitHeaders[remainingHeader] = String(remaining);
      if (totalHeader) run.limitHeaders[totalHeader] = String(calls);
    }
  };

  const rate = (run: Run, id: string): void => {
    const now = run.services.now();
    const log = counters.window(id, periodMs, now);
    // deferred: at least one call must fit now; counted at the end
    const units = deferred ? Math.max(1, constantCount) : constantCondition ? constantCount : 0;
    if (units > 0 && log.total + units > calls!) refuse(run, Math.max(1, Math.ceil(log.waitMs(now, calls!, units) / 1000)), 'calls');
    if (!deferred) {
      log.add(now, units);
      setRemaining(run, Math.max(0, calls! - log.total));
      return;
    }
    setRemaining(run, Math.max(0, calls! - log.total - units));
    (run.afterResponse ??= []).push(() => {
      const by = countOf(run);
      const at = run.services.now();
      counters.window(id, periodMs, at).add(at, by);
    });
  };

  const quota = (run: Run, id: string): void => {
    // "If multiple policies would increment the same key value, it is incremented only once per request."
    const counted = (run.countedKeys ??= new Set<string>());
    if (counted.has(id)) return;
    const now = run.services.now();
    const p = counters.period(id, origin, periodMs, now);
    const retry = Math.max(1, Math.ceil((p.expiresAt - now) / 1000));
    const units = deferred ? Math.max(1, constantCount) : constantCondition ? constantCount : 0;
    if (calls !== undefined && units > 0 && p.calls + units > calls) refuse(run, retry, 'calls');
    if (bandwidthKb !== undefined && (deferred || constantCondition) && p.bytes >= bandwidthKb * 1024) refuse(run, retry, 'bandwidth');
    counted.add(id);
    if (!deferred) p.calls += units;
    if (!deferred && bandwidthKb === undefined) return;
    const requestBytes = run.context.request.body.bytes.byteLength;
    (run.afterResponse ??= []).push(() => {
      const by = deferred ? countOf(run) : constantCondition ? 1 : 0;
      const at = run.services.now();
      const q = counters.period(id, origin, periodMs, at);
      if (deferred) q.calls += by;
      if (bandwidthKb !== undefined && by > 0) q.bytes += requestBytes + run.context.response.body.bytes.byteLength;
    });
  };

  // the key is read from the run; the counter is touched once no check is under way
  const step: Step = (run) => {
    const id = prefix + String(key(run) ?? '');
    return settleFirst(run, () => (kind === 'rate' ? rate(run, id) : quota(run, id)));
  };
  return step;
}

/** "Maximum allowed value: 300 seconds" (rate-limit, rate-limit-by-key). */
export const MAX_RATE_LIMIT_PERIOD_SECONDS = 300;
/** "Minimum period: 300 seconds" (quota, quota-by-key). */
export const MIN_QUOTA_PERIOD_SECONDS = 300;

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

