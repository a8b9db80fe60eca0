// Long horizons (issue 15, "done when" at full size): logistic regression (delta 2, tau 0.5, lambda 0.05,
// sigma 0.3) at T = 100, dt = 0.1 (N = 1000). (1) The DMFT solve with default settings, its wall time as a
// ratio to an 8-seed numpy SGF simulation of the same horizon at d = 2000 (bench/simulate_ref.py, timed
// per step in this script with 1 and 2 BLAS threads; the faster way to run 8 seeds on the machine's cores
// is taken, so the ratio does not flatter the solver). (2) Its agreement with dmftkit's own 8-seed SGF
// simulation at d = 2000 within 4 combined SE + 2 % at every recorded time, and SE / train loss at T.
// LONGRUN_SAMPLES / LONGRUN_GROUPS change the solve's population and groups (default 20000 in 8).
// (3) With LONGRUN_N4000=1: an N = 4000 solve at the default settings (T = 400, --record log; auto picks
// Stein and raises the samples to 76880: half groups of 1.2 x their field columns; LONGRUN_N4000_SAMPLES overrides)
// completes; its estimated memory and time and its wall time are printed.
// The compiled dist/ build is timed, as `npx dmftkit` runs it (bench/run.mjs builds it first).
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { solve } = (await import(dist("solvers/index.js"))) as typeof import("../src/solvers/index.js");
const { planMc } = (await import(dist("solvers/mc/index.js"))) as typeof import("../src/solvers/mc/index.js");
const { simulate } = (await import(dist("simulate/index.js"))) as typeof import("../src/simulate/index.js");
const { loadDerived } = (await import(
  dist("symbolic/index.js")
)) as typeof import("../src/symbolic/index.js");
const { compareResults } = (await import(
  dist("validate/compare.js")
)) as typeof import("../src/validate/compare.js");

const d = 2000;
const seeds = 8;
const T = Number(process.env.LONGRUN_T ?? 100);
const dt = 0.1;
const N = Math.round(T / dt);
const derived = loadDerived(fileURLToPath(new URL("../models/logistic-regression.yaml", import.meta.url)), {
  delta: 2,
  tau: 0.5,
  lambda: 0.05,
  sigma: 0.3,
});

/** Seconds per SGF step of the numpy reference with the given BLAS threads (best of two runs). */
function numpyStep(threads: number): number {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const script = fileURLToPath(new URL("simulate_ref.py", import.meta.url));
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 2; r++) {
    const out = spawnSync("python3", [script, String(d), "2", "40"], { env, encoding: "utf8" });
    if (out.status !== 0) throw new Error(`simulate_ref.py failed: ${out.stderr}`);
    best = Math.min(best, JSON.parse(out.stdout).seconds_per_step);
  }
  return best;
}

const cores = availableParallelism();
console.log(
  `logistic regression, T = ${T}, dt = ${dt} (N = ${N}), ${cores} cores, load ${loadavg()[0].toFixed(1)}`,
);
const np1 = numpyStep(1);
const np2 = numpyStep(2);
// 8 seeds: one after another with all BLAS threads, or `cores` single-threaded processes side by side.
const numpy8 = Math.min(seeds * N * np2, Math.ceil(seeds / cores) * N * np1);
console.log(
  `numpy SGF step at d = ${d}: ${(np1 * 1e3).toFixed(1)} ms (1 thread), ${(np2 * 1e3).toFixed(1)} ms (2 threads); ` +
    `8 seeds x ${N} steps: ~${numpy8.toFixed(0)} s`,
);

let t0 = performance.now();
// Defaults unless LONGRUN_SAMPLES / LONGRUN_GROUPS say otherwise (e.g. LONGRUN_GROUPS=4: all columns in one block).
const sizes = {
  samples: process.env.LONGRUN_SAMPLES ? Number(process.env.LONGRUN_SAMPLES) : undefined,
  groups: process.env.LONGRUN_GROUPS ? Number(process.env.LONGRUN_GROUPS) : undefined,
};
const theory = await solve(derived, { dynamics: "sgf", dt, T, seed: 1, ...sizes });
const solveSeconds = (performance.now() - t0) / 1000;
const meta = theory.meta as { response?: { estimator: string }; timings: { estimatedSeconds: number } };
console.log(
  `DMFT solve (${JSON.stringify(sizes)}: ${meta.response?.estimator ?? "tangent"}): ${solveSeconds.toFixed(1)} s ` +
    `(estimated ${meta.timings.estimatedSeconds.toFixed(0)} s); ratio to numpy 8 seeds: ${(solveSeconds / numpy8).toFixed(2)}`,
);

t0 = performance.now();
const sim = await simulate(derived, { d, seeds, dynamics: "sgf", dt, T, seed: 2 });
const simSeconds = (performance.now() - t0) / 1000;
console.log(`dmftkit SGF simulation, d = ${d}, ${seeds} seeds: ${simSeconds.toFixed(1)} s`);
const spec = { id: "long", title: `T = ${T}`, gating: true, theoryLabel: "DMFT", simLabel: "SGF" };
const table = compareResults(spec, theory, sim, { nSigma: 4, relative: 0.02 });
for (const r of table.rows) {
  console.log(
    `  ${r.name.padEnd(11)} worst ${r.worst.toFixed(2)} of the tolerance (4 SE + 2 %) at t = ${r.tWorst.toFixed(1)}; ` +
      `max ${r.maxZ.toFixed(2)} combined SE; ${r.pass ? "pass" : "FAIL"}`,
  );
}
const k = theory.t.length - 1;
const rel = theory.stderr.train_loss![k] / theory.observables.train_loss![k];
console.log(`  SE of the train loss at T: ${(100 * rel).toFixed(2)} % of it (goal <= 2 %)`);

if (process.env.LONGRUN_N4000 === "1") {
  // Default settings (auto picks Stein and raises the samples to what it needs) unless
  // LONGRUN_N4000_SAMPLES says otherwise.
  const given = process.env.LONGRUN_N4000_SAMPLES;
  const opts = {
    dynamics: "sgf" as const,
    dt,
    T: 400,
    seed: 1,
    ...(given ? { samples: Number(given) } : {}),
    record: "log" as const,
  };
  const plan = planMc(derived, opts);
  const samples = plan.sizes.reduce((a, b) => a + b, 0);
  console.log(
    `N = 4000, M = ${samples} (${plan.response.estimator}): estimated ${(plan.seconds / 60).toFixed(0)} min, ${(plan.bytes / 2 ** 30).toFixed(2)} GiB on ${plan.threads} threads`,
  );
  t0 = performance.now();
  const r = await solve(derived, opts);
  const last = r.t.length - 1;
  console.log(
    `  completed in ${((performance.now() - t0) / 60000).toFixed(1)} min; train loss at T = 400: ` +
      `${r.observables.train_loss![last].toFixed(4)} +- ${r.stderr.train_loss![last].toFixed(4)}`,
  );
}
