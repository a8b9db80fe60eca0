// The finite-d simulators' entry point (every k >= 1): checks options and memory, builds one task per seed
// (each with its own Rng streams, so results do not depend on the thread count), runs them on worker
// threads and reduces them to means and standard errors (sd over seeds / sqrt(seeds)) on the recording grid.
import { totalmem } from "node:os";
import { mergeKernelUsage } from "../kernels/loader.js";
import { modelMeta } from "../model/meta.js";
import { isVector, kernelShape, overlapNames } from "../observables/names.js";
import { resetSlots, stepSchedule } from "../symbolic/schedule.js";
import type { Derived, ObservableName, Result, SimulateMeta } from "../types.js";
import { batchLaw, batchMeta } from "../util/batch.js";
import { checkMemory, UsageError } from "../util/errors.js";
import type { Executor, TaskKind } from "../util/executor.js";
import { calibratedRate } from "../util/feasibility.js";
import { type RecordSpec, recordMeta } from "../util/record.js";
import { meanAndStderr } from "../util/stats.js";
import { defaultExecutor, defaultThreads } from "../util/workers.js";
import { planGrid, planSgdSchedule } from "./grid.js";
import { runSeed, type SeedResult, type SeedTask } from "./seed.js";
import { run, type WorkerTask } from "./worker.js";

export interface SimulateOptions {
  d: number;
  seeds: number;
  dynamics: "sgf" | "gd" | "sgd" | "sgd-fraction";
  batch?: number;
  /** sgd-fraction: batch fraction b in (0, 1] and persistence time tau_p (0 or absent: independent draws). */
  batchFraction?: number;
  persistence?: number;
  /** SGD under a tau schedule: eta_s = batch tau(t_s) ("eta", default) or fixed eta = batch tau(0) and
   *  batch size B_s = round(eta / tau(t_s)) ("batch"). */
  sgdSchedule?: "eta" | "batch";
  dt?: number;
  T?: number;
  /** Recording interval (a multiple of dt; for SGD rounded to whole steps). Default dt. */
  record?: number;
  /** Instead of `record`: every K-th point of the dt grid, or log-spaced points (src/util/record.ts). */
  recordEvery?: RecordSpec;
  seed: number;
  twoTime?: boolean;
  /** theta* and theta^0 with exactly their d -> infinity overlaps (see SeedTask.exactInit). */
  exactInit?: boolean;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  /** How the seeds run (default: in-process for one thread, else worker threads). */
  executor?: Executor;
}

