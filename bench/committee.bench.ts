// Benchmark of vector models (issue 7): the Monte-Carlo DMFT solver on the erf committee (k = k* = 2)
// against the same model with one unit (k = k* = 1) at equal N and M, run in the same script. The tangent
// loop costs k^3 M N^3 / 6 multiply-adds, the Gram–Schmidt moment matching ~ k^2 M N^2.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseModel } from "../src/model/load.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { derive } from "../src/symbolic/index.js";

const N = 40;
const M = 20000;
const dt = 0.1;
const path = fileURLToPath(new URL("../models/committee-erf.yaml", import.meta.url));
const text = readFileSync(path, "utf8");
const k2 = derive(parseModel(text, path));
const k1 = derive(
  parseModel(
    text
      .replace(/^k: .*$/m, "k: 1")
      .replace(/^k_teacher: .*$/m, "k_teacher: 1")
      .replace(/^activation: .*$/m, "activation: erf(r / sqrt(2))")
      .replace(/^label: .*$/m, "label: erf(wstar / sqrt(2)) + sigma * eps"),
    "committee-erf with one unit",
  ),
);

async function time(d: typeof k1): Promise<number> {
  const t0 = performance.now();
  await solveMc(d, { dynamics: "sgf", dt, T: N * dt, samples: M, seed: 1 });
  return (performance.now() - t0) / 1000;
}

// Warm-up of both (worker start, JIT of the k = 1 and k = 2 code paths), then the timed solves.
await time(k1);
await time(k2);
const t1 = await time(k1);
const t2 = await time(k2);
console.log(`erf committee, Monte-Carlo DMFT, N = ${N} steps, M = ${M} samples`);
console.log(`k = 1: ${t1.toFixed(2)} s; k = 2: ${t2.toFixed(2)} s; ratio k=2/k=1: ${(t2 / t1).toFixed(2)}`);
