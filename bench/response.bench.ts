// Benchmark of the response estimators (issues 14, 15), single-threaded, as ratios against the exact
// tangent at the same N, M in the same script:
// 1. smooth model (logistic regression, M = 20000): tangent (M N^3 / 6 multiply-adds) vs Stein (O(M N^2),
//    with its Richardson step in 1/M, i.e. each group also solved as two halves) and raw Stein, N = 40,
//    100, 300. `--response auto` switches smooth models to Stein above STEIN_FROM_STEPS steps.
// 2. non-smooth model (hinge, M = 4000 in 4 groups): tangent (the naive estimator there), conditional
//    branching (JS) and Stein at N = 40 and 100.
import { fileURLToPath } from "node:url";
import { solveMc } from "../src/solvers/mc/index.js";
import type { SolveOptions } from "../src/solvers/options.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Derived } from "../src/types.js";

const dt = 0.1;
const model = (name: string) =>
  loadDerived(fileURLToPath(new URL(`../models/${name}.yaml`, import.meta.url)), {});

async function time(
  d: Derived,
  N: number,
  M: number,
  G: number,
  response: SolveOptions["response"],
  raw = false,
) {
  const t0 = performance.now();
  const opts = {
    dynamics: "sgf" as const,
    dt,
    T: N * dt,
    samples: M,
    groups: G,
    seed: 1,
    threads: 1,
    response,
  };
  await solveMc(d, opts, { steinRichardson: !raw });
  return (performance.now() - t0) / 1000;
}

const ratio = (t: number, base: number) => `${t.toFixed(2)} s = ${(t / base).toFixed(2)}x`;
const part = process.argv[2];

if (part !== "nonsmooth") {
  const logistic = model("logistic-regression");
  await time(logistic, 20, 20000, 8, "tangent"); // warm-up (JIT of both paths)
  await time(logistic, 20, 20000, 8, "stein");
  console.log("logistic regression, Monte-Carlo DMFT, M = 20000 samples in 8 groups, one thread");
  for (const N of [40, 100, 300]) {
    const tan = await time(logistic, N, 20000, 8, "tangent");
    const st = await time(logistic, N, 20000, 8, "stein");
    const raw = await time(logistic, N, 20000, 8, "stein", true);
    console.log(
      `N = ${N}: tangent ${tan.toFixed(2)} s; stein (Richardson in 1/M) ${ratio(st, tan)}; raw stein ${ratio(raw, tan)}`,
    );
  }
}
if (part !== "smooth") {
  const hinge = model("hinge-svm");
  await time(hinge, 10, 4000, 4, "branch"); // warm-up
  console.log("hinge (one jump of l), Monte-Carlo DMFT, M = 4000 samples in 4 groups, one thread");
  for (const N of [40, 100]) {
    const tan = await time(hinge, N, 4000, 4, "tangent");
    const br = await time(hinge, N, 4000, 4, "branch");
    const st = await time(hinge, N, 4000, 4, "stein");
    console.log(
      `N = ${N}: tangent (naive here) ${tan.toFixed(2)} s; branch ${ratio(br, tan)}; stein (Richardson in 1/M) ${ratio(st, tan)}`,
    );
  }
}
