// solveMc: the Monte-Carlo DMFT solver (issue 9). Checks the options, estimates memory, runs G fully
// independent group solves (src/solvers/mc/group.ts) on worker threads, and combines them: the reported
// value is the mean over groups and its standard error the spread over groups / sqrt(G). Each group
// needs population averages of its own samples at every step, so a group is one task: no per-step
// messages between threads, and results never depend on the thread count.
import { totalmem } from "node:os";
import { resetSlots, stepSchedule } from "../../symbolic/schedule.js";
import type { Derived, Result } from "../../types.js";
import { batchLaw, batchMeta, fractionTau } from "../../util/batch.js";
import { checkMemory, UsageError } from "../../util/errors.js";
import { defaultThreads, mapInWorkers, prewarmWorkers } from "../../util/workers.js";
import type { SolveOptions } from "../options.js";
import { combineGroups, type GroupResult } from "./combine.js";
import { inputColumns, type SchemeParams } from "./group.js";
import { type GroupTask, runGroup } from "./worker.js";

/** Internal switches, used by tests and measurements only. */
export interface McInternals {
  /** Moment-matched (orthonormalised) Gaussian inputs; default true. */
  orthogonal?: boolean;
  /** Drop the noise cross term of Cov(nu) (the wrong scheme the theory note warns about). */
  dropCrossTerm?: boolean;
}

const WORKER_URL = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);

/** Starts the solver's worker threads ahead of a solve (the CLI does this while it loads the model). */
export function prewarmMc(threads?: number): void {
  prewarmWorkers(WORKER_URL, threads);
}

/** Bytes held by one group solve of `samples` samples over N steps with U units and V teacher units. */
export function groupBytes(p: SchemeParams, samples: number, U = 1, V = 1): number {
  const N1 = p.N + 1;
  const [predCols, parCols] = inputColumns(p, U, V);
  // Histories per sample: theta and A (U per step), Cc (U^2 per step), l (U per step, dropCrossTerm only).
  // Plus the kernels' per-sample work columns (conditional draws, memory terms, block Gram–Schmidt).
  const perSample =
    predCols + parCols + N1 * (U * (p.dropCrossTerm ? 3 : 2) + U * U) + 4 * V + 8 * U * U + 5 * U + 3;
  return 8 * (samples * perSample + 7 * N1 * N1 * U * U + (V + U * N1) ** 2);
}

/** A checked Monte-Carlo run: one scheme per time step (dt, and dt/2 with --extrapolate), group sizes, cost. */
export interface McPlan {
  levels: SchemeParams[];
  sizes: number[];
  threads: number;
  /** Peak memory of the concurrently running group solves. */
  bytes: number;
  /** Multiply-adds of the tangent loop and the Gram–Schmidt moment matching (the dominant terms). */
  multiplyAdds: number;
}

