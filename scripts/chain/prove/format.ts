/** The proof as text: one line per check, then each mismatch with its layer and the evidence of its case. */
import type { ProveReport, ProveRow } from './types.js';

const mark: Record<ProveRow['outcome'], string> = { agree: 'ok', mismatch: 'MISMATCH', unreachable: 'not reachable', refused: 'refused by gateway' };

export function formatProveReport(report: ProveReport): string {
  const head = ['case', 'check', 'operation', 'truth', 'api', ''];
  const body = report.rows.map((r) => [r.case, `${r.kind} ${r.subject}`, r.operation, r.truth, r.api, r.layer && r.outcome === 'mismatch' ? `${mark[r.outcome]} (${r.layer})` : mark[r.outcome]]);
  const cap = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => cap(b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => cap(c).padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const lines = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  const mismatches = report.rows.filter((r) => r.outcome === 'mismatch');
  if (mismatches.length > 0) {
    lines.push('', 'mismatches:');
    for (const name of [...new Set(mismatches.map((m) => m.case))]) {
      lines.push(`- ${name}`);
      for (const m of mismatches.filter((x) => x.case === name)) {
        lines.push(`    ${m.kind} ${m.subject}${m.operation ? ` (${m.operation})` : ''}: truth ${m.truth}, api ${m.api} — ${m.layer ?? '?'} layer${m.detail ? `: ${m.detail}` : ''}`);
      }
      const ev = report.cases.find((c) => c.case === name);
      if (ev?.forwarded) lines.push(`    forwarded by the gateway: ${JSON.stringify(ev.forwarded.headers)}; Authorization: ${ev.forwarded.authorization}`);
      if (ev?.sessionKeys) lines.push(`    session keys in the database (GET /me): ${JSON.stringify(ev.sessionKeys)}`);
    }
  }
  const c = report.counts;
  lines.push('', `${report.rows.length} checks: ${c.agree} agree, ${c.mismatch} mismatch, ${c.unreachable} not reachable through the API, ${c.refused} refused by the gateway`);
  return `${lines.join('\n')}\n`;
}
