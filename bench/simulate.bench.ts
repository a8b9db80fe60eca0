// Seconds per SGF step at d = 2000, delta = 2 (logistic regression): the simulator (WebAssembly SIMD
// kernel and the plain-JS fallback kernel) against a plain numpy implementation (bench/simulate_ref.py)
// run in the same script with 1 and 2 BLAS threads. Prints the times and the ratios.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { simulate } from "../src/simulate/index.js";
import { createJsKernel, sgfDataStep } from "../src/simulate/linalg.js";
import { createSimdKernel, type MatKernel } from "../src/simulate/wasm.js";
import { loadDerived } from "../src/symbolic/index.js";
import { Rng } from "../src/util/rng.js";

const d = 2000;
const delta = 2;
const n = delta * d;
const steps = 30;
const derived = loadDerived(fileURLToPath(new URL("../models/logistic-regression.yaml", import.meta.url)));

function numpy(threads: number): number {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const script = fileURLToPath(new URL("simulate_ref.py", import.meta.url));
  const r = spawnSync("python3", [script, String(d), String(delta), String(steps)], {
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`simulate_ref.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout).seconds_per_step;
}

/** Seconds per data step (X theta, l, X^T v) with the given kernel, after a warm-up. */
function kernelStep(k: MatKernel): number {
  const rng = new Rng(1, 0);
  rng.fillNormal(k.X.subarray(0, n * d), 1 / Math.sqrt(d));
  rng.fillNormal(k.theta, 0.5);
  const y = Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1));
  const xi = new Float64Array(n);
  const s = { kernel: k, y, fns: derived.fns, dt: 0.1, delta, tau: 1, xi, wantLoss: false };
  for (let i = 0; i < 3; i++) sgfDataStep(s);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    rng.fillNormal(xi);
    sgfDataStep(s);
  }
  return (performance.now() - t0) / 1000 / steps;
}

async function simulator(seeds: number, threads: number): Promise<{ perStep: number }> {
  const r = await simulate(derived, { d, seeds, dynamics: "sgf", dt: 0.1, T: steps * 0.1, seed: 1, threads });
  return { perStep: (r.meta.timings as { seconds_per_step: number }).seconds_per_step };
}

const fmt = (s: number) => `${(s * 1e3).toFixed(2)} ms`;
// The machine is shared: measurements alternate and the minimum of three rounds is reported.
const best = { simd: Infinity, js: Infinity, np1: Infinity, np2: Infinity, sim1: Infinity, sim2: Infinity };
const simdKernel = createSimdKernel(n, d)!;
const jsKernel = createJsKernel(n, d);
for (let round = 0; round < 3; round++) {
  best.simd = Math.min(best.simd, kernelStep(simdKernel));
  best.np1 = Math.min(best.np1, numpy(1));
  best.js = Math.min(best.js, kernelStep(jsKernel));
  best.np2 = Math.min(best.np2, numpy(2));
  best.sim1 = Math.min(best.sim1, (await simulator(1, 1)).perStep);
  best.sim2 = Math.min(best.sim2, (await simulator(2, 2)).perStep);
}
console.log(
  `SGF step, logistic regression, d = ${d}, n = ${n} (seconds per step, best of 3; lower is better)`,
);
console.log(`  data step, WebAssembly SIMD kernel   ${fmt(best.simd)}`);
console.log(
  `  data step, plain-JS kernel           ${fmt(best.js)}   (SIMD speed-up ${(best.js / best.simd).toFixed(2)}x)`,
);
console.log(`  simulate, 1 seed, 1 thread           ${fmt(best.sim1)}`);
console.log(`  numpy, 1 BLAS thread                 ${fmt(best.np1)}`);
console.log(`  numpy, 2 BLAS threads                ${fmt(best.np2)}`);
console.log(
  `  simulate, 2 seeds on 2 threads       ${fmt(best.sim2)} per seed-step = ${fmt(best.sim2 / 2)} per step of throughput`,
);
console.log(`ratio simulate / numpy, 1 thread each:                ${(best.sim1 / best.np1).toFixed(2)}`);
console.log(
  `ratio simulate (2 seeds, 2 threads) / numpy 2 threads: ${(best.sim2 / 2 / best.np2).toFixed(2)}`,
);
