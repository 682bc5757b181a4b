/** choose, return-response, mock-response, set-variable, include-fragment, retry, limit-concurrency, trace, emit-metric, wait, cache no-ops. */
import { attr, childElements, type XmlElement } from '../../xml/tree.js';
import {
  PolicyFailure,
  ReturnSignal,
  attrString,
  boolAttr,
  compileElements,
  compileString,
  compileValue,
  constAttr,
  defineElement,
  elementText,
  errorBody,
  intAttr,
  requireAttr,
  pureWhen,
  runSteps,
  where,
  type CompileContext,
  type Step,
} from '../compile.js';
import { ResponseState } from '../context.js';
import { EmulatorError } from '../errors.js';
import { csString } from '../expressions/index.js';

function noBase(el: XmlElement): () => Step[] {
  return () => {
    throw new EmulatorError('INVALID_POLICY', `<base /> is only allowed directly in a section, not inside <${el.name}>${where(el)}`);
  };
}

function children(el: XmlElement, cc: CompileContext): Step[] {
  return compileElements(el.children, cc, noBase(el));
}

defineElement('choose', (el, cc) => {
  const branches: { cond: ((run: Parameters<Step>[0]) => unknown) | null; steps: Step[] }[] = [];
  for (const c of childElements(el)) {
    if (c.name === 'when') {
      branches.push({ cond: compileValue(requireAttr(c, 'condition'), cc, c), steps: children(c, { ...cc, path: `${cc.path}/when[${branches.length}]` }) });
    } else if (c.name === 'otherwise') branches.push({ cond: null, steps: children(c, { ...cc, path: `${cc.path}/otherwise` }) });
    else throw new EmulatorError('INVALID_POLICY', `<choose>${where(el)} may hold only <when> and <otherwise>, not <${c.name}>`);
  }
  // synchronous unless a branch with steps is taken: no promise when nothing matches
  const step: Step = (run) => {
    for (const b of branches) {
      if (b.cond) {
        const v = b.cond(run);
        if (v !== true && v !== false) {
          throw new PolicyFailure({ source: 'choose', reason: 'ExpressionValueEvaluationFailure', message: `Expression evaluation failed. The condition returned ${csString(v) || 'null'}, not a bool.`, policyId: '' }, 500, errorBody(500, 'Internal server error'));
        }
        if (!v) continue;
      }
      return b.steps.length ? runSteps(b.steps, run) : undefined;
    }
    return undefined;
  };
  return pureWhen(
    step,
    branches.flatMap((b) => b.steps),
  );
});

defineElement('return-response', (el, cc) => {
  const variable = constAttr(el, 'response-variable-name', cc);
  const steps = children(el, { ...cc, target: 'return', overlap: false });
  const step: Step = async (run) => {
    const saved = run.returning;
    let response = new ResponseState(200, 'OK');
    if (variable) {
      const v = run.context.variables.map.get(variable);
      if (!(v instanceof ResponseState)) {
        throw new PolicyFailure({ source: 'return-response', reason: 'ResponseVariableNotFound', message: `Variable ${variable} does not hold a response.`, policyId: '' }, 500, errorBody(500, 'Internal server error'));
      }
      response = v;
    }
    run.returning = response;
    try {
      await runSteps(steps, run);
    } finally {
      run.returning = saved;
    }
    throw new ReturnSignal(response);
  };
  return pureWhen(step, steps);
});

defineElement('mock-response', (el, cc) => {
  const status = intAttr(el, 'status-code', cc, 200)!;
  const contentType = constAttr(el, 'content-type', cc);
  return () => {
    const r = new ResponseState(status, '');
    if (contentType) r.headers.set('Content-Type', [contentType]);
    throw new ReturnSignal(r);
  };
}, { pure: true });

defineElement('set-variable', (el, cc) => {
  const name = constAttr(el, 'name', cc);
  if (!name) requireAttr(el, 'name');
  const value = compileValue(requireAttr(el, 'value'), cc, el);
  return (run) => {
    run.context.variables.map.set(name!, value(run));
  };
}, { pure: true });

defineElement('include-fragment', (el, cc) => {
  const id = constAttr(el, 'fragment-id', cc);
  if (!id) requireAttr(el, 'fragment-id');
  const fragment = cc.options.fragments[id!];
  if (!fragment) throw new EmulatorError('INVALID_POLICY', `<include-fragment fragment-id="${id}">${where(el)}: no such fragment (pass it in options.fragments)`);
  if (cc.including.includes(id!)) throw new EmulatorError('INVALID_POLICY', `fragment ${id} includes itself (${[...cc.including, id].join(' → ')})`);
  const steps = compileElements(fragment.children, { ...cc, path: `${cc.path}(${id})`, including: [...cc.including, id!] }, noBase(fragment));
  return pureWhen((run) => runSteps(steps, run), steps);
});

