// SVG plots of the report, rendered in Node with @observablehq/plot on a linkedom document (no browser):
// observable curves (theory lines with ±2 SE bands, simulation points with ±2 SE bars), the Q and M
// matrices entry by entry (vector models), and the gating residuals in units of the allowance (one panel per group for vector models).
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { scheduleTable } from "../symbolic/schedule.js";
import type { ObservableName } from "../types.js";
import { pointChecks } from "../validate/compare.js";
import type { Verdict } from "../validate/index.js";
import { observableInfo, points, seriesOf } from "./series.js";

const WIDTH = 460;
const HEIGHT = 290;
/** Small multiples (one panel per matrix entry). */
export const SMALL = { width: 330, height: 230 };

export function render(options: Plot.PlotOptions): string {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  const node = Plot.plot({ ...options, document } as Plot.PlotOptions) as unknown as { outerHTML: string };
  return node.outerHTML;
}

/**
 * The time axis of the observable plots: linear, or log-like ("symlog": linear below t = 1, logarithmic
 * above, so t = 0 stays on the axis) with --time-axis log (the default with --record log).
 */
export function timeX(v: Verdict): Plot.ScaleOptions {
  const base: Plot.ScaleOptions = { label: "time t →", labelAnchor: "right" };
  if (v.settings.timeAxis !== "log") return base;
  const ticks = [0];
  for (let p = 1; p <= v.settings.T; p *= 10)
    ticks.push(...[p, 2 * p, 5 * p].filter((x) => x <= v.settings.T));
  return { ...base, type: "symlog", ticks };
}

/** Categorical colours: tableau10 repeats after 10 names (vector models with k >= 3), then sample turbo. */
function scheme(names: number): Plot.ColorScheme {
  return names > 10 ? "turbo" : "tableau10";
}

/**
 * Scheduled parameters vs t (issue 16), as the solvers apply them: constant on each step [t_k, t_k+1) at the
 * value at its left end (a step curve on the DMFT grid).
 */
export function schedulePlot(v: Verdict): string {
  const s = v.derived.schedule;
  const t = v.runs.dmft.t;
  if (!s || t.length < 2) return "";
  const dt = Number(v.runs.dmft.meta.dt ?? t[1] - t[0]);
  const table = scheduleTable(s, dt, t.length - 1, "report");
  const data = s.names.flatMap((name, i) =>
    t.map((tk, k) => ({ t: tk, y: table[k * s.names.length + i], name })),
  );
  return render({
    width: WIDTH * 2,
    height: 150,
    marginLeft: 56,
    style: { fontSize: "11px" },
    x: { label: "time t →", labelAnchor: "right" },
    y: { label: "↑ value", nice: true, zero: true },
    color: { legend: true, scheme: scheme(s.names.length) },
    marks: [
      Plot.gridY({ strokeOpacity: 0.08 }),
      Plot.lineY(data, { x: "t", y: "y", stroke: "name", curve: "step-after", strokeWidth: 2 }),
    ],
  });
}

/** One observable vs t: every series of the verdict, with its error band or bars. */
export function observablePlot(
  v: Verdict,
  name: ObservableName,
  size = { width: WIDTH, height: HEIGHT },
): string {
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
    ...size,
    marginLeft: 56,
    style: { fontSize: "11px" },
    x: timeX(v),
    y: { label: `↑ ${observableInfo(name).axis}`, nice: true },
    marks,
  });
}

/**
 * All entries of one overlap matrix in one panel (vector models): per entry the DMFT(dt) curve with its
 * ±2 SE band and the SGF simulation points with ±2 SE bars, one colour per entry (swatch legend on top).
 */
export function matrixPlot(v: Verdict, names: ObservableName[]): string {
  const { dmft, sgf } = v.runs;
  const band: Array<{ t: number; y: number; lo: number; hi: number; entry: string }> = [];
  const sim: typeof band = [];
  for (const name of names) {
    const entry = observableInfo(name).short;
    const row = (p: { t: number; value: number; se: number }) => ({
      t: p.t,
      y: p.value,
      lo: p.value - 2 * p.se,
      hi: p.value + 2 * p.se,
      entry,
    });
    band.push(...points(dmft, name).map(row));
    sim.push(...points(sgf, name).map(row));
  }
  const matrix = observableInfo(names[0]).short[0];
  return render({
    width: WIDTH,
    height: HEIGHT,
    marginLeft: 56,
    style: { fontSize: "11px" },
    x: timeX(v),
    y: { label: `↑ entries of ${matrix}(t)`, nice: true },
    color: { domain: names.map((n) => observableInfo(n).short), scheme: scheme(names.length), legend: true },
    marks: [
      Plot.gridY({ strokeOpacity: 0.08 }),
      Plot.areaY(band, { x: "t", y1: "lo", y2: "hi", z: "entry", fill: "entry", fillOpacity: 0.18 }),
      Plot.lineY(band, { x: "t", y: "y", z: "entry", stroke: "entry", strokeWidth: 1.8 }),
      Plot.ruleX(sim, { x: "t", y1: "lo", y2: "hi", stroke: "entry", strokeWidth: 1 }),
      Plot.dot(sim, { x: "t", y: "y", fill: "entry", r: 2.3, stroke: "white", strokeWidth: 0.5 }),
    ],
  });
}

/** z-scores beyond ±12 are drawn at ±12 (the tables give the exact values). */
export function clampZ(z: number): number {
  return Math.max(-12, Math.min(12, z));
}

/** Residuals beyond ±3 allowances are drawn at ±3 (the tables give the exact values). */
export function clampRatio(r: number): number {
  return Math.max(-3, Math.min(3, r));
}

/**
 * (sim - theory) / allowance vs t for the given observables of the gating comparison, with the ±1 lines
 * (the pass rule: every point inside). Vector models draw one panel per group (losses, Q, M).
 */
export function residualPlot(
  v: Verdict,
  names: ObservableName[] = v.tables[0].rows.map((r) => r.name),
): string {
  const { dmft, sgf } = v.runs;
  const table = v.tables[0];
  const data: Array<{ t: number; y: number; name: string }> = [];
  for (const name of names) {
    for (const p of pointChecks(dmft, sgf, name, table.rule, table.comparisons)) {
      if (!Number.isNaN(p.ratio))
        data.push({ t: p.t, y: clampRatio(p.ratio), name: observableInfo(name).short });
    }
  }
  const top = Math.max(1.2, ...data.map((d) => Math.abs(d.y)));
  return render({
    width: WIDTH,
    height: HEIGHT,
    marginLeft: 56,
    style: { fontSize: "11px" },
    x: { label: "time t →", labelAnchor: "right" },
    y: { label: "↑ (simulation − DMFT) / allowance", domain: [-top, top] },
    color: {
      legend: true,
      scheme: scheme(names.length),
      domain: names.map((n) => observableInfo(n).short),
    },
    marks: [
      Plot.ruleY([-1, 1], { stroke: "#c0392b", strokeDasharray: "4,3" }),
      Plot.ruleY([0], { stroke: "#999" }),
      Plot.lineY(data, { x: "t", y: "y", stroke: "name", strokeWidth: 1.4 }),
      Plot.dot(data, { x: "t", y: "y", fill: "name", r: 1.8 }),
    ],
  });
}
