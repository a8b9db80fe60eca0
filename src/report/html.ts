// The self-contained report page (no network: KaTeX CSS and fonts inlined, plots as inline SVG):
// verdict banner, verdict tables, observable plots, residuals, C_theta heat maps, the model and its
// derived equations, run metadata.

import { katexCss, renderMath } from "../latex/katex.js";
import { isVector } from "../observables/names.js";
import type { FnName, ObservableName } from "../types.js";
import type { Verdict } from "../validate/index.js";
import { simulatedLabel } from "../validate/settings.js";
import { heatmaps } from "./heatmaps.js";
import { matrixPlot, observablePlot, residualPlot, SMALL, schedulePlot } from "./plots.js";
import { observableInfo, observablesOf, points, type SeriesDef, seriesOf } from "./series.js";
import { STYLE } from "./style.js";
import { esc, fmt, metadataHtml, verdictTable } from "./tables.js";

export interface PageExtras {
  versions: Record<string, string>;
  /** The command line that produced the report. */
  command?: string;
  /** KaTeX HTML of the DMFT system (from src/latex); omitted when unavailable. */
  equations?: string;
  /** Output files to list (relative names). */
  files: string[];
}

function banner(v: Verdict): string {
  const t = v.tables[0];
  const worst = Math.max(...t.rows.map((r) => r.worst));
  const maxZ = Math.max(...t.rows.map((r) => r.maxZ));
  const low = v.notes.find((n) => n.startsWith("Low power"));
  const disagree = t.rows.filter((r) => !r.pass && !r.problem).map((r) => observableInfo(r.name).inSentence);
  const uncompared = t.rows.filter((r) => r.problem).map((r) => r.problem as string);
  const text = v.pass
    ? `DMFT at step dt = ${v.settings.dt} agrees with the ${simulatedLabel(v.settings)} simulation at the same dt on all ${t.rows.length} observables`
    : [
        ...(disagree.length > 0
          ? [`DMFT and ${simulatedLabel(v.settings)} simulation disagree on ${disagree.join(", ")}`]
          : []),
        ...uncompared,
      ].join("; ");
  return `<div class="banner ${v.pass ? "pass" : "fail"}" id="verdict"><div class="big">${v.pass ? "PASS" : "FAIL"}</div>
  <div>${esc(text)}.<br><span class="sub">largest deviation ${fmt(maxZ, 3)} combined standard errors; tightest point uses
  ${(100 * worst).toFixed(0)}% of the allowance. Exit status ${v.pass ? 0 : 1}.${low ? `<br><b>${esc(low)}</b>` : ""}</span></div></div>`;
}

function legend(series: SeriesDef[]): string {
  const item = (s: SeriesDef) => {
    const glyph =
      s.kind === "theory"
        ? `<svg width="34" height="14"><rect x="0" y="2" width="34" height="10" fill="${s.band ? s.color : "none"}" fill-opacity="0.2"/><line x1="0" y1="7" x2="34" y2="7" stroke="${s.color}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="5,4"' : ""}/></svg>`
        : `<svg width="34" height="14"><line x1="17" y1="1" x2="17" y2="13" stroke="${s.color}"/>${
            s.symbol === "square"
              ? `<rect x="13.5" y="3.5" width="7" height="7" fill="${s.color}"/>`
              : `<circle cx="17" cy="7" r="3.5" fill="${s.color}"/>`
          }</svg>`;
    return `<span class="legend-item">${glyph} ${esc(s.label)}</span>`;
  };
  return `<div class="legend">${series.map(item).join("")}</div>`;
}

