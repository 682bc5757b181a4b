/**
 * Applying a plan: one write at a time, in the plan's order, each guarded — `If-None-Match: *`
 * on create (a resource created concurrently is not overwritten), `If-Match` with the ETag read on
 * update and delete (412 is a concurrent change). The first failure stops the run; the result
 * says exactly which changes were applied and which were not, so the report is exact and a
 * re-run (which re-reads and re-plans) converges.
 */
import type { ArmResourceClient, CallOptions } from './arm-client.js';
import { EstateError, EstateErrorCode } from './errors.js';
import type { EstatePlan, PlanItem } from './plan.js';

export interface ApplyResult {
  applied: PlanItem[];
  /** Changes not made: the failed one first, then the ones after it. */
  notApplied: PlanItem[];
  failure?: { item: PlanItem; error: EstateError };
}

export function pendingChanges(plan: EstatePlan): PlanItem[] {
  return plan.items.filter((i) => i.action !== 'unchanged');
}

export async function applyPlan(arm: ArmResourceClient, plan: EstatePlan, o: CallOptions = {}): Promise<ApplyResult> {
  const changes = pendingChanges(plan);
  const applied: PlanItem[] = [];
  for (const [i, item] of changes.entries()) {
    try {
      // ARM returns an ETag for every entity read; '*' only if it did not (still an update, never a blind create)
      if (item.action === 'create') await arm.put(item.path, item.body, { ifNoneMatch: '*' }, o);
      else if (item.action === 'update') await arm.put(item.path, item.body, { ifMatch: item.etag ?? '*' }, o);
      else await arm.delete(item.path, item.etag ?? '*', o);
      applied.push(item);
    } catch (err) {
      const error = err instanceof EstateError ? err : new EstateError(EstateErrorCode.Arm, `${item.label}: ${err instanceof Error ? err.message : String(err)}`);
      return { applied, notApplied: changes.slice(i), failure: { item, error } };
    }
  }
  return { applied, notApplied: [] };
}
