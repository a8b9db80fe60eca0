// Benchmark of the exact linear solver (closed equations, O(N^3)) at N = 400 steps, against baselines
// run in the same script: the spectral oracle on the same grid (tau = 0) and the Monte-Carlo DMFT solver
// on the same model with a small population (M = 4000, 2 groups) at N = 100 steps.
import {
  linearCoefficients,
  solveExactLinear,
  solveLinearScheme,
  spectralOracle,
} from "../src/solvers/exact/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { handDerived } from "../test/fixtures/hand-models.js";

async function median(f: () => unknown, reps: number): Promise<number> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    ts.push((performance.now() - t0) / 1000);
  }
  return ts.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

const d = handDerived("linear", { delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3 });
const N = 400;
const dt = 0.01;
const T = N * dt;
const coef = linearCoefficients(d, "bench");
const core = await median(() => solveLinearScheme(coef, { D: dt, N, delta: 2, tau: 0.5, initStd: 0 }), 5);
const full = await median(() => solveExactLinear(d, { T, dt }), 3);
const spectral = await median(() => spectralOracle(d, { T, dt }), 3);
const mc = await median(
  () => solveMc(d, { dynamics: "sgf", T: 1, dt, samples: 4000, groups: 2, seed: 1 }),
  1,
);
const f = (s: number) => `${(1000 * s).toFixed(1)} ms`;
console.log(
  `exact linear, N = ${N}: closed equations ${f(core)}, full Result (test loss quadrature) ${f(full)}`,
);
console.log(
  `baseline spectral oracle, N = ${N}: ${f(spectral)}  (exact / spectral = ${(full / spectral).toFixed(2)})`,
);
console.log(
  `baseline MC solver, N = 100, M = 4000: ${f(mc)}  (MC / exact at N = 400 = ${(mc / full).toFixed(1)})`,
);
