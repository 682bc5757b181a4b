/** Verify cases: claims → expected visible rows per table, expected allowed or blocked writes. Validated with zod. */
import { z } from 'zod';
import { RlsError } from './errors.js';
import { formatIssues, issuesOf, loadDocument } from './spec/load.js';

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const columns = z.record(z.string().min(1), value).refine((r) => Object.keys(r).length > 0, 'must name at least one column');
/** `schema.table` of a protected (or granted) table */
const tableName = z.string().regex(/^[^.]+\.[^.]+$/, 'must be "schema.table"');
const outcome = z.enum(['allowed', 'blocked']);

export const writeProbeSchema = z.discriminatedUnion('op', [
  z.strictObject({ name: z.string().optional(), op: z.literal('insert'), table: tableName, values: columns, expect: outcome }),
  z.strictObject({ name: z.string().optional(), op: z.literal('update'), table: tableName, set: columns, where: columns, expect: outcome }),
  z.strictObject({ name: z.string().optional(), op: z.literal('delete'), table: tableName, where: columns, expect: outcome }),
]);
export type WriteProbe = z.output<typeof writeProbeSchema>;

export const verifyCaseSchema = z.strictObject({
  name: z.string().min(1),
  /** the verified token's claims (mapped to session keys through the spec); `{}` = no keys at all */
  claims: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  /** expected number of visible rows per `schema.table` */
  rows: z.record(tableName, z.number().int().min(0)).default({}),
  writes: z.array(writeProbeSchema).default([]),
});
export type VerifyCase = z.output<typeof verifyCaseSchema>;
export type VerifyCaseInput = z.input<typeof verifyCaseSchema>;

export const verifyCasesSchema = z.strictObject({ cases: z.array(verifyCaseSchema).min(1) });
export type VerifyCases = z.output<typeof verifyCasesSchema>;

export function parseCases(input: unknown, source = 'cases'): VerifyCases {
  const r = verifyCasesSchema.safeParse(input);
  if (!r.success) {
    const issues = issuesOf(r.error);
    throw new RlsError('RLS_SPEC_INVALID', `invalid verify cases ${source}:\n${formatIssues(issues)}`, issues);
  }
  return r.data;
}

/** Loads a cases file (.json/.yaml/.ts exporting `default` or `cases`: either `{ cases: [...] }` or the array). */
export async function loadCases(file: string): Promise<VerifyCases> {
  const doc = await loadDocument(file, 'cases');
  return parseCases(Array.isArray(doc) ? { cases: doc } : doc, file);
}