defineElement('retry', (el, cc) => {
  const condition = compileValue(requireAttr(el, 'condition'), cc, el);
  const count = intAttr(el, 'count', cc);
  const interval = intAttr(el, 'interval', cc, 0)!;
  const maxInterval = intAttr(el, 'max-interval', cc);
  const delta = intAttr(el, 'delta', cc);
  const firstFast = boolAttr(el, 'first-fast-retry', cc, false);
  if (count === undefined || count < 0) requireAttr(el, 'count');
  const steps = children(el, { ...cc, overlap: false });
  return async (run) => {
    for (let attempt = 0; ; attempt++) {
      let failure: unknown = null;
      try {
        await runSteps(steps, run);
      } catch (err) {
        if (!(err instanceof PolicyFailure)) throw err;
        failure = err;
        run.context.lastError = { section: cc.section, path: cc.path, scope: cc.scope, ...err.error, policyId: err.error.policyId } as never;
      }
      const again = attempt < count! && condition(run) === true;
      if (!again) {
        if (failure) throw failure;
        return;
      }
      // wait: first retry immediate when first-fast-retry; fixed interval, or growing by delta up to max-interval
      let waitS = delta !== undefined ? Math.min(interval + delta * attempt, maxInterval ?? Infinity) : interval;
      if (firstFast && attempt === 0) waitS = 0;
      if (waitS > 0) await run.services.sleep(waitS * 1000);
    }
  };
});

const concurrency = new WeakMap<XmlElement, Map<string, number>>();

defineElement('limit-concurrency', (el, cc) => {
  const key = compileString(requireAttr(el, 'key'), cc, el);
  const max = intAttr(el, 'max-count', cc);
  if (max === undefined) requireAttr(el, 'max-count');
  const steps = children(el, { ...cc, overlap: false });
  const counts = new Map<string, number>();
  concurrency.set(el, counts);
  return async (run) => {
    const k = key(run);
    const cur = counts.get(k) ?? 0;
    if (cur >= max!) {
      throw new PolicyFailure({ source: 'limit-concurrency', reason: 'ConcurrencyLimitExceeded', message: 'Concurrency limit is exceeded.', policyId: '' }, 429, errorBody(429, 'Too many requests'));
    }
    counts.set(k, cur + 1);
    try {
      await runSteps(steps, run);
    } finally {
      const n = (counts.get(k) ?? 1) - 1;
      if (n <= 0) counts.delete(k);
      else counts.set(k, n);
    }
  };
});

defineElement('trace', (el, cc) => {
  const source = constAttr(el, 'source', cc, '') ?? '';
  const severity = constAttr(el, 'severity', cc, 'verbose') ?? 'verbose';
  const msgEl = childElements(el, 'message')[0];
  const message = msgEl ? compileString(elementText(msgEl), cc, msgEl) : compileString(elementText(el), cc, el);
  const metadata = childElements(el, 'metadata').map((m) => ({ name: constAttr(m, 'name', cc) ?? '', value: attrString(m, 'value', cc) ?? (() => '') }));
  return (run) => {
    const entry = { source, severity, message: message(run) } as { source: string; severity: string; message: string; metadata?: Record<string, string> };
    if (metadata.length) entry.metadata = Object.fromEntries(metadata.map((m) => [m.name, m.value(run)]));
    run.trace.push(entry);
  };
}, { pure: true });

defineElement('emit-metric', (el, cc) => {
  const name = constAttr(el, 'name', cc);
  if (!name) requireAttr(el, 'name');
  const namespace = constAttr(el, 'namespace', cc, 'API Management') ?? 'API Management';
  const valueAttr = attr(el, 'value');
  const value = valueAttr === undefined ? () => '1' : compileString(valueAttr, cc, el);
  const dims = childElements(el, 'dimension').map((d) => {
    const dn = constAttr(d, 'name', cc) ?? '';
    const dv = attr(d, 'value');
    return { name: dn, value: dv === undefined ? defaultDimension(dn) : compileString(dv, cc, d) };
  });
  return (run) => {
    const n = Number(value(run));
    run.metrics.push({ name: name!, namespace, value: Number.isFinite(n) ? n : 1, dimensions: Object.fromEntries(dims.map((d) => [d.name, d.value(run)])) });
  };
}, { pure: true });

/** emit-metric's default dimensions (API ID, Operation ID, ...) read from the context. */
function defaultDimension(name: string): (run: Parameters<Step>[0]) => string {
  const member: Record<string, [string, string]> = {
    'api id': ['Api', 'Id'],
    'operation id': ['Operation', 'Id'],
    'product id': ['Product', 'Id'],
    'user id': ['User', 'Id'],
    'subscription id': ['Subscription', 'Id'],
    location: ['Deployment', 'Region'],
    'gateway id': ['Deployment', 'GatewayId'],
  };
  const m = member[name.toLowerCase()];
  return (run) => {
    if (!m) return '';
    const o = run.context.getMember(m[0]);
    return o && typeof o === 'object' && 'getMember' in o ? csString((o as { getMember(n: string): unknown }).getMember(m[1])) : '';
  };
}

defineElement('wait', (el, cc) => {
  const mode = constAttr(el, 'for', cc, 'all');
  const branches = childElements(el).map((c, i) => compileElements([c], { ...cc, path: `${cc.path}/${c.name}[${i}]`, overlap: false }, noBase(el)));
  return async (run) => {
    // each branch a promise of its own (a branch failing at once does not keep the others from starting)
    const runs = branches.map(async (b) => runSteps(b, run));
    if (mode === 'any') await Promise.race(runs);
    else await Promise.all(runs);
  };
});

// A cache that never holds anything: lookups miss, stores are dropped (documented).
defineElement('cache-lookup', () => () => undefined);
defineElement('cache-store', () => () => undefined);
defineElement('cache-lookup-value', (el, cc) => {
  const variable = constAttr(el, 'variable-name', cc);
  const def = attr(el, 'default-value');
  const value = def === undefined ? null : compileValue(def, cc, el);
  return (run) => {
    if (variable && value) run.context.variables.map.set(variable, value(run));
  };
});
defineElement('cache-store-value', () => () => undefined);
defineElement('cache-remove-value', () => () => undefined);

