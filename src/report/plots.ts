// SVG plots of the report, rendered in Node with @observablehq/plot on a linkedom document (no browser):
// observable curves (theory lines with ±2 SE bands, simulation points with ±2 SE bars), the gating
// residuals in standard-error units, and C_theta(t, s) heat maps (DMFT, simulation, difference).
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import type { ObservableName, Result } from "../types.js";
import { zScore } from "../validate/compare.js";
import type { Verdict } from "../validate/index.js";
import { OBSERVABLES, points, seriesOf } from "./series.js";

const WIDTH = 460;
const HEIGHT = 290;

function render(options: Plot.PlotOptions): string {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  const node = Plot.plot({ ...options, document } as Plot.PlotOptions) as unknown as { outerHTML: string };
  return node.outerHTML;
}

/** One observable vs t: every series of the verdict, with its error band or bars. */
export function observablePlot(v: Verdict, name: ObservableName): string {
  const marks: Plot.Markish[] = [Plot.gridY({ strokeOpacity: 0.08 })];
  for (const s of seriesOf(v)) {
    const pts = points(v.runs[s.key], name);
    if (pts.length === 0) continue;
    const data = pts.map((p) => ({ t: p.t, y: p.value, lo: p.value - 2 * p.se, hi: p.value + 2 * p.se }));
    if (s.kind === "theory") {
      if (s.band)
        marks.push(Plot.areaY(data, { x: "t", y1: "lo", y2: "hi", fill: s.color, fillOpacity: 0.2 }));
      marks.push(
        Plot.lineY(data, {
          x: "t",
          y: "y",
          stroke: s.color,
          strokeWidth: s.dashed ? 1.4 : 2,
          strokeDasharray: s.dashed ? "5,4" : undefined,
        }),
      );
    } else {
      marks.push(Plot.ruleX(data, { x: "t", y1: "lo", y2: "hi", stroke: s.color, strokeWidth: 1.2 }));
      marks.push(
        Plot.dot(data, {
          x: "t",
          y: "y",
          symbol: s.symbol,
          r: 2.6,
          fill: s.color,
          stroke: "white",
          strokeWidth: 0.6,
        }),
      );
    }
  }
  return render({
    width: WIDTH,
    height: HEIGHT,
    marginLeft: 56,
    style: { fontSize: "11px" },
    x: { label: "time t →", labelAnchor: "right" },
    y: { label: `↑ ${OBSERVABLES[name].axis}`, nice: true },
    marks,
  });
}

/** z-scores beyond ±12 are drawn at ±12 (the tables give the exact values). */
function clampZ(z: number): number {
  return Math.max(-12, Math.min(12, z));
}

/** (sim - theory) / combined SE vs t for every observable of the gating comparison, with the ±nSigma lines. */
export function residualPlot(v: Verdict): string {
  const { dmft, sgf } = v.runs;
  const table = v.tables[0];
  const data: Array<{ t: number; z: number; name: string }> = [];
  for (const row of table.rows) {
    const th = points(dmft, row.name);
    const sim = points(sgf, row.name);
    sim.forEach((p, k) => {
      const q = th[k];
      if (!q || Math.abs(q.t - p.t) > 1e-9 * Math.max(1, p.t)) return;
      const z = zScore(q.value, q.se, p.value, p.se);
      if (!Number.isNaN(z)) data.push({ t: p.t, z: clampZ(z), name: OBSERVABLES[row.name].title });
    });
  }
  const n = table.rule.nSigma;
  return render({
    width: WIDTH,
    height: HEIGHT,
    marginLeft: 56,
    style: { fontSize: "11px" },
    x: { label: "time t →", labelAnchor: "right" },
    y: {
      label: "↑ (SGF − DMFT) / SE",
      domain: [
        -Math.max(n + 1, ...data.map((d) => Math.abs(d.z))),
        Math.max(n + 1, ...data.map((d) => Math.abs(d.z))),
      ],
    },
    color: { legend: true, scheme: "tableau10" },
    marks: [
      Plot.ruleY([-n, n], { stroke: "#c0392b", strokeDasharray: "4,3" }),
      Plot.ruleY([0], { stroke: "#999" }),
      Plot.lineY(data, { x: "t", y: "z", stroke: "name", strokeWidth: 1.4 }),
      Plot.dot(data, { x: "t", y: "z", fill: "name", r: 1.8 }),
    ],
  });
}

