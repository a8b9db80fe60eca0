// The console summary `dmftkit validate` prints on stderr after writing the report.
import { join } from "node:path";
import { ALPHA } from "../validate/compare.js";
import type { ComparisonTable, Verdict } from "../validate/index.js";
import { simulatedLabel, solverLabel } from "../validate/settings.js";
import { fmt } from "./tables.js";

/** "4 SE" for a fixed rule; else the t/Šidák critical value in words. */
function ruleText(t: ComparisonTable): string {
  return t.rule.nSigma !== undefined
    ? `${t.rule.nSigma} SE`
    : `c SE (c: Student t quantile, Šidák level over ${t.comparisons} comparisons, false-alarm rate <= ${(t.rule.alpha ?? ALPHA) * 100}%)`;
}

/** The verdict in a few lines: the gating rows, the informative tables in one line each, notes, files, time. */
export function consoleSummary(v: Verdict, out: string, seconds: number): string {
  const s = v.settings;
  const gating = v.tables[0];
  const lines = [
    `${v.model.name}: ${v.pass ? "PASS" : "FAIL"} — DMFT (dt = ${s.dt}, ${solverLabel(v)}) vs ${simulatedLabel(s)} simulation (d = ${s.d}, ${s.seeds} seeds)`,
    `  rule: |sim - theory| <= ${ruleText(gating)} + ${gating.rule.relative * 100}% |theory| at every recorded time`,
  ];
  for (const r of gating.rows) {
    const detail =
      r.problem ??
      `max ${fmt(r.maxZ, 3)} SE, ${(100 * r.worst).toFixed(0)}% of the allowance (c = ${fmt(r.critical, 3)})`;
    lines.push(`  ${r.name.padEnd(11)} ${detail.padEnd(40)} ${r.pass ? "pass" : "FAIL"}`);
  }
  for (const t of v.tables.slice(1)) {
    const ok = t.rows.filter((r) => r.pass).length;
    lines.push(`  (not gating) ${t.theoryLabel} vs SGD: ${ok}/${t.rows.length} observables within the rule`);
  }
  for (const note of v.notes) lines.push(`  note: ${note}`);
  lines.push(`report: ${join(out, "index.html")}`, `total time ${seconds.toFixed(1)} s`);
  return lines.join("\n");
}
