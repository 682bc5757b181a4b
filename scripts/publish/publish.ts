/**
 * `publish`: parse → lint → read → plan → check named values → write, one recipe read top to
 * bottom. Only the store touches the network; planning is pure (plan.ts).
 */
import type { XmlElement } from '../../policies/xml/tree.js';
import { PublishError, PublishErrorCode } from './errors.js';
import { missingNamedValues } from './named-values.js';
import { planPublish, type PublishPlan } from './plan.js';
import type { PolicyStore } from './store.js';
import { describeTarget, type PublishTarget } from './target.js';

/** Reads and writes policy XML; publishing needs nothing else from the XML layer. */
export interface PolicyCodec {
  /** Parses raw or well-formed policy XML; throws an error with `line` and `column` when malformed. */
  parse(text: string): XmlElement;
  /** Writes a tree in the raw form (expressions verbatim) or the well-formed form (entities escaped). */
  write(root: XmlElement, form: 'raw' | 'xml'): string;
}

/** One lint finding, as much of it as publishing reports. */
export interface PublishLintFinding {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  line?: number;
  column?: number;
}

export interface PublishRequest {
  target: PublishTarget;
  /** The local policy text (raw or well-formed XML). */
  source: string;
  /** Names the local side in messages and the diff: a file path, `build:<name>`. */
  sourceLabel: string;
}

export interface PublishOptions {
  codec: PolicyCodec;
  /** The linter, told the target (its scope changes what `<base />` may inherit); error-level findings refuse the publish unless `force`. */
  lint?: (root: XmlElement, target: PublishTarget) => readonly PublishLintFinding[];
  /** Plan and diff only; write nothing. */
  dryRun?: boolean;
  /** Publish despite error-level lint findings. */
  force?: boolean;
  abortSignal?: AbortSignal;
}

export interface PublishResult extends PublishPlan {
  /** Whether a write was sent (false for unchanged policies and dry runs). */
  applied: boolean;
  dryRun: boolean;
  /** Every lint finding (errors included when forced). */
  findings: PublishLintFinding[];
}

function parseLocal(codec: PolicyCodec, req: PublishRequest): XmlElement {
  try {
    return codec.parse(req.source);
  } catch (err) {
    const e = err as { line?: unknown; column?: unknown; message?: unknown; reason?: unknown; code?: unknown };
    const line = typeof e.line === 'number' ? e.line : undefined;
    const column = typeof e.column === 'number' ? e.column : undefined;
    // PolicyXmlError: `reason` is the message without the position, which we print as file:line:col
    const msg = typeof e.reason === 'string' && line !== undefined ? e.reason : typeof e.message === 'string' ? e.message : String(err);
    throw new PublishError(PublishErrorCode.Malformed, `${req.sourceLabel}${line !== undefined ? `:${line}:${column ?? 1}` : ''}: ${msg}`, {
      ...(line !== undefined ? { line } : {}),
      ...(column !== undefined ? { column } : {}),
    }, { cause: err });
  }
}

function checkRoot(root: XmlElement, target: PublishTarget, label: string): void {
  const want = target.scope === 'fragment' ? 'fragment' : 'policies';
  if (root.name !== want) {
    throw new PublishError(PublishErrorCode.Malformed, `${label}: ${describeTarget(target)} takes a <${want}> document, not <${root.name}>`);
  }
}

export async function publishPolicy(store: PolicyStore, req: PublishRequest, options: PublishOptions): Promise<PublishResult> {
  const { codec, abortSignal } = options;
  const dryRun = options.dryRun === true;

  // 1. the local side: parse, right root, lint
  const local = parseLocal(codec, req);
  checkRoot(local, req.target, req.sourceLabel);
  const findings = [...(options.lint?.(local, req.target) ?? [])];
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0 && options.force !== true) {
    const list = errors.map((f) => `  ${req.sourceLabel}${f.line !== undefined ? `:${f.line}:${f.column ?? 1}` : ''} ${f.rule} ${f.message}`).join('\n');
    throw new PublishError(PublishErrorCode.LintErrors, `refusing to publish ${req.sourceLabel}: ${errors.length} lint error(s) (use --force to publish anyway)\n${list}`);
  }

  // 2. the service side: what is there now
  const current = await store.read(req.target, { abortSignal });
  let remote: { root: XmlElement; etag: string | undefined } | undefined;
  if (current !== undefined) {
    try {
      remote = { root: codec.parse(current.value), etag: current.etag };
    } catch (err) {
      throw new PublishError(PublishErrorCode.RemoteMalformed, `the policy of ${describeTarget(req.target)} in API Management cannot be parsed: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
    }
  }

  // 3. plan (pure)
  const plan = planPublish({
    target: req.target,
    local,
    remote,
    rendered: { raw: codec.write(local, 'raw'), xml: codec.write(local, 'xml') },
    sourceLabel: req.sourceLabel,
  });
  if (plan.action === 'unchanged') return { ...plan, applied: false, dryRun, findings };

  // 4. every {{named value}} must exist before APIM sees the policy
  if (plan.namedValues.length > 0) {
    const missing = missingNamedValues(plan.namedValues, await store.namedValues({ abortSignal }));
    if (missing.length > 0) {
      throw new PublishError(PublishErrorCode.MissingNamedValues, `${req.sourceLabel} references named values that the service does not define: ${missing.join(', ')}`, { missing });
    }
  }

  // 5. write, guarded by the ETag we compared against
  if (dryRun) return { ...plan, applied: false, dryRun, findings };
  await store.write(req.target, plan.value, plan.format, plan.ifMatch, { abortSignal });
  return { ...plan, applied: true, dryRun, findings };
}
