// Benchmark of the Monte-Carlo DMFT solver (issue 9): logistic regression, N = 100 steps, M = 20000.
// Baselines run in the same script: bench/solver_ref.py (numpy, same scheme; it times its compute only) and
// the O(M N^3 / 6) multiply-add floor of the tangent loop at this machine's measured scalar throughput on
// both cores.
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

// The compiled dist/ build is timed, as `npx dmftkit` runs it (bench/run.mjs builds it first): solver
// workers started from the TypeScript sources would also pay tsx's transpilation at start-up.
const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { solveMc } = (await import(
  dist("solvers/mc/index.js")
)) as typeof import("../src/solvers/mc/index.js");
const { loadDerived } = (await import(
  dist("symbolic/index.js")
)) as typeof import("../src/symbolic/index.js");
const { defaultThreads } = (await import(dist("util/workers.js"))) as typeof import("../src/util/workers.js");

const N = 100;
const M = 20000;
const dt = 0.04;

/** Nanoseconds per multiply-add of a 4-way unrolled dot product (the shape of the solver's hot loop). */
function fmaNs(): number {
  const n = 512;
  const x = new Float64Array(n).fill(1.0001);
  const y = new Float64Array(n).fill(0.9999);
  const dot = (): number => {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let a = 0; a < n; a += 4) {
      s0 += x[a] * y[a];
      s1 += x[a + 1] * y[a + 1];
      s2 += x[a + 2] * y[a + 2];
      s3 += x[a + 3] * y[a + 3];
    }
    return s0 + s1 + s2 + s3;
  };
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let rep = 0; rep < 10; rep++) {
    const reps = 100_000;
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) sink += dot();
    best = Math.min(best, ((performance.now() - t0) * 1e6) / (reps * n));
  }
  if (sink === 0) throw new Error("unreachable");
  return best;
}

const derived = loadDerived(fileURLToPath(new URL("../models/logistic-regression.yaml", import.meta.url)));
const threads = defaultThreads();
const ns = fmaNs();
/** CPU seconds of this process (all threads) since `c`. */
const cpuSince = (c: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1e6;
};
// Cold: the first solve in this process (starts the worker threads, compiles the kernels, JIT warm-up).
// Warm: the same solve again; the worker pool is reused as it is by a CLI run that solves several times.
// numpy's own timing excludes its import and start-up, so the warm figure is the like-for-like one.
const opts = { dynamics: "sgf", dt, T: N * dt, samples: M, seed: 1 } as const;
const timed = async () => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const res = await solveMc(derived, opts);
  return { res, wall: (performance.now() - t0) / 1000, cpu: cpuSince(c0) };
};
const cold = await timed();
const warm = await timed();
const res = warm.res;

const ref = spawnSync(
  "python3",
  [fileURLToPath(new URL("./solver_ref.py", import.meta.url)), `${dt}`, `${N}`, `${M}`],
  {
    encoding: "utf8",
  },
);
const numpy =
  ref.status === 0
    ? (JSON.parse(ref.stdout.trim()) as { seconds: number; cpu_seconds: number; train_loss_T: number })
    : null;

const floor = (((M * N ** 3) / 6) * ns * 1e-9) / threads;
const k = res.t.length - 1;
console.log(`logistic regression, N = ${N} steps, M = ${M} samples, ${threads} threads`);
console.log(
  `scalar multiply-add: ${ns.toFixed(3)} ns; O(M N^3/6) floor on ${threads} cores: ${floor.toFixed(2)} s`,
);
console.log(
  `dmftkit solveMc: warm ${warm.wall.toFixed(2)} s (${(warm.wall / floor).toFixed(2)}x the floor), cold ` +
    `${cold.wall.toFixed(2)} s (${(cold.wall / floor).toFixed(2)}x); train loss at T ` +
    `${res.observables.train_loss![k].toFixed(4)} ± ${res.stderr.train_loss![k].toFixed(4)}`,
);
if (numpy) {
  console.log(
    `numpy reference: ${numpy.seconds.toFixed(2)} s (train loss at T ${numpy.train_loss_T.toFixed(4)}); ` +
      `speed-up over numpy: ${(numpy.seconds / warm.wall).toFixed(2)}x warm, ` +
      `${(numpy.seconds / cold.wall).toFixed(2)}x cold`,
  );
  // CPU time (all threads) suffers less than wall time from other load on the machine (but spinning BLAS
  // threads inflate numpy's).
  console.log(
    `CPU seconds: dmftkit warm ${warm.cpu.toFixed(2)}, cold ${cold.cpu.toFixed(2)}, numpy ` +
      `${numpy.cpu_seconds.toFixed(2)}; load average ${loadavg()[0].toFixed(2)}`,
  );
} else {
  console.log(`numpy reference failed: ${ref.stderr.trim().split("\n").pop()}`);
}