/** Non-finite points cannot be drawn: say which series, how many and where, instead of dropping them. */
export function nonFiniteNote(v: Verdict, name: ObservableName): string {
  const parts: string[] = [];
  for (const s of seriesOf(v)) {
    const bad = points(v.runs[s.key], name).filter(
      (p) => !Number.isFinite(p.value) || !Number.isFinite(p.se),
    );
    if (bad.length === 0) continue;
    const what = [
      ...new Set(bad.map((p) => (Number.isFinite(p.value) ? `SE ${p.se}` : String(p.value)))),
    ].join("/");
    parts.push(
      `${s.label}: ${what} at ${bad.length} time${bad.length > 1 ? "s" : ""} (t = ${bad[0].t}${bad.length > 1 ? ` to ${bad[bad.length - 1].t}` : ""})`,
    );
  }
  return parts.length === 0
    ? ""
    : `<p class="problem nonfinite">Not drawn, not finite: ${esc(parts.join("; "))}</p>`;
}

function figure(v: Verdict, name: ObservableName, svg: string): string {
  const info = observableInfo(name);
  return `<figure class="plot" data-plot="${name}">
  <figcaption><b>${esc(info.title)}</b> ${renderMath(info.tex, false)}</figcaption>
  ${svg}${nonFiniteNote(v, name)}</figure>`;
}

/** Vector models: Q and M in one panel each (DMFT(dt) and SGF), and one small panel per entry with every series. */
function matrixFigures(v: Verdict, overlaps: ObservableName[]): { panels: string; entries: string } {
  const panels = (["Q", "M"] as const)
    .map((matrix) => {
      const names = overlaps.filter((n) => n.startsWith(`${matrix}_`));
      if (names.length === 0) return "";
      const what =
        matrix === "Q"
          ? String.raw`Q(t) = \theta^{t\top} \theta^t / d`
          : String.raw`M(t) = \theta^{t\top} \theta^* / d`;
      return `<figure class="plot matrix" data-plot="${matrix}">
  <figcaption><b>${matrix === "Q" ? "Overlap matrix" : "Teacher overlap matrix"}</b> ${renderMath(what, false)}, entry by entry:
  lines DMFT (dt) with ±2 SE band, points ${esc(simulatedLabel(v.settings))} simulation ±2 SE</figcaption>
  ${matrixPlot(v, names)}</figure>`;
    })
    .join("\n");
  const entries = overlaps.map((n) => figure(v, n, observablePlot(v, n, SMALL))).join("\n");
  return { panels, entries };
}

/** The gating residuals: one panel for scalar models; losses, Q and M in separate panels for vector models. */
function residualFigures(v: Verdict, overlaps: ObservableName[]): string {
  const rows = v.tables[0].rows.map((r) => r.name);
  const groups: Array<[string, string, ObservableName[]]> =
    overlaps.length === 0
      ? [["residuals", "", rows]]
      : [
          ["residuals", " (losses)", rows.filter((n) => !overlaps.includes(n))],
          ["residuals-Q", " (entries of Q)", rows.filter((n) => n.startsWith("Q_"))],
          ["residuals-M", " (entries of M)", rows.filter((n) => n.startsWith("M_"))],
        ];
  return groups
    .filter(([, , names]) => names.length > 0)
    .map(
      ([
        id,
        what,
        names,
      ]) => `<figure class="plot" data-plot="${id}"><figcaption><b>Gating residuals${what}</b>
  (simulation − DMFT) / allowance per observable; dashed: ±1, the pass rule</figcaption>${residualPlot(v, names)}</figure>`,
    )
    .join("\n");
}

