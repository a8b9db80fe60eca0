// HTML tables of the report: the verdict tables (one row per observable, with the rule used) and the run
// metadata (settings, seeds, versions, timings). All text from the model file is escaped.

import { renderMath } from "../latex/katex.js";
import { ALPHA } from "../validate/compare.js";
import type { ComparisonTable, Verdict } from "../validate/index.js";
import { type StageName, solverLabel, stageLabel } from "../validate/settings.js";
import { observableInfo } from "./series.js";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A number for a table cell: 4 significant digits, plain notation for moderate magnitudes. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "—" : x > 0 ? "∞" : "−∞";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(digits))).replaceAll("-", "−");
  return x.toExponential(digits - 1).replaceAll("-", "−");
}

/** The rule of a table in words and as a formula. */
export function ruleHtml(table: ComparisonTable): string {
  const { nSigma, relative } = table.rule;
  const alpha = table.rule.alpha ?? ALPHA;
  const rel = String.raw`${relative * 100}\%\,\big|x_{\rm th}(t_k)\big|`;
  const se = String.raw`\sqrt{\mathrm{SE}_{\rm th}(t_k)^2 + \mathrm{SE}_{\rm sim}(t_k)^2}`;
  const lhs = String.raw`\big|\bar x_{\rm sim}(t_k) - x_{\rm th}(t_k)\big|`;
  if (nSigma !== undefined) {
    const tex = String.raw`${lhs} \le ${nSigma}${se} + ${rel} \quad \text{at every recorded } t_k`;
    return `<div class="rule"><span class="rule-label">Pass rule</span> ${renderMath(tex, false)}</div>`;
  }
  const tex = String.raw`${lhs} \le c_k${se} + ${rel}, \quad c_k = t^{-1}_{\nu_k}\!\left(1 - \tfrac{p}{2}\right),\ p = 1 - (1 - ${alpha})^{1/${table.comparisons}}`;
  const words = `at every recorded time; c<sub>k</sub> is the Student t quantile with ν<sub>k</sub> degrees of freedom
  (Welch–Satterthwaite from seeds − 1 and solver groups − 1) at the Šidák level p for the table's ${table.comparisons}
  comparisons, so that a correct theory fails the whole table with probability at most ${alpha * 100}%`;
  return `<div class="rule"><span class="rule-label">Pass rule</span> ${renderMath(tex, false)} <span class="rule-words">${words}</span></div>`;
}

export function verdictTable(table: ComparisonTable): string {
  const rows = table.rows
    .map((r) => {
      const cls = r.pass ? "pass" : "fail";
      const mark = r.pass ? "✓ pass" : "✗ FAIL";
      const detail = r.problem
        ? `<td colspan="7" class="problem">${esc(r.problem)}</td>`
        : `<td class="num">${fmt(r.maxZ, 3)} <span class="at">(t = ${fmt(r.tMaxZ)})</span></td>
          <td class="num">${fmt(r.tWorst)}</td><td class="num">${fmt(r.theory)}</td><td class="num">${fmt(r.sim)}</td>
          <td class="num">${fmt(r.diff, 3)} / ${fmt(r.allowed, 3)}</td>
          <td class="num">${fmt(r.critical, 3)} <span class="at">(ν = ${fmt(r.dof, 3)})</span></td>
          <td class="num"><span class="meter"><span style="width:${Math.min(100, 100 * r.worst).toFixed(1)}%"></span></span> ${(100 * r.worst).toFixed(0)}%</td>`;
      return `<tr class="${cls}"><th scope="row">${esc(observableInfo(r.name).title)} <code>${r.name}</code></th>
        <td class="num">${r.points}</td>${detail}<td class="verdict ${cls}">${mark}</td></tr>`;
    })
    .join("\n");
  const badge = table.gating
    ? `<span class="badge gating">gating: decides the verdict and exit status</span>`
    : `<span class="badge info">informative, not gating</span>`;
  return `<section class="table-block ${table.gating ? "gating" : "informative"}" data-table="${esc(table.id)}">
  <h3>${esc(table.title)} ${badge}</h3>
  <p class="versus">theory: <b>${esc(table.theoryLabel)}</b> &nbsp;·&nbsp; simulation: <b>${esc(table.simLabel)}</b></p>
  ${ruleHtml(table)}
  <table class="verdict-table">
    <thead><tr><th rowspan="2">observable</th><th rowspan="2">times</th><th rowspan="2">max |Δ| / SE</th>
    <th colspan="6" class="group">tightest time (largest share of the allowance)</th><th rowspan="2">result</th></tr>
    <tr><th>t</th><th>theory</th><th>simulation</th><th>Δ / allowed</th><th>c (SE units)</th><th>allowance used</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</section>`;
}

function kv(rows: Array<[string, unknown]>): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
}

/** Settings, seeds, versions, timings and the raw metadata of every run. */
export function metadataHtml(v: Verdict, versions: Record<string, string>, command?: string): string {
  const s = v.settings;
  const settings = kv([
    ["command", command ?? "(library call)"],
    ["model file", v.model.source],
    ["time grid", `dt = ${s.dt}, T = ${s.T}, N = ${Math.round(s.T / s.dt)} steps`],
    ["simulations", `d = ${s.d}, n = round(δ d), ${s.seeds} independent seeds`],
    [
      "SGD",
      v.model.schedules?.tau
        ? `batch B = ${s.batch}, learning rate η_k = τ(t_k) B per step, τ(t) = ${v.model.schedules.tau}`
        : `batch B = ${s.batch}, learning rate η = τ B = ${v.model.parameters.tau * s.batch}`,
    ],
    ["DMFT solver", solverLabel(v)],
    ["seed", `${s.seed} (every stage; streams are keyed by stage, seed index and purpose)`],
    ["preset", s.quick ? "--quick" : "full"],
  ]);
  const stages = (Object.keys(v.timings) as Array<StageName | "total">).map(
    (k) =>
      [k === "total" ? "total" : stageLabel(k, v.settings), `${(v.timings[k] ?? 0).toFixed(1)} s`] as [
        string,
        string,
      ],
  );
  const runs = Object.entries(v.runs)
    .map(
      ([key, run]) =>
        `<details><summary>${esc(key)} — meta</summary><pre>${esc(JSON.stringify(run?.meta, null, 2))}</pre></details>`,
    )
    .join("\n");
  return `<div class="meta-grid"><div><h3>Settings</h3>${settings}</div>
  <div><h3>Timings</h3>${kv(stages)}<h3>Versions</h3>${kv(Object.entries(versions))}</div></div>
  <h3>Raw metadata of each run</h3>${runs}`;
}
