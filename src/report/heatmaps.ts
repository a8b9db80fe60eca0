// C_theta(t, s) heat maps of the report (DMFT, SGF simulation, their difference in standard errors).
// Scalar models: one row of three maps. Vector models (kernels of shape [N1, N1, k, k]): one row per
// diagonal entry (C_theta)_aa(t, s) = E theta_a^t theta_a^s, so that the difference map keeps exact
// per-entry standard errors.
import * as Plot from "@observablehq/plot";
import type { Result } from "../types.js";
import { zScore } from "../validate/compare.js";
import type { Verdict } from "../validate/index.js";
import { clampZ, render } from "./plots.js";
import { subscript } from "./series.js";

/** A cell at recorded times (t, s), spanning halfway to the neighbouring kept times (any grid spacing). */
interface Cell {
  t0: number;
  t1: number;
  s0: number;
  s1: number;
  v: number;
}

type Kernel = NonNullable<Result["kernels"]>[string];

const MAX_CELLS = 80;

/** Keep every thin(n)-th time so that a heat map has at most MAX_CELLS rows and columns. */
function thin(n: number): number {
  return Math.max(1, Math.ceil(n / MAX_CELLS));
}

/** Flat index of entry (a, a) of block (i, j) in a [N1, N1] or [N1, N1, k, k] kernel. */
function index(kernel: Kernel, i: number, j: number, a: number): number {
  const n = kernel.shape[0];
  const k = kernel.shape[2] ?? 1;
  return ((i * n + j) * k + a) * k + a;
}

/** Entry (a, a) of a kernel on grid t as heat-map cells, thinned (see thin). */
function cells(t: number[], n: number, value: (i: number, j: number) => number): Cell[] {
  const step = thin(n);
  const kept: number[] = [];
  for (let i = 0; i < n; i += step) kept.push(i);
  // Extent of kept time number m: halfway to its neighbours (a uniform grid gives equal cells).
  const edge = (m: number, side: -1 | 1) => {
    const o = kept[m + side];
    if (o !== undefined) return (t[kept[m]] + t[o]) / 2;
    const p = kept[m - side];
    return p === undefined ? t[kept[m]] + side * 0.5 : t[kept[m]] + (t[kept[m]] - t[p]) / 2;
  };
  const out: Cell[] = [];
  kept.forEach((i, a) => {
    kept.forEach((j, b) => {
      out.push({ t0: edge(a, -1), t1: edge(a, 1), s0: edge(b, -1), s1: edge(b, 1), v: value(i, j) });
    });
  });
  return out;
}

function heatmap(id: string, data: Cell[], color: Plot.ScaleOptions, label: string): string {
  return colorMap(id, label, color, {
    width: 320,
    height: 300,
    marginLeft: 44,
    marginBottom: 36,
    x: { label: "s →", labelAnchor: "right" },
    y: { label: "↑ t" },
    marks: [
      Plot.rect(data, {
        x1: "s0",
        x2: "s1",
        y1: "t0",
        y2: "t1",
        fill: "v",
        shapeRendering: "crispEdges",
      }),
    ],
  });
}

/** A plot coloured by `color` (11 px text) followed by its colour-bar legend: heat maps here and in sweeps. */
export function colorMap(
  id: string,
  label: string,
  color: Plot.ScaleOptions,
  options: Plot.PlotOptions,
): string {
  return render({ style: { fontSize: "11px" }, ...options, color }) + rampLegend(id, color, label);
}

/** A colour-bar legend drawn as SVG (Plot's own continuous legend needs a canvas). */
function rampLegend(id: string, color: Plot.ScaleOptions, label: string): string {
  const scale = Plot.scale({ color });
  const [a, b] = color.domain as number[];
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const stops = Array.from({ length: 17 }, (_, i) => {
    const x = lo + ((hi - lo) * i) / 16;
    return `<stop offset="${(100 * i) / 16}%" stop-color="${scale.apply(x)}"/>`;
  }).join("");
  const tick = (x: number, anchor: string, pos: number) =>
    `<text x="${pos}" y="38" text-anchor="${anchor}">${Number(x.toPrecision(3))}</text>`;
  return `<svg class="ramp" width="260" height="44" font-size="11" font-family="system-ui, sans-serif">
<defs><linearGradient id="ramp-${id}">${stops}</linearGradient></defs>
<text x="10" y="11">${label}</text><rect x="10" y="16" width="240" height="10" fill="url(#ramp-${id})"/>
${tick(lo, "start", 10)}${tick((lo + hi) / 2, "middle", 130)}${tick(hi, "end", 250)}</svg>`;
}

export interface Heatmaps {
  /** "" for scalar models, "_a_a" (1-based) for entry (a, a) of a vector model: suffix of ids. */
  id: string;
  /** Plain-text name of the kernel shown, e.g. "C_θ(t,s)" or "(C_θ)₁₁(t,s)". */
  label: string;
  dmft: string;
  sim: string;
  diff: string;
}

function diverging(limit: number): Plot.ScaleOptions {
  return { type: "linear", scheme: "rdbu", domain: [limit, -limit], clamp: true };
}

function entryMaps(v: Verdict, a: number, vector: boolean): Heatmaps {
  const { dmft, sgf } = v.runs;
  const A = dmft.kernels!.C_theta;
  const B = sgf.kernels!.C_theta;
  const id = vector ? `_${a + 1}_${a + 1}` : "";
  const label = vector ? `(C_θ)${subscript(a + 1, a + 1)}(t,s)` : "C_θ(t,s)";
  const ca = cells(dmft.t, A.shape[0], (i, j) => A.data[index(A, i, j, a)]);
  const cb = cells(sgf.t, B.shape[0], (i, j) => B.data[index(B, i, j, a)]);
  const all = [...ca, ...cb].map((c) => c.v);
  const shared: Plot.ScaleOptions = {
    type: "linear",
    scheme: "viridis",
    domain: [Math.min(...all), Math.max(...all)],
  };
  let diff = "";
  if (A.shape[0] === B.shape[0]) {
    const z = (i: number, j: number) => {
      const ia = index(A, i, j, a);
      const ib = index(B, i, j, a);
      return clampZ(zScore(A.data[ia], A.stderr?.[ia] ?? 0, B.data[ib], B.stderr?.[ib] ?? 0));
    };
    diff = heatmap(`diff${id}`, cells(dmft.t, A.shape[0], z), diverging(4), "(SGF − DMFT) / SE");
  }
  return {
    id,
    label,
    dmft: heatmap(`dmft${id}`, ca, shared, label),
    sim: heatmap(`sim${id}`, cb, shared, label),
    diff,
  };
}

/**
 * C_theta(t, s) from the DMFT and from the SGF simulation on a shared colour scale, and their difference
 * in SE: one set for scalar models, one per diagonal entry for vector models; null without both kernels.
 */
export function heatmaps(v: Verdict): Heatmaps[] | null {
  const a = v.runs.dmft.kernels?.C_theta;
  const b = v.runs.sgf.kernels?.C_theta;
  if (!a || !b || a.shape[0] !== v.runs.dmft.t.length || b.shape[0] !== v.runs.sgf.t.length) return null;
  const k = a.shape[2] ?? 1;
  if ((b.shape[2] ?? 1) !== k) return null;
  const vector = a.shape.length === 4;
  return Array.from({ length: k }, (_, e) => entryMaps(v, e, vector));
}
