// Seconds per SGF step at d = 2000, delta = 2 (logistic regression): the simulator (WebAssembly SIMD
// kernel and the plain-JS fallback kernel) against a plain numpy implementation (bench/simulate_ref.py)
// run in the same script with 1 and 2 BLAS threads. Then vector predictions (issue 7): the erf committee
// (k = k* = 2) against the same model with one unit (k = k* = 1). Prints the times and the ratios.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseModel } from "../src/model/load.js";
import { simulate } from "../src/simulate/index.js";
import { createJsKernel, sgfDataStep } from "../src/simulate/linalg.js";
import { createSimdKernel, type MatKernel } from "../src/simulate/wasm.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import type { Derived } from "../src/types.js";
import { Rng } from "../src/util/rng.js";

const d = 2000;
const delta = 2;
const n = delta * d;
const steps = 30;
const derived = loadDerived(fileURLToPath(new URL("../models/logistic-regression.yaml", import.meta.url)));
const committeePath = fileURLToPath(new URL("../models/committee-erf.yaml", import.meta.url));
const committeeText = readFileSync(committeePath, "utf8");
const committee2 = derive(parseModel(committeeText, committeePath));
const committee1 = derive(
  parseModel(
    committeeText
      .replace(/^k: .*$/m, "k: 1")
      .replace(/^k_teacher: .*$/m, "k_teacher: 1")
      .replace(/^activation: .*$/m, "activation: erf(r / sqrt(2))")
      .replace(/^label: .*$/m, "label: erf(wstar / sqrt(2)) + sigma * eps"),
    "committee-erf with one unit",
  ),
);

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

/** Seconds per data step (X theta, l, X^T v) with the given kernel after a warm-up: wall and CPU time. */
function kernelTimes(k: MatKernel, vec = derived.vec): { wall: number; cpu: number } {
  const rng = new Rng(1, 0);
  rng.fillNormal(k.X.subarray(0, n * d), 1 / Math.sqrt(d));
  rng.fillNormal(k.theta, 0.5);
  const y = Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1));
  const xi = new Float64Array(n);
  const s = { kernel: k, y, vec, dt: 0.1, delta, tau: 1, xi, wantLoss: false };
  for (let i = 0; i < 3; i++) sgfDataStep(s);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    rng.fillNormal(xi);
    sgfDataStep(s);
  }
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000 / steps, cpu: (c.user + c.system) / 1e6 / steps };
}
const kernelStep = (k: MatKernel) => kernelTimes(k).wall;

async function simulator(
  seeds: number,
  threads: number,
  model: Derived = derived,
): Promise<{ perStep: number }> {
  const r = await simulate(model, { d, seeds, dynamics: "sgf", dt: 0.1, T: steps * 0.1, seed: 1, threads });
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

// Vector predictions: cost of k = 2 against k = 1 at equal d and n (one seed, one thread). The data steps
// are also timed in CPU time of this process (less sensitive to other load on the machine than wall time).
const vbest = { sim1: Infinity, sim2: Infinity, step1: Infinity, step2: Infinity };
const one = createSimdKernel(n, d, 1)!;
const two = createSimdKernel(n, d, 2)!;
for (let round = 0; round < 3; round++) {
  vbest.sim1 = Math.min(vbest.sim1, (await simulator(1, 1, committee1)).perStep);
  vbest.sim2 = Math.min(vbest.sim2, (await simulator(1, 1, committee2)).perStep);
  vbest.step1 = Math.min(vbest.step1, kernelTimes(one, committee1.vec).cpu);
  vbest.step2 = Math.min(vbest.step2, kernelTimes(two, committee2.vec).cpu);
}
console.log(`\nSGF step, erf committee, d = ${d}, n = ${n} (best of 3)`);
console.log(`  simulate, k = k* = 1 (wall)     ${fmt(vbest.sim1)}`);
console.log(`  simulate, k = k* = 2 (wall)     ${fmt(vbest.sim2)}`);
console.log(`  data step, k = k* = 1 (CPU)     ${fmt(vbest.step1)}`);
console.log(`  data step, k = k* = 2 (CPU)     ${fmt(vbest.step2)}`);
console.log(`ratio simulate k = 2 / k = 1 (wall):                  ${(vbest.sim2 / vbest.sim1).toFixed(2)}`);
console.log(
  `ratio data step k = 2 / k = 1 (CPU):                  ${(vbest.step2 / vbest.step1).toFixed(2)}`,
);
