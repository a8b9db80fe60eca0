// Benchmark of the response estimators (issues 14, 15): the Monte-Carlo DMFT solver on logistic regression
// with the exact tangent (M N^3 / 6 multiply-adds), Stein (O(M N^2), run with its Richardson step in 1/M,
// i.e. each group also solved as two halves) and raw Stein (no Richardson step), at N = 40, 100 and 300,
// single-threaded, as ratios against the tangent at the same N. `--response auto` switches smooth models to
// Stein above STEIN_FROM_STEPS steps (src/solvers/mc/index.ts), where Stein is clearly cheaper.
import { fileURLToPath } from "node:url";
import { solveMc } from "../src/solvers/mc/index.js";
import { loadDerived } from "../src/symbolic/index.js";

const M = 20000;
const dt = 0.1;
const derived = loadDerived(
  fileURLToPath(new URL("../models/logistic-regression.yaml", import.meta.url)),
  {},
);

async function time(N: number, response: "tangent" | "stein", steinRichardson = true): Promise<number> {
  const t0 = performance.now();
  const opts = { dynamics: "sgf" as const, dt, T: N * dt, samples: M, seed: 1, threads: 1, response };
  await solveMc(derived, opts, { steinRichardson });
  return (performance.now() - t0) / 1000;
}

await time(20, "tangent"); // warm-up (JIT of both paths)
await time(20, "stein");
console.log(`logistic regression, Monte-Carlo DMFT, M = ${M} samples, one thread`);
for (const N of [40, 100, 300]) {
  const tan = await time(N, "tangent");
  const st = await time(N, "stein");
  const raw = await time(N, "stein", false);
  console.log(
    `N = ${N}: tangent ${tan.toFixed(2)} s; stein (Richardson in 1/M) ${st.toFixed(2)} s = ` +
      `${(st / tan).toFixed(2)}x; raw stein ${raw.toFixed(2)} s = ${(raw / tan).toFixed(2)}x`,
  );
}
