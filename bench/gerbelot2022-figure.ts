// The worked comparison of docs/theory.md with the SPOC-group DMFT integrator's shipped example (Gerbelot,
// Troiani, Mignacco, Krzakala, Zdeborová 2022, github.com/SPOC-group/Rigorous-dynamical-mean-field-theory,
// commit 7e46556): gradient descent, alpha = delta = 3, lambda = 0.5, dt = 0.1, 50 iterations, m_0 = 0.2, in
// the model file docs/examples/gerbelot2022-ridge.yaml. Runs our exact linear solver, our Monte-Carlo solver
// and our simulator; prints a markdown table beside their published numbers and writes
// docs/img/gerbelot2022-gd.svg. Run: node --import tsx bench/gerbelot2022-figure.ts (about a minute).
import * as Plot from "@observablehq/plot";
import { simulate } from "../src/simulate/index.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import { legendMarks, pm, writeSvg } from "./figures.js";

// Their published data (quoted with attribution, rounded to 4 decimals): m at their iterations 0..49.
// SIM: data/simulationsM0.2A3.0B1.0L0.5.csv, column mag_avg (their file labels iteration k as time (k+1) dt).
// SIM_STD: column mag_std of the same file (spread of m between their simulation runs).
// DMFT: data/iterM0.2A3.0B1.0L0.5I30.pkl, field m (the last of their 30 damped fixed-point iterations).
const SIM = [
  0.1993, 0.4281, 0.5534, 0.6288, 0.6774, 0.7106, 0.7341, 0.7512, 0.764, 0.7738, 0.7814, 0.7873, 0.792,
  0.7957, 0.7988, 0.8012, 0.8032, 0.8049, 0.8062, 0.8073, 0.8083, 0.809, 0.8097, 0.8102, 0.8107, 0.8111,
  0.8114, 0.8117, 0.8119, 0.8121, 0.8123, 0.8124, 0.8126, 0.8127, 0.8128, 0.8128, 0.8129, 0.813, 0.813,
  0.8131, 0.8131, 0.8131, 0.8132, 0.8132, 0.8132, 0.8132, 0.8132, 0.8132, 0.8133, 0.8133,
];
const SIM_STD = [0.0288, 0.0202, 0.0163, 0.0138, 0.0119, 0.0104, 0.0092, 0.0082, 0.0075, 0.0069, 0.0064];
const DMFT = [
  0.2, 0.4257, 0.5505, 0.6268, 0.6776, 0.7138, 0.741, 0.7622, 0.7795, 0.7939, 0.8065, 0.8176, 0.8279, 0.8375,
  0.8468, 0.8558, 0.8648, 0.8738, 0.883, 0.8922, 0.9017, 0.9114, 0.9212, 0.9312, 0.9414, 0.9516, 0.9619,
  0.9722, 0.9825, 0.9926, 1.0025, 1.0122, 1.0215, 1.0304, 1.0389, 1.0469, 1.0543, 1.0611, 1.0672, 1.0726,
  1.0773, 1.0812, 1.0843, 1.0866, 1.088, 1.0886, 1.0884, 1.0873, 1.0853, 1.0825,
];
const SIM_LONG = 0.813334; // their simulation at iteration 199 (t = 19.9 in our time)

const derived = loadDerived("docs/examples/gerbelot2022-ridge.yaml");
const grid = { dynamics: "gd", seed: 1 } as const;
const exact = await solve(derived, grid);
const long = await solve(derived, { ...grid, T: 20 });
const mc = await solve(derived, { ...grid, solver: "mc", samples: 20000 });
const sim = await simulate(derived, { ...grid, d: 2000, seeds: 8 });
const m = (r: typeof exact) => r.observables.m!;
const se = (r: typeof exact) => r.stderr.m!;

const rows = [0, 1, 2, 3, 5, 10, 20, 30, 40, 49].map((k) =>
  [
    k,
    (k * 0.1).toFixed(1),
    SIM[k].toFixed(4) + (k < SIM_STD.length ? ` (${SIM_STD[k].toFixed(4)})` : ""),
    DMFT[k].toFixed(4),
    m(exact)[k].toFixed(4),
    m(mc)[k].toFixed(4),
    pm(m(sim)[k], se(sim)[k]),
  ].join(" | "),
);
console.log(
  [
    "| k | t = k dt | their simulation m (run spread) | their DMFT, iterate 30 | dmftkit exact | dmftkit Monte Carlo | dmftkit simulation ± SE |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r} |`),
    `| 199 | 19.9 | ${SIM_LONG.toFixed(4)} | — | ${m(long)[199].toFixed(4)} | — | — |`,
  ].join("\n"),
);
const worstSim = Math.max(
  ...m(sim)
    .slice(0, 50)
    .map((v, k) => Math.abs(v - m(exact)[k]) / se(sim)[k]),
);
// GD on a noiseless linear model: the moment-matched Monte-Carlo solver is deterministic up to rounding.
const worstMc = Math.max(...m(mc).map((v, k) => Math.abs(v - m(exact)[k])));
const worstTheirs = Math.max(...SIM.map((v, k) => Math.abs(v - m(exact)[k])));
console.log(
  `max |our simulation - exact| / SE = ${worstSim.toFixed(2)}; max |our MC - exact| = ${worstMc.toExponential(1)}; ` +
    `max |their simulation - exact| = ${worstTheirs.toFixed(4)}`,
);

const line = (ys: number[], n = 50) => ys.slice(0, n).map((y, k) => ({ t: k * 0.1, y }));
const simPts = m(sim).map((y, k) => ({ t: k * 0.1, y, lo: y - 2 * se(sim)[k], hi: y + 2 * se(sim)[k] }));
const C = { exact: "#1f77b4", ours: "#e67e22", theirSim: "#2ca02c", theirDmft: "#9467bd" };
writeSvg(
  "docs/img/gerbelot2022-gd.svg",
  "m(t) in the SPOC-group example: dmftkit vs their published numbers",
  {
    width: 640,
    height: 360,
    marginLeft: 56,
    x: { label: "time t = k dt →", labelAnchor: "right" },
    y: { label: "↑ m(t) = θ·θ*/d", domain: [0.15, 1.1] },
    marks: [
      Plot.gridY({ strokeOpacity: 0.08 }),
      Plot.lineY(line(DMFT), {
        x: "t",
        y: "y",
        stroke: C.theirDmft,
        strokeDasharray: "2,3",
        strokeWidth: 1.6,
      }),
      Plot.lineY(line(SIM), { x: "t", y: "y", stroke: C.theirSim, strokeDasharray: "6,3", strokeWidth: 1.8 }),
      Plot.lineY(line(m(exact), 51), { x: "t", y: "y", stroke: C.exact, strokeWidth: 2 }),
      Plot.ruleX(simPts, { x: "t", y1: "lo", y2: "hi", stroke: C.ours }),
      Plot.dot(simPts, { x: "t", y: "y", r: 2.4, fill: C.ours }),
      ...legendMarks([
        { label: "dmftkit exact DMFT (gd, dt = 0.1)", color: C.exact },
        { label: "dmftkit simulation, d = 2000, 8 seeds (±2 SE)", color: C.ours },
        { label: "SPOC-group simulation (published csv)", color: C.theirSim },
        { label: "SPOC-group DMFT, fixed-point iterate 30", color: C.theirDmft },
      ]),
    ],
  },
);
console.log("wrote docs/img/gerbelot2022-gd.svg");