function plotsSection(v: Verdict): string {
  const names = observablesOf(v);
  const vector = isVector(v.model.k, v.model.kTeacher);
  const overlaps = vector ? names.filter((n) => /^[QM]_/.test(n)) : [];
  const matrix = matrixFigures(v, overlaps);
  const figures = names
    .filter((n) => !overlaps.includes(n))
    .map((name) => figure(v, name, observablePlot(v, name)))
    .join("\n");
  const entries = vector
    ? `<h3>Every entry of Q and M, with every series</h3>${legend(seriesOf(v))}
  <div class="plot-grid small">${matrix.entries}</div>`
    : "";
  const sched = schedulePlot(v);
  const schedFigure = sched
    ? `<figure class="plot schedule" data-plot="schedule"><figcaption><b>Schedules</b> ${esc(
        Object.entries(v.model.schedules ?? {})
          .map(([k, x]) => `${k}(t) = ${x}`)
          .join("; "),
      )}: the value at the left end of each step, as every solver and simulator applies it</figcaption>${sched}</figure>`
    : "";
  return `<section id="plots"><h2>Observables</h2>
  <p class="hint">Lines: theory; band: ±2 standard errors of the DMFT solver. Points: simulation means over seeds, bars ±2 standard errors.
  Time t is SGF time (one unit = d/η SGD steps).</p>
  ${schedFigure}${legend(seriesOf(v))}<div class="plot-grid">${figures}${matrix.panels}
  ${residualFigures(v, overlaps)}</div>${entries}</section>`;
}

function sgdSection(v: Verdict): string {
  if (v.tables.length < 2) return "";
  return `<section id="sgd"><h2>Real SGD against the continuum theory</h2>
  <p class="hint">SGF is the diffusion approximation of SGD, and the DMFT above is exact for the Euler-discretised SGF at step dt.
  Real SGD is compared here with the continuum limit (Richardson extrapolation from dt and dt/2) of the SGF theory and of the
  small-batch SGD-limit theory. Differences here are discretisation and diffusion-approximation error, real and shown; they do not
  change the verdict.</p>
  ${v.tables.slice(1).map(verdictTable).join("\n")}</section>`;
}

function heatmapSection(v: Verdict): string {
  const maps = heatmaps(v);
  if (!maps)
    return `<section id="kernels"><h2>Two-time correlation</h2><p>Not available in these runs.</p></section>`;
  const fig = (id: string, title: string, svg: string) =>
    svg ? `<figure class="plot heat" data-plot="${id}"><figcaption>${title}</figcaption>${svg}</figure>` : "";
  const rows = maps.map(
    (m, a) =>
      `${maps.length > 1 ? `<h3>${esc(m.label)}: unit ${a + 1} with itself</h3>` : ""}<div class="heat-row">${fig(
        `C_theta${m.id}-dmft`,
        `DMFT, step dt = ${v.settings.dt}`,
        m.dmft,
      )}${fig(`C_theta${m.id}-sgf`, `${simulatedLabel(v.settings)} simulation`, m.sim)}${fig(`C_theta${m.id}-diff`, "(simulation − DMFT) / SE", m.diff)}</div>`,
  );
  const title =
    maps.length > 1
      ? String.raw`C_\theta(t,s)_{aa} = \mathbb E\,\theta_a^t\theta_a^s`
      : String.raw`C_\theta(t,s) = \mathbb E\,\theta^t\theta^s`;
  const perEntry =
    maps.length > 1
      ? " One row per diagonal entry of the k × k kernel (unit a with itself at two times)."
      : "";
  return `<section id="kernels"><h2>Two-time correlation ${renderMath(title, false)}</h2>
  <p class="hint">Same colour scale for theory and simulation; the right panel is their difference in combined standard errors (clamped at ±4).${perEntry}</p>
  ${rows.join("\n")}</section>`;
}

const FN_TEX: Array<[FnName, string]> = [
  ["loss", "L(r; y)"],
  ["l", String.raw`\ell(r; y) = \partial_r L`],
  ["dl", String.raw`\partial_r \ell(r; y)`],
  ["label", String.raw`y = \varphi(w^*, \varepsilon)`],
  ["pen", String.raw`\mathrm{pen}(\theta)`],
  ["h", String.raw`h(\theta) = \mathrm{pen}'(\theta)`],
];

