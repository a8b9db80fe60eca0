// The figure of docs/theory.md "SGD with a batch fraction": logistic regression (models/logistic-regression.yaml,
// delta = 2, dt = 0.1) under SGD with batch fractions b = 0.1 and b = 0.02 against the SGF with the same
// first two moments of the sample weights, tau = dt (1 - b) / (b delta): Monte-Carlo DMFT of both dynamics and
// finite-d simulation of the SGD (d = 1000, 8 seeds). Prints the largest gap between the two theories in
// standard errors and writes docs/img/sgf-vs-fraction.svg (q(t), where the gap is largest).
// Run: node --import tsx bench/fraction-figure.ts (about a minute on an idle 2-core machine).
import * as Plot from "@observablehq/plot";
import { simulate } from "../src/simulate/index.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { ObservableName, Result } from "../src/types.js";
import { fractionTau } from "../src/util/batch.js";
import { compareObservable } from "../src/validate/compare.js";
import { legendMarks, writeSvg } from "./figures.js";

const base = loadDerived("models/logistic-regression.yaml");
const { delta } = base.model.parameters;
const dt = 0.1;
const T = 4;
const KEYS: ObservableName[] = ["train_loss", "test_error", "q", "m"];
const COLORS = ["#1f77b4", "#d62728"];
const marks: Plot.Markish[] = [Plot.gridY({ strokeOpacity: 0.08 })];
const legend: Array<{ label: string; color: string }> = [];

const maxZ = (a: Result, b: Result) =>
  Object.fromEntries(KEYS.map((k) => [k, +compareObservable(a, b, k).maxZ.toFixed(1)]));

for (const [i, b] of [0.1, 0.02].entries()) {
  const tau = fractionTau(b, dt, delta);
  const derived = loadDerived("models/logistic-regression.yaml", { tau });
  const common = { dt, T, seed: 11 };
  const fraction = await solve(derived, {
    ...common,
    dynamics: "sgd-fraction",
    batchFraction: b,
    samples: 20000,
  });
  const sgf = await solve(derived, { ...common, dynamics: "sgf", samples: 20000 });
  const sim = await simulate(derived, {
    ...common,
    dynamics: "sgd-fraction",
    batchFraction: b,
    d: 1000,
    seeds: 8,
  });
  console.log(`b = ${b}, matched tau = ${tau.toPrecision(3)}`);
  console.log("  max |SGD(b) DMFT - SGF(tau) DMFT| / SE:", maxZ(fraction, sgf));
  console.log("  max |SGD(b) DMFT - SGD(b) simulation| / SE:", maxZ(fraction, sim));
  console.log("  max |SGF(tau) DMFT - SGD(b) simulation| / SE:", maxZ(sgf, sim));
  const curve = (r: Result) => r.t.map((t, k) => ({ t, y: r.observables.q![k] }));
  const pts = sim.t.map((t, k) => {
    const y = sim.observables.q![k];
    const se = sim.stderr.q![k];
    return { t, y, lo: y - 2 * se, hi: y + 2 * se };
  });
  const color = COLORS[i];
  marks.push(
    Plot.lineY(curve(fraction), { x: "t", y: "y", stroke: color, strokeWidth: 2 }),
    Plot.lineY(curve(sgf), { x: "t", y: "y", stroke: color, strokeWidth: 1.5, strokeDasharray: "5,4" }),
    Plot.ruleX(pts, { x: "t", y1: "lo", y2: "hi", stroke: color, strokeOpacity: 0.6 }),
    Plot.dot(pts, { x: "t", y: "y", r: 2.2, fill: color }),
  );
  legend.push({
    label: `b = ${b}: SGD DMFT (solid), SGF τ = ${tau.toPrecision(2)} DMFT (dashed), SGD simulation (dots)`,
    color,
  });
}

writeSvg("docs/img/sgf-vs-fraction.svg", "q(t): SGD with batch fraction b vs SGF at matched variance", {
  width: 680,
  height: 360,
  marginLeft: 56,
  x: { label: "time t = k dt →", labelAnchor: "right" },
  y: { label: "↑ q(t) = |θ|²/d", nice: true },
  marks: [...marks, ...legendMarks(legend, "top-left")],
});
console.log("wrote docs/img/sgf-vs-fraction.svg");
