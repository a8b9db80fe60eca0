// Benchmark of solve --resume (issue 15): a resume from a checkpoint at N to N' against a single solve to N'
// in the same script (logistic regression, 16000 samples in 4 groups, one thread), for the tangent and
// Stein, doubling the horizon (N = 100 -> 200) and extending it by 10 % (200 -> 220). A resume reads the
// checkpoint file, runs steps N..N' and rebuilds each group (the tangent's inputs: Gram–Schmidt over all N'
// columns, O(M N'^2); Stein's: only the new columns); the ratios show how much of a single solve that still
// costs (CPU time of this process, the file's reading and checksums included).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckpoint } from "../src/solvers/mc/checkpoint-file.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { loadDerived } from "../src/symbolic/index.js";

const derived = loadDerived(new URL("../models/logistic-regression.yaml", import.meta.url).pathname, {});
const dir = mkdtempSync(join(tmpdir(), "dmftkit-ckpt-bench-"));
const base = { dynamics: "sgf" as const, dt: 0.1, samples: 16000, groups: 4, seed: 1, threads: 1 };

/** CPU seconds of this process (one thread: all the work runs here), less disturbed by a shared machine than wall time. */
async function seconds(f: () => Promise<unknown>): Promise<number> {
  const t0 = process.cpuUsage();
  await f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6;
}

for (const response of ["tangent", "stein"] as const) {
  for (const [N0, N1] of [
    [100, 200],
    [200, 220],
  ]) {
    const opts = { ...base, response };
    const file = join(dir, `${response}-${N0}.ckpt`);
    await solveMc(derived, { ...opts, T: N0 * base.dt }, {}, { save: file });
    const T = N1 * base.dt;
    // CPU time of this process: little disturbed by a shared machine.
    const a = await seconds(() =>
      solveMc(derived, { ...opts, T }, {}, { resume: { file, ...readCheckpoint(file) } }),
    );
    const b = await seconds(() => solveMc(derived, { ...opts, T }));
    console.log(
      `${response.padEnd(7)} resume N = ${N0} -> ${N1}: ${a.toFixed(2)} s CPU; single solve to ${N1}: ${b.toFixed(2)} s CPU; ratio ${(a / b).toFixed(2)}`,
    );
  }
}
rmSync(dir, { recursive: true });
