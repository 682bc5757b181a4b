/**
 * Printing a plan and an apply result, as text (one line per resource, a unified diff per
 * changed policy) or as JSON. The printers read named fields only — never a write body — so no
 * secret value reaches the output.
 */
import type { ApplyResult } from './apply.js';
import type { EstatePlan, PlanItem } from './plan.js';

function line(i: PlanItem): string {
  const what = i.changed && i.changed.length > 0 ? ` (${i.changed.join(', ')})` : '';
  return `${i.action.padEnd(9)} ${i.label}${what}`;
}

export function planText(plan: EstatePlan): string {
  const out: string[] = [];
  for (const i of plan.items) {
    out.push(line(i));
    for (const f of i.findings) out.push(`          ${f.severity} ${f.rule}${f.line !== undefined ? ` (${i.file}:${f.line})` : ''}: ${f.message}`);
  }
  for (const k of plan.kept) out.push(`kept      ${k.label} (not in the folder; --prune deletes it)`);
  const diffs = plan.items.filter((i) => i.diff !== '');
  if (diffs.length > 0) out.push('', ...diffs.map((i) => i.diff.trimEnd()));
  out.push('', summary(plan));
  return out.join('\n') + '\n';
}

export function summary(plan: EstatePlan): string {
  const n = (a: string) => plan.items.filter((i) => i.action === a).length;
  return `plan: ${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('unchanged')} unchanged`;
}

export function itemJson(i: PlanItem): Record<string, unknown> {
  return {
    kind: i.kind,
    path: i.path,
    label: i.label,
    action: i.action,
    ...(i.file !== undefined ? { file: i.file } : {}),
    ...(i.changed ? { changed: i.changed } : {}),
    diff: i.diff,
    findings: i.findings,
  };
}

export function planJson(plan: EstatePlan): Record<string, unknown> {
  return { items: plan.items.map(itemJson), kept: plan.kept };
}

export function applyText(r: ApplyResult): string {
  const out = r.applied.map((i) => `applied   ${i.action} ${i.label}`);
  if (r.failure) {
    out.push(`FAILED    ${r.failure.item.action} ${r.failure.item.label}: ${r.failure.error.message}`);
    for (const i of r.notApplied.slice(1)) out.push(`not applied ${i.action} ${i.label}`);
  }
  out.push(`applied ${r.applied.length}, not applied ${r.notApplied.length}`);
  return out.join('\n') + '\n';
}

export function applyJson(r: ApplyResult): Record<string, unknown> {
  return {
    applied: r.applied.map((i) => ({ action: i.action, path: i.path, label: i.label })),
    notApplied: r.notApplied.map((i) => ({ action: i.action, path: i.path, label: i.label })),
    ...(r.failure ? { failure: { path: r.failure.item.path, code: r.failure.error.code, message: r.failure.error.message, ...r.failure.error.details } } : {}),
  };
}
