// The self-contained report page (no network: KaTeX CSS and fonts inlined, plots as inline SVG):
// verdict banner, verdict tables, observable plots, residuals, C_theta heat maps, the model and its
// derived equations, run metadata.

import { katexCss, renderMath } from "../latex/katex.js";
import type { FnName } from "../types.js";
import type { Verdict } from "../validate/index.js";
import { heatmaps, observablePlot, residualPlot } from "./plots.js";
import { OBSERVABLES, observablesOf, type SeriesDef, seriesOf } from "./series.js";
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
  const failed = t.rows.filter((r) => !r.pass).map((r) => OBSERVABLES[r.name].title.toLowerCase());
  const worst = Math.max(...t.rows.map((r) => r.worst));
  const maxZ = Math.max(...t.rows.map((r) => r.maxZ));
  const text = v.pass
    ? `DMFT at step dt = ${v.settings.dt} agrees with the SGF simulation at the same dt on all ${t.rows.length} observables`
    : `DMFT and SGF simulation disagree on ${failed.join(", ")}`;
  return `<div class="banner ${v.pass ? "pass" : "fail"}" id="verdict"><div class="big">${v.pass ? "PASS" : "FAIL"}</div>
  <div>${esc(text)}.<br><span class="sub">largest deviation ${fmt(maxZ, 3)} combined standard errors; tightest point uses
  ${(100 * worst).toFixed(0)}% of the allowance. Exit status ${v.pass ? 0 : 1}.</span></div></div>`;
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

function plotsSection(v: Verdict): string {
  const figures = observablesOf(v)
    .map(
      (name) => `<figure class="plot" data-plot="${name}">
  <figcaption><b>${esc(OBSERVABLES[name].title)}</b> ${renderMath(OBSERVABLES[name].tex, false)}</figcaption>
  ${observablePlot(v, name)}</figure>`,
    )
    .join("\n");
  return `<section id="plots"><h2>Observables</h2>
  <p class="hint">Lines: theory; band: ±2 standard errors of the DMFT solver. Points: simulation means over seeds, bars ±2 standard errors.
  Time t is SGF time (one unit = d/η SGD steps).</p>
  ${legend(seriesOf(v))}<div class="plot-grid">${figures}
  <figure class="plot" data-plot="residuals"><figcaption><b>Gating residuals</b> (SGF − DMFT) / SE per observable;
  dashed: ±${v.tables[0].rule.nSigma}</figcaption>${residualPlot(v)}</figure></div></section>`;
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
  return `<section id="kernels"><h2>Two-time correlation ${renderMath(String.raw`C_\theta(t,s) = \mathbb E\,\theta^t\theta^s`, false)}</h2>
  <p class="hint">Same colour scale for theory and simulation; the right panel is their difference in combined standard errors (clamped at ±4).</p>
  <div class="heat-row">${fig("C_theta-dmft", `DMFT, step dt = ${v.settings.dt}`, maps.dmft)}${fig("C_theta-sgf", "SGF simulation", maps.sim)}${fig(
    "C_theta-diff",
    "(SGF − DMFT) / SE",
    maps.diff,
  )}</div></section>`;
}

const FN_TEX: Array<[FnName, string]> = [
  ["loss", "L(r; y)"],
  ["l", String.raw`\ell(r; y) = \partial_r L`],
  ["dl", String.raw`\partial_r \ell(r; y)`],
  ["label", String.raw`y = \varphi(w^*, \varepsilon)`],
  ["pen", String.raw`\mathrm{pen}(\theta)`],
  ["h", String.raw`h(\theta) = \mathrm{pen}'(\theta)`],
];

function modelSection(v: Verdict, equations?: string): string {
  const m = v.model;
  const fns = FN_TEX.map(
    ([k, lhs]) => `<div class="eq">${renderMath(`${lhs} = ${v.derived.latex[k]}`, true)}</div>`,
  ).join("");
  const params = Object.entries(m.parameters)
    .map(([k, x]) => `<tr><th>${esc(k)}</th><td class="num">${esc(x)}</td></tr>`)
    .join("");
  const source = [
    ["activation", m.activation],
    ["loss", m.loss],
    ["label", m.label],
    ["penalty", m.penalty],
  ]
    .map(([k, x]) => `<tr><th>${k}</th><td><code>${esc(x)}</code></td></tr>`)
    .join("");
  return `<section id="model"><h2>Model: ${esc(m.name)}</h2><p>${esc(m.description)}</p>
  <div class="meta-grid"><div><h3>As declared</h3><table class="kv">${source}
  <tr><th>init</th><td>θ⁰ ~ N(0, ${esc(m.initStd)}²)</td></tr><tr><th>teacher</th><td>θ* ~ N(0, ${esc(m.teacherVariance)})</td></tr></table></div>
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
