// Benchmark of `dmftkit sweep` (issue 17): a 16-point sweep (tau x lambda, logistic regression) on 2 cores
// against its baseline, the same 16 solves as sequential `dmftkit solve` commands (the shell loop a sweep
// replaces; each uses both cores). Both run the compiled CLI (bench/run.mjs builds dist/). Goal: ratio <= 0.6.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/dmftkit.js", import.meta.url));
const model = fileURLToPath(new URL("../models/logistic-regression.yaml", import.meta.url));
const TAU = [0.25, 0.5, 1, 2];
const LAMBDA = [0.01, 0.03, 0.1, 0.3];
const SOLVE = ["--samples", "4000", "--T", "4", "--seed", "1", "--quiet"];

function run(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`dmftkit ${args.join(" ")} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), "dmftkit-bench-sweep-"));
const load0 = loadavg()[0];
let plain = 0;
for (const tau of TAU)
  for (const lambda of LAMBDA)
    plain += run([
      "solve",
      model,
      ...SOLVE,
      "--set",
      `tau=${tau}`,
      "--set",
      `lambda=${lambda}`,
      "--out",
      join(dir, "p.json"),
    ]);
const grid = ["--grid", `tau=${TAU.join(",")}`, "--grid", `lambda=${LAMBDA.join(",")}`];
const sweep = run(["sweep", model, ...SOLVE, ...grid, "--jobs", "2", "--out", join(dir, "sweep")]);
// Re-running the finished sweep only reads the store and rewrites the collected files.
const again = run(["sweep", model, ...SOLVE, ...grid, "--jobs", "2", "--out", join(dir, "sweep")]);
rmSync(dir, { recursive: true, force: true });

console.log(`16-point sweep (logistic, samples 4000, T = 4, dt = 0.1), 2 cores`);
console.log(`  16 sequential dmftkit solve: ${plain.toFixed(2)} s (${(plain / 16).toFixed(2)} s per solve)`);
console.log(`  dmftkit sweep --jobs 2:      ${sweep.toFixed(2)} s`);
console.log(`  ratio sweep / sequential:    ${(sweep / plain).toFixed(2)} (goal <= 0.6)`);
console.log(`  re-run (all points stored):  ${again.toFixed(2)} s`);
console.log(`  load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