interface Cell {
  t: number;
  s: number;
  v: number;
}

const MAX_CELLS = 80;

/** Keep every thin(n)-th time so that a heat map has at most MAX_CELLS rows and columns. */
function thin(n: number): number {
  return Math.max(1, Math.ceil(n / MAX_CELLS));
}

/** Row-major N x N kernel on grid t as heat-map cells, thinned (see thin). */
function cells(t: number[], kernel: { shape: number[]; data: number[] }): Cell[] {
  const n = kernel.shape[0];
  const step = thin(n);
  const out: Cell[] = [];
  for (let i = 0; i < n; i += step) {
    for (let j = 0; j < n; j += step) out.push({ t: t[i], s: t[j], v: kernel.data[i * n + j] });
  }
  return out;
}

function heatmap(id: string, data: Cell[], half: number, color: Plot.ScaleOptions, label: string): string {
  const svg = render({
    width: 320,
    height: 300,
    marginLeft: 44,
    marginBottom: 36,
    style: { fontSize: "11px" },
    x: { label: "s →", labelAnchor: "right" },
    y: { label: "↑ t" },
    color,
    marks: [
      Plot.rect(data, {
        x1: (d: Cell) => d.s - half,
        x2: (d: Cell) => d.s + half,
        y1: (d: Cell) => d.t - half,
        y2: (d: Cell) => d.t + half,
        fill: "v",
        shapeRendering: "crispEdges",
      }),
    ],
  });
  return svg + rampLegend(id, color, label);
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
  dmft: string;
  sim: string;
  diff: string;
}

/** C_theta(t, s) from the DMFT and from the SGF simulation on a shared colour scale, and their difference in SE. */
export function heatmaps(v: Verdict): Heatmaps | null {
  const a = v.runs.dmft.kernels?.C_theta;
  const b = v.runs.sgf.kernels?.C_theta;
  if (!a || !b || a.shape[0] !== v.runs.dmft.t.length || b.shape[0] !== v.runs.sgf.t.length) return null;
  const ca = cells(v.runs.dmft.t, a);
  const cb = cells(v.runs.sgf.t, b);
  const all = [...ca, ...cb].map((c) => c.v);
  const domain = [Math.min(...all), Math.max(...all)];
  const shared: Plot.ScaleOptions = { type: "linear", scheme: "viridis", domain };
  // Half the cell width on the thinned grid (cells() keeps every thin(n)-th time).
  const half = (t: number[]) => (t.length > 1 ? ((t[1] - t[0]) * thin(t.length)) / 2 : 0.5);
  const sameGrid = a.shape[0] === b.shape[0];
  return {
    dmft: heatmap("dmft", ca, half(v.runs.dmft.t), shared, "C_θ(t,s)"),
    sim: heatmap("sim", cb, half(v.runs.sgf.t), shared, "C_θ(t,s)"),
    diff: sameGrid
      ? heatmap(
          "diff",
          differenceCells(v.runs.dmft, v.runs.sgf),
          half(v.runs.dmft.t),
          diverging(4),
          "(SGF − DMFT) / SE",
        )
      : "",
  };
}

function diverging(limit: number): Plot.ScaleOptions {
  return { type: "linear", scheme: "rdbu", domain: [limit, -limit], clamp: true };
}

function differenceCells(th: Result, sim: Result): Cell[] {
  const a = th.kernels!.C_theta;
  const b = sim.kernels!.C_theta;
  const n = Math.min(a.shape[0], b.shape[0]);
  const diff = { shape: [n, n], data: new Array<number>(n * n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const sa = a.stderr?.[i * a.shape[0] + j] ?? 0;
      const sb = b.stderr?.[i * b.shape[0] + j] ?? 0;
      diff.data[i * n + j] = clampZ(zScore(a.data[i * a.shape[0] + j], sa, b.data[i * b.shape[0] + j], sb));
    }
  }
  return cells(th.t.slice(0, n), diff);
}