/** Vector models: the prediction, loss, gradient entries, Hessian entries (a <= b) and label in vector form. */
function vectorTex(v: Verdict): string[] {
  const f = v.derived.vector!;
  const k = v.model.k;
  const rows = [
    String.raw`\hat y(r) = ${f.latex.predict}`,
    `L(r; y) = ${f.latex.loss}`,
    ...f.latex.grad.map((g, a) => String.raw`\ell_{${a + 1}} = \partial_{r_{${a + 1}}} L = ${g}`),
  ];
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++)
      rows.push(
        `H_{${a + 1}${b + 1}}${a < b ? ` = H_{${b + 1}${a + 1}}` : ""} = \\partial_{r_{${a + 1}}} \\partial_{r_{${b + 1}}} L = ${f.latex.hess[a * k + b]}`,
      );
  rows.push(String.raw`y = \varphi(w^*, \varepsilon) = ${f.latex.label}`);
  return rows;
}

function modelSection(v: Verdict, equations?: string): string {
  const m = v.model;
  const tex = v.derived.vector
    ? [...vectorTex(v), ...FN_TEX.slice(4).map(([k, lhs]) => `${lhs} = ${v.derived.latex[k]}`)]
    : FN_TEX.map(([k, lhs]) => `${lhs} = ${v.derived.latex[k]}`);
  const fns = tex.map((x) => `<div class="eq">${renderMath(x, true)}</div>`).join("");
  const params = Object.entries(m.parameters)
    .map(([k, x]) =>
      m.schedules?.[k]
        ? `<tr><th>${esc(k)}(t)</th><td>${esc(m.schedules[k])}</td></tr>`
        : `<tr><th>${esc(k)}</th><td class="num">${esc(x)}</td></tr>`,
    )
    .join("");
  const widths = v.derived.vector ? [["width", `k = ${m.k} units, k_teacher = ${m.kTeacher}`]] : [];
  const source = [
    ...widths,
    ["activation", m.activation],
    ["loss", m.loss],
    ["label", m.label],
    ["penalty", m.penalty],
  ]
    .map(([k, x]) => `<tr><th>${k}</th><td><code>${esc(x)}</code></td></tr>`)
    .join("");
  return `<section id="model"><h2>Model: ${esc(m.name)}</h2><p>${esc(m.description)}</p>
  <div class="meta-grid"><div><h3>As declared</h3><table class="kv">${source}
  <tr><th>init</th><td>${m.initOverlap === 0 ? `θ⁰ ~ N(0, ${esc(m.initStd)}²)` : `θ⁰ = ${esc(m.initOverlap)} θ* + ${esc(m.initStd)} ξ, ξ ~ N(0, 1)`}</td></tr><tr><th>teacher</th><td>θ* ~ N(0, ${esc(m.teacherVariance)})</td></tr></table></div>
  <div><h3>Parameters</h3><table class="kv">${params}</table></div></div>
  <h3>Derived (symbolic; checks passed: ${v.derived.checks.length})</h3><div class="eq-grid">${fns}</div>
  ${
    equations
      ? `<details class="equations"><summary>The DMFT system of this model (as written by <code>dmftkit derive</code>)</summary>${equations}</details>`
      : ""
  }
  <p class="hint">The full system as LaTeX: <a href="equations.tex">equations.tex</a>.</p></section>`;
}

export function renderPage(v: Verdict, extras: PageExtras): string {
  const files = extras.files.map((f) => `<li><a href="${esc(f)}">${esc(f)}</a></li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dmftkit validation — ${esc(v.model.name)}</title>
<style>${katexCss()}</style><style>${STYLE}</style></head>
<body><main>
<header><p class="kicker">dmftkit validation report</p><h1>${esc(v.model.name)}</h1></header>
${banner(v)}
<section id="tables"><h2>Verdict</h2>${verdictTable(v.tables[0])}
${v.notes.map((n) => `<p class="note">${esc(n)}</p>`).join("")}</section>
${plotsSection(v)}
${sgdSection(v)}
${heatmapSection(v)}
${modelSection(v, extras.equations)}
<section id="metadata"><h2>Run</h2>${metadataHtml(v, extras.versions, extras.command)}
<h3>Files</h3><ul class="files">${files}</ul></section>
</main></body></html>
`;
}