/** The seeds as executor tasks; in-process they use the Derived's own functions (see simulate). */
const SEED_TASKS: TaskKind<WorkerTask, SeedResult> = {
  name: "sim-seed",
  url: new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url),
  runHere: run,
};

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new UsageError(`simulate: ${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Bytes held at once: X and the d x k / n x k work arrays per concurrent seed (plus the recorded thetas and
 * C_theta when twoTime), and the per-seed series kept on the main thread (nSeries curves).
 */
function memoryEstimate(
  s: { n: number; d: number; k: number; K: number; nSeries: number },
  twoTime: boolean,
  seeds: number,
  threads: number,
) {
  const { n, d, k, K } = s;
  const c = twoTime ? (K + 1) ** 2 * k * k : 0;
  const perSeed = 8 * (n * d + 4 * n * k + 6 * d * k) + (twoTime ? 8 * ((K + 1) * d * k + c) : 0);
  const kept = seeds * 8 * (s.nSeries * (K + 1) + c);
  return Math.min(threads, seeds) * perSeed + kept;
}

/**
 * Work per seed in calibration multiply-adds (src/util/feasibility.ts): SGF/GD two n x d x k products per
 * step; SGD a B x d x k product and ~30 d k of per-step overhead (measured); each record a full train loss.
 */
function seedWork(
  s: { n: number; d: number; k: number },
  dynamics: string,
  steps: number,
  batch: number,
  K: number,
) {
  const { n, d, k } = s;
  const perStep = dynamics === "sgd" ? (2 * batch + 30) * d * k : 2 * n * d * k + 10 * (n + d) * k;
  return steps * perStep + (K + 1) * n * d * k;
}

/** A checked simulation: grid, sizes, threads, memory and estimated time (refuses bad input, UsageError). */
export function planSimulate(derived: Derived, opts: SimulateOptions) {
  const model = derived.model;
  const d = positiveInt("d", opts.d);
  const seeds = positiveInt("seeds", opts.seeds);
  const { delta, tau } = model.parameters;
  const n = Math.round(delta * d);
  if (n < 1) throw new UsageError(`simulate: n = round(delta d) = ${n}; increase d or delta`);
  if (n * d > 2 ** 32 - 1)
    throw new UsageError(`simulate: X would have n d = ${n * d} entries (limit 2^32 - 1)`);
  const grid = planGrid(opts, model.time, tau, d);
  const fraction =
    opts.dynamics === "sgd-fraction"
      ? batchLaw(opts.batchFraction, opts.persistence, grid.dt, "simulate")
      : undefined;
  if (!fraction && (opts.batchFraction !== undefined || opts.persistence !== undefined))
    throw new UsageError(
      "simulate: --batch-fraction and --persistence apply to --dynamics sgd-fraction only",
    );
  // Schedules (issue 16): per-step values; SGD steps then have their own lengths eta_s / d.
  let schedule: SeedTask["schedule"];
  let batchRounding: number | undefined;
  if (opts.sgdSchedule === "batch" && !(opts.dynamics === "sgd" && derived.schedule?.names.includes("tau")))
    throw new UsageError("simulate: --sgd-schedule batch needs --dynamics sgd and a schedule on tau");
  if (derived.schedule && opts.dynamics === "sgd") {
    // tau(t) > 0 on the DMFT grid first: a tau that reaches 0 would make SGD steps shrink without end.
    const T = opts.T ?? model.time.T;
    const dt = opts.dt ?? model.time.dt;
    stepSchedule(model, derived.schedule, dt, Math.round(T / dt), "simulate", { positiveTau: true });
    const plan = planSgdSchedule(derived.schedule, model.parameters, grid, T, d, opts.sgdSchedule);
    schedule = plan.schedule;
    grid.recordSteps = plan.recordSteps;
    batchRounding = plan.batchRounding;
  } else {
    const N = grid.recordSteps[grid.recordSteps.length - 1];
    schedule = stepSchedule(model, derived.schedule, grid.dt, N, "simulate", {
      gd: opts.dynamics === "gd" || opts.dynamics === "sgd-fraction",
    });
  }
  const K = grid.recordSteps.length - 1;
  const steps = grid.recordSteps[K];
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), seeds));
  const twoTime = opts.twoTime ?? false;
  const { k, kTeacher } = model;
  const names: ObservableName[] = [
    "train_loss",
    "test_loss",
    ...overlapNames(k, kTeacher).map((e) => e.name),
  ];
  if (derived.binaryLabels) names.push("test_error");
  const bytes = memoryEstimate({ n, d, k, K, nSeries: names.length + 1 }, twoTime, seeds, threads);
  checkMemory(
    `simulate (X is ${n} x ${d} doubles per running seed, theta ${d} x ${k})`,
    bytes,
    Math.min(16 * 2 ** 30, 0.75 * totalmem()),
  );
  const work = seeds * seedWork({ n, d, k }, opts.dynamics, steps, grid.batch, K);
  const seconds = work / calibratedRate() / threads;
  return {
    d,
    seeds,
    n,
    grid,
    K,
    steps,
    threads,
    twoTime,
    names,
    bytes,
    seconds,
    fraction,
    schedule,
    batchRounding,
  };
}

/** Simulates `opts.seeds` independent problems of dimension d and returns mean curves with standard errors. */
export async function simulate(derived: Derived, opts: SimulateOptions): Promise<Result<SimulateMeta>> {
  const started = performance.now();
  const model = derived.model;
  const { tau } = model.parameters;
  const { k, kTeacher } = model;
  const { d, seeds, n, grid, K, steps, threads, twoTime, names, seconds, fraction, schedule, batchRounding } =
    planSimulate(derived, opts);
  // Exact initial overlaps need room for k + k* orthogonal columns.
  const exactInit = (opts.exactInit ?? false) && d >= k + kTeacher;
  const tasks: SeedTask[] = Array.from({ length: seeds }, (_, seedIndex) => ({
    binaryLabels: derived.binaryLabels,
    k,
    kTeacher,
    d,
    n,
    tau,
    rhoStar: model.teacherVariance,
    initStd: model.initStd,
    initOverlap: model.initOverlap,
    dynamics: opts.dynamics,
    ...(fraction ? { fraction } : {}),
    dt: grid.dt,
    batch: grid.batch,
    recordSteps: grid.recordSteps,
    seed: opts.seed,
    seedIndex,
    twoTime,
    exactInit,
    ...(schedule ? { schedule } : {}),
  }));
  opts.onProgress?.(0, seeds);
  const executor = opts.executor ?? defaultExecutor(threads);
  const here = { ...derived, slots: derived.schedule?.slots };
  let results: SeedResult[];
  try {
    results = await executor.run(
      { ...SEED_TASKS, runHere: (w: WorkerTask) => runSeed(here, w.task) },
      tasks.map((task) => ({ task, sources: derived.sources })),
      { threads, onDone: opts.onProgress },
    );
  } finally {
    resetSlots(derived);
  }
  const observables: Result["observables"] = {};
  const stderr: Result["stderr"] = {};
  for (const name of names) {
    const { mean, stderr: se } = meanAndStderr(results.map((r) => r.observables[name] as Float64Array));
    observables[name] = mean;
    stderr[name] = se;
  }
  const result: Result<SimulateMeta> = {
    t: grid.recordSteps.map((s) => (schedule?.times ? schedule.times[s] : s * grid.dt)),
    observables,
    stderr,
    meta: {
      ...modelMeta(model),
      ...(isVector(k, kTeacher) ? { k, k_teacher: kTeacher } : {}),
      d,
      n,
      delta_effective: n / d,
      seeds,
      seed: opts.seed,
      ...(exactInit ? { init: "exact d -> infinity overlaps (Gram-Schmidt)" } : {}),
      dynamics: opts.dynamics,
      ...batchMeta({ batch: fraction }),
      dt: grid.dt,
      T: steps * grid.dt,
      record: opts.recordEvery === undefined ? grid.record : recordMeta(opts.recordEvery),
      steps,
      ...(opts.dynamics === "sgd"
        ? {
            batch: grid.batch,
            eta: schedule ? "batch * tau(t_s) per step" : tau * grid.batch,
            ...(schedule?.batches
              ? {
                  batch: "round(eta / tau(t_s)) per step",
                  eta: schedule.eta,
                  batchSizes: [Math.min(...schedule.batches), Math.max(...schedule.batches)],
                  batchRounding,
                }
              : {}),
          }
        : {}),
      kernels: mergeKernelUsage(results.map((r) => r.kernels)),
      timings: {
        total_s: (performance.now() - started) / 1000,
        estimated_s: seconds,
        seconds_per_step: results.reduce((s, r) => s + r.seconds / Math.max(1, r.steps), 0) / seeds,
      },
    },
  };
  if (twoTime) {
    const { mean, stderr: se } = meanAndStderr(results.map((r) => r.C_theta as Float64Array));
    const shape = kernelShape([K + 1, K + 1], k, kTeacher);
    result.kernels = { C_theta: { shape, data: mean, stderr: se } };
  }
  return result;
}