/** Checks the options and estimates memory and work; refuses (UsageError) before anything is allocated. */
export function planMc(derived: Derived, opts: SolveOptions, internals: McInternals = {}): McPlan {
  const model = derived.model;
  const dt = opts.dt ?? model.time.dt;
  const T = opts.T ?? model.time.T;
  if (!(dt > 0) || !(T > 0)) throw new UsageError(`solve: dt and T must be positive (dt = ${dt}, T = ${T})`);
  const N = Math.round(T / dt);
  if (N < 1) throw new UsageError(`solve: T = ${T} is shorter than one step dt = ${dt}`);
  const M = opts.samples ?? 20000;
  const G = opts.groups ?? 8;
  if (!Number.isInteger(G) || G < 2)
    throw new UsageError(`solve: --groups must be an integer >= 2, got ${G}`);
  if (!Number.isInteger(M) || M < G) throw new UsageError("solve: --samples must be an integer >= groups");
  const { delta } = model.parameters;
  // sgd-fraction: dt is the learning rate and the noise comes from the batch law, so a tau schedule has no
  // meaning there (its values are ignored, like under gradient flow).
  const scheduleAt = (dt: number, N: number) =>
    stepSchedule(model, derived.schedule, dt, N, "solve", {
      gd: opts.dynamics === "gd" || opts.dynamics === "sgd-fraction",
      positiveTau: opts.dynamics === "sgd-limit",
    });
  const schedule = scheduleAt(dt, N);
  const tau = schedule ? Math.max(...schedule.tau) : model.parameters.tau;
  if (opts.dynamics === "sgd-limit" && !(tau > 0)) {
    throw new UsageError("solve: --dynamics sgd-limit needs tau > 0 (jump rate 1/(tau delta))");
  }
  const orthogonal = internals.orthogonal ?? true;
  const fraction = opts.dynamics === "sgd-fraction";
  const batch = fraction ? batchLaw(opts.batchFraction, opts.persistence, dt, "solve") : undefined;
  const params: SchemeParams = {
    dynamics: opts.dynamics,
    dt,
    N,
    delta,
    // sgd-fraction: the SGF noise level with the same Var dxi, tau = dt (1 - b) / (b delta).
    tau: opts.dynamics === "gd" ? 0 : batch ? fractionTau(batch.b, dt, delta) : tau,
    ...(schedule ? { schedule } : {}),
    rhoStar: model.teacherVariance,
    initStd: model.initStd,
    initOverlap: model.initOverlap,
    ...(batch ? { batch } : {}),
    kernels: opts.kernels ?? false,
    orthogonal,
    dropCrossTerm: internals.dropCrossTerm ?? false,
  };
  const levels: SchemeParams[] = [params];
  if (opts.extrapolate) {
    if (fraction)
      throw new UsageError("solve: --extrapolate does not apply to sgd-fraction (dt is the learning rate)");
    const half = scheduleAt(dt / 2, 2 * N);
    levels.push({ ...params, dt: dt / 2, N: 2 * N, kernels: false, ...(half ? { schedule: half } : {}) });
  }

  const sizes = Array.from({ length: G }, (_, g) => Math.floor(M / G) + (g < M % G ? 1 : 0));
  const finest = levels[levels.length - 1];
  const minSamples = 2 * Math.max(...inputColumns(finest, model.k, model.kTeacher)); // twice the input columns
  if (orthogonal && sizes[G - 1] <= minSamples) {
    throw new UsageError(
      `solve: --samples ${M} in ${G} groups leaves ${sizes[G - 1]} sample${sizes[G - 1] === 1 ? "" : "s"} in the smallest group, ` +
        `too few for ${finest.N} steps (need more than ${minSamples} per group, i.e. --samples >= ${G * (minSamples + 1)}); ` +
        "raise --samples or lower --groups",
    );
  }
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), G * levels.length));
  const bytes =
    Math.min(threads, G) *
    levels.reduce((b, lv) => Math.max(b, groupBytes(lv, sizes[0], model.k, model.kTeacher)), 0);
  checkMemory("solve (Monte-Carlo DMFT)", bytes, Math.min(16 * 2 ** 30, 0.8 * totalmem()));
  const multiplyAdds = levels.reduce(
    (a, lv) => a + M * (model.k ** 3 * (lv.N ** 3 / 6) + (orthogonal ? 5 * (model.k * lv.N) ** 2 : 0)),
    0,
  );
  return { levels, sizes, threads, bytes, multiplyAdds };
}

export async function solveMc(
  derived: Derived,
  opts: SolveOptions,
  internals: McInternals = {},
): Promise<Result> {
  const started = performance.now();
  const { levels, sizes, threads, bytes, multiplyAdds } = planMc(derived, opts, internals);
  const G = sizes.length;
  const { dt, N, orthogonal } = levels[0];
  const model = derived.model;
  const tasks: GroupTask[] = [];
  levels.forEach((lv, tag) => {
    for (let g = 0; g < G; g++) {
      tasks.push({
        sources: derived.sources,
        k: model.k,
        kTeacher: model.kTeacher,
        binaryLabels: derived.binaryLabels,
        params: lv,
        spec: { seed: opts.seed, tag, group: g, samples: sizes[g] },
      });
    }
  });
  const t0 = performance.now();
  let results: GroupResult[] = [];
  if (threads === 1) {
    const model = { ...derived, slots: derived.schedule?.slots };
    try {
      for (const task of tasks) {
        results.push(runGroup(model, task));
        opts.onProgress?.(results.length, tasks.length);
      }
    } finally {
      resetSlots(derived);
    }
  } else {
    results = await mapInWorkers(WORKER_URL, tasks, { threads, onDone: opts.onProgress });
  }
  const outs = results.map((r) => r.out);
  const solveSeconds = (performance.now() - t0) / 1000;

  const result = combineGroups(derived, levels, results, G);
  result.meta = {
    solver: "mc",
    model: model.name,
    source: model.source,
    parameters: model.parameters,
    ...(model.schedules ? { schedules: model.schedules } : {}),
    init_std: model.initStd,
    init_overlap: model.initOverlap,
    teacher_variance: model.teacherVariance,
    dynamics: opts.dynamics,
    ...batchMeta(levels[0]),
    dt,
    T: N * dt,
    steps: N,
    seed: opts.seed,
    samples: opts.samples ?? 20000,
    groups: G,
    stderr: "standard deviation over independent sample groups / sqrt(groups)",
    varianceReduction: orthogonal ? "moment-matched (orthonormalised) Gaussian inputs" : "none",
    extrapolate: opts.extrapolate
      ? "Richardson 2 f(dt/2) - f(dt) per group, on the dt grid (kernels, if any, are from the dt solve)"
      : false,
    clampedPivots: outs.reduce((a, o) => a + o.clamped, 0),
    zeroPivots: outs.reduce((a, o) => a + o.zeroPivots, 0),
    memoryBytes: bytes,
    multiplyAdds,
    timings: { solveSeconds, totalSeconds: (performance.now() - started) / 1000 },
  };
  return result;
}
