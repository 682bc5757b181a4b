/**
 * A line-based unified diff (the format `diff -u` and `git diff` print), for showing what a
 * publish would change. Policies are small, so a plain LCS table is fast enough and exact.
 */

export interface UnifiedDiffOptions {
  /** Label of the old side (`--- label`). */
  fromLabel: string;
  /** Label of the new side (`+++ label`). */
  toLabel: string;
  /** Unchanged lines shown around each change; default 3. */
  context?: number;
}

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

function lines(text: string): string[] {
  if (text === '') return [];
  const ls = text.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  return ls;
}

/** The edit script from a to b: every line of both, in order, marked kept / removed / added. */
function editScript(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  // lcs[i][j] = length of the LCS of am[i..] and bm[j..], in one flat array
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const ops: Op[] = [];
  for (let k = 0; k < pre; k++) ops.push({ kind: ' ', line: a[k]!, a: k, b: k });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && am[i] === bm[j]) {
      ops.push({ kind: ' ', line: am[i]!, a: pre + i, b: pre + j });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
      ops.push({ kind: '+', line: bm[j]!, a: pre + i, b: pre + j });
      j++;
    } else {
      ops.push({ kind: '-', line: am[i]!, a: pre + i, b: pre + j });
      i++;
    }
  }
  // removals first within a change block reads better: reorder each run of +/- as all - then all +
  const out: Op[] = [];
  for (let k = 0; k < ops.length; ) {
    if (ops[k]!.kind === ' ') {
      out.push(ops[k]!);
      k++;
      continue;
    }
    let e = k;
    while (e < ops.length && ops[e]!.kind !== ' ') e++;
    const run = ops.slice(k, e);
    out.push(...run.filter((o) => o.kind === '-'), ...run.filter((o) => o.kind === '+'));
    k = e;
  }
  for (let k = 0; k < suf; k++) {
    const ai = a.length - suf + k;
    const bi = b.length - suf + k;
    out.push({ kind: ' ', line: a[ai]!, a: ai, b: bi });
  }
  return out;
}

function range(start: number, count: number): string {
  // unified diff: 1-based start; an empty range names the line before it
  const s = count === 0 ? start : start + 1;
  return count === 1 ? `${s}` : `${s},${count}`;
}

/** The unified diff from `before` to `after`, or '' when their lines are equal. */
export function unifiedDiff(before: string, after: string, options: UnifiedDiffOptions): string {
  const context = options.context ?? 3;
  const ops = editScript(lines(before), lines(after));
  const changed = ops.map((o, k) => (o.kind !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  // group changes whose context windows touch into one hunk
  const hunks: Array<[number, number]> = [];
  for (const k of changed) {
    const lo = Math.max(0, k - context);
    const hi = Math.min(ops.length - 1, k + context);
    const last = hunks[hunks.length - 1];
    if (last && lo <= last[1] + 1) last[1] = hi;
    else hunks.push([lo, hi]);
  }
  const out = [`--- ${options.fromLabel}`, `+++ ${options.toLabel}`];
  for (const [lo, hi] of hunks) {
    const slice = ops.slice(lo, hi + 1);
    const first = slice[0]!;
    const aCount = slice.filter((o) => o.kind !== '+').length;
    const bCount = slice.filter((o) => o.kind !== '-').length;
    const aStart = slice.find((o) => o.kind !== '+')?.a ?? first.a;
    const bStart = slice.find((o) => o.kind !== '-')?.b ?? first.b;
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
  }
  return out.join('\n') + '\n';
}
