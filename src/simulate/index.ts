// The finite-d simulators' entry point: checks options and memory, builds one task per seed (each with
// its own Rng streams, so results do not depend on the thread count), runs them on worker threads and
// reduces them to means and standard errors (sd over seeds / sqrt(seeds)) on the recording grid.
import { totalmem } from "node:os";
import type { Derived, ObservableName, Result } from "../types.js";
import { checkMemory, UsageError } from "../util/errors.js";
import { meanAndStderr } from "../util/stats.js";
import { defaultThreads, mapInWorkers } from "../util/workers.js";
import { planGrid } from "./grid.js";
import { runSeed, type SeedResult, type SeedTask } from "./seed.js";
import type { WorkerTask } from "./worker.js";

export interface SimulateOptions {
  d: number;
  seeds: number;
  dynamics: "sgf" | "gd" | "sgd";
  batch?: number;
  dt?: number;
  T?: number;
  /** Recording interval (a multiple of dt; for SGD rounded to whole steps). Default dt. */
  record?: number;
  seed: number;
  twoTime?: boolean;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new UsageError(`simulate: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** Bytes held at once: X and vectors per concurrent seed, plus per-seed results kept on the main thread. */
function memoryEstimate(n: number, d: number, K: number, twoTime: boolean, seeds: number, threads: number) {
  const perSeed = 8 * (n * d + 4 * n + 6 * d) + (twoTime ? 8 * ((K + 1) * d + (K + 1) ** 2) : 0);
  const kept = seeds * 8 * (6 * (K + 1) + (twoTime ? (K + 1) ** 2 : 0));
  return Math.min(threads, seeds) * perSeed + kept;
}

/** Simulates `opts.seeds` independent problems of dimension d and returns mean curves with standard errors. */
export async function simulate(derived: Derived, opts: SimulateOptions): Promise<Result> {
  const started = performance.now();
  const model = derived.model;
  if (model.k !== 1) throw new UsageError("simulate: k > 1 is not supported yet (issue 7)");
  const d = positiveInt("d", opts.d);
  const seeds = positiveInt("seeds", opts.seeds);
  const { delta, tau } = model.parameters;
  const n = Math.round(delta * d);
  if (n < 1) throw new UsageError(`simulate: n = round(delta d) = ${n}; increase d or delta`);
  if (n * d > 2 ** 32 - 1)
    throw new UsageError(`simulate: X would have n d = ${n * d} entries (limit 2^32 - 1)`);
  const grid = planGrid(opts, model.time, tau, d);
  const K = grid.recordSteps.length - 1;
  const steps = grid.recordSteps[K];
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), seeds));
  const twoTime = opts.twoTime ?? false;
  checkMemory(
    `simulate (X is ${n} x ${d} doubles per running seed)`,
    memoryEstimate(n, d, K, twoTime, seeds, threads),
    Math.min(16 * 2 ** 30, 0.75 * totalmem()),
  );
  const tasks: SeedTask[] = Array.from({ length: seeds }, (_, seedIndex) => ({
    binaryLabels: derived.binaryLabels,
    d,
    n,
    tau,
    rhoStar: model.teacherVariance,
    initStd: model.initStd,
    dynamics: opts.dynamics,
    dt: grid.dt,
    batch: grid.batch,
    recordSteps: grid.recordSteps,
    seed: opts.seed,
    seedIndex,
    twoTime,
  }));
  let results: SeedResult[];
  if (threads === 1) {
    results = [];
    for (const task of tasks) {
      results.push(runSeed(derived.fns, task));
      opts.onProgress?.(results.length, seeds);
    }
  } else {
    const url = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
    const wtasks: WorkerTask[] = tasks.map((task) => ({ task, sources: derived.sources }));
    results = await mapInWorkers<WorkerTask, SeedResult>(url, wtasks, { threads, onDone: opts.onProgress });
  }
  const names = ["train_loss", "test_loss", "q", "m"] as const satisfies ObservableName[];
  const observables: Result["observables"] = {};
  const stderr: Result["stderr"] = {};
  for (const name of derived.binaryLabels ? [...names, "test_error" as const] : names) {
    const { mean, stderr: se } = meanAndStderr(results.map((r) => r[name] as Float64Array));
    observables[name] = mean;
    stderr[name] = se;
  }
  const result: Result = {
    t: grid.recordSteps.map((s) => s * grid.dt),
    observables,
    stderr,
    meta: {
      model: model.name,
      source: model.source,
      parameters: model.parameters,
      init_std: model.initStd,
      teacher_variance: model.teacherVariance,
      d,
      n,
      delta_effective: n / d,
      seeds,
      seed: opts.seed,
      dynamics: opts.dynamics,
      dt: grid.dt,
      T: steps * grid.dt,
      record: grid.record,
      steps,
      ...(opts.dynamics === "sgd" ? { batch: grid.batch, eta: tau * grid.batch } : {}),
      kernel: results[0].kernel,
      timings: {
        total_s: (performance.now() - started) / 1000,
        seconds_per_step: results.reduce((s, r) => s + r.seconds / Math.max(1, r.steps), 0) / seeds,
      },
    },
  };
  if (twoTime) {
    const { mean, stderr: se } = meanAndStderr(results.map((r) => r.C_theta as Float64Array));
    result.kernels = { C_theta: { shape: [K + 1, K + 1], data: mean, stderr: se } };
  }
  return result;
}
