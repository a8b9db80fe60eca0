// DIR/index.html of a sweep (self-contained, inline SVG with the report's plotting): a phase diagram per
// observable (heat map over the first two grid parameters at a chosen time; a cut when the grid has one
// parameter) and every observable against t, one curve per point coloured by the first grid parameter.
import * as Plot from "@observablehq/plot";
import { colorMap } from "../report/heatmaps.js";
import { render } from "../report/plots.js";
import { observableInfo } from "../report/series.js";
import { STYLE } from "../report/style.js";
import { esc, fmt } from "../report/tables.js";
import type { ObservableName } from "../types.js";
import { observablesOfSweep } from "./collect.js";
import type { Axis } from "./grid.js";
import type { StoredPoint } from "./store.js";

export interface PageInfo {
  model: string;
  command?: string;
  /** Time of the phase diagram (default: the last recorded time). */
  at?: number;
}

/** Index of the recorded time nearest to `at`. */
function timeIndex(t: number[], at: number): number {
  let best = 0;
  for (let k = 1; k < t.length; k++) if (Math.abs(t[k] - at) < Math.abs(t[best] - at)) best = k;
  return best;
}

function viridis(values: number[]): Plot.ScaleOptions {
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  return { type: "linear", scheme: "viridis", domain: [lo, hi === lo ? lo + 1e-12 : hi] };
}

/** The points on the plane of the first two axes (the other axes at their first value). */
function plane(axes: Axis[], points: StoredPoint[]): StoredPoint[] {
  return points.filter((p) => axes.slice(2).every((a) => p.params[a.name] === a.values[0]));
}

function phaseDiagram(axes: Axis[], points: StoredPoint[], name: ObservableName, at: number): string {
  const [ax, ay] = axes;
  const data = plane(axes, points).map((p) => {
    const k = timeIndex(p.result.t, at);
    return {
      x: p.params[ax.name],
      y: ay ? p.params[ay.name] : 0,
      v: p.result.observables[name]?.[k] ?? Number.NaN,
    };
  });
  const label = observableInfo(name).short;
  if (!ay) {
    return render({
      width: 460,
      height: 290,
      marginLeft: 56,
      style: { fontSize: "11px" },
      x: { label: `${ax.name} →`, labelAnchor: "right" },
      y: { label: `↑ ${observableInfo(name).axis}`, nice: true },
      marks: [
        Plot.gridY({ strokeOpacity: 0.08 }),
        Plot.lineY(data, { x: "x", y: "v" }),
        Plot.dot(data, { x: "x", y: "v", r: 3 }),
      ],
    });
  }
  return colorMap(`phase-${name}`, label, viridis(data.map((d) => d.v)), {
    width: 460,
    height: 320,
    marginLeft: 56,
    marginBottom: 40,
    x: { type: "band", label: `${ax.name} →`, labelAnchor: "right", tickFormat: (v: number) => fmt(v, 3) },
    y: { type: "band", label: `↑ ${ay.name}`, reverse: true, tickFormat: (v: number) => fmt(v, 3) },
    marks: [
      Plot.cell(data, { x: "x", y: "y", fill: "v", inset: 0.5 }),
      ...(data.length <= 150
        ? [
            Plot.text(data, {
              x: "x",
              y: "y",
              text: (d: { v: number }) => fmt(d.v, 3),
              fill: "#111",
              stroke: "white",
              strokeWidth: 2.5,
              paintOrder: "stroke",
              fontSize: 9,
            }),
          ]
        : []),
    ],
  });
}

function curves(axes: Axis[], points: StoredPoint[], name: ObservableName): string {
  const ax = axes[0];
  const data = points.flatMap((p) =>
    p.result.t.map((t, k) => ({
      t,
      y: p.result.observables[name]?.[k] ?? Number.NaN,
      c: p.params[ax.name],
      z: p.key,
    })),
  );
  return colorMap(`curves-${name}`, `colour: ${ax.name}`, viridis(ax.values), {
    width: 460,
    height: 290,
    marginLeft: 56,
    x: { label: "time t →", labelAnchor: "right" },
    y: { label: `↑ ${observableInfo(name).axis}`, nice: true },
    marks: [
      Plot.gridY({ strokeOpacity: 0.08 }),
      Plot.lineY(data, { x: "t", y: "y", z: "z", stroke: "c", strokeWidth: 1.4, strokeOpacity: 0.85 }),
    ],
  });
}

function figure(kind: string, name: ObservableName, caption: string, svg: string): string {
  return `<figure class="plot" data-plot="${kind}-${name}"><figcaption><b>${esc(observableInfo(name).title)}</b> ${esc(caption)}</figcaption>${svg}</figure>`;
}

export function sweepPage(axes: Axis[], points: StoredPoint[], info: PageInfo): string {
  const names = observablesOfSweep(points);
  const tEnd = points[0]?.result.t.at(-1) ?? 0;
  const at = info.at ?? tEnd;
  const shownAt = points[0] ? points[0].result.t[timeIndex(points[0].result.t, at)] : at;
  const others = axes.slice(2).map((a) => `${a.name} = ${a.values[0]}`);
  const where =
    axes.length >= 2
      ? `over ${axes[0].name} × ${axes[1].name} at t = ${fmt(shownAt)}${others.length ? ` (${others.join(", ")})` : ""}`
      : `against ${axes[0].name} at t = ${fmt(shownAt)}`;
  const phase = names.map((n) => figure("phase", n, where, phaseDiagram(axes, points, n, at))).join("\n");
  const lines = names
    .map((n) => figure("curves", n, `against t, coloured by ${axes[0].name}`, curves(axes, points, n)))
    .join("\n");
  const grid = axes
    .map((a) => `<tr><th>${esc(a.name)}</th><td>${a.values.map((v) => esc(v)).join(", ")}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dmftkit sweep — ${esc(info.model)}</title><style>${STYLE}</style></head>
<body><main>
<header><p class="kicker">dmftkit sweep</p><h1>${esc(info.model)}</h1></header>
<p>${points.length} solves; each point is <code>dmftkit solve</code> at the same seed with the grid values as <code>--set</code>.</p>
<table class="kv">${grid}</table>
<section id="phase"><h2>Phase diagram</h2><div class="plot-grid">${phase}</div></section>
<section id="curves"><h2>Observables against time</h2><div class="plot-grid">${lines}</div></section>
<section id="metadata"><h2>Run</h2>${info.command ? `<pre>${esc(info.command)}</pre>` : ""}
<ul class="files"><li><a href="sweep.json">sweep.json</a></li><li><a href="points.csv">points.csv</a></li></ul></section>
</main></body></html>
`;
}
