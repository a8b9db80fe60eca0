// solveMc: the Monte-Carlo DMFT solver (issue 9). Plans the run (plan.ts: options, estimator, sizes, memory
// and time), runs G fully independent group solves (group.ts) as tasks of an executor, and combines them:
// the reported value is the mean over groups and its standard error the spread over groups / sqrt(G). Each
// group needs population averages of its own samples at every step, so a group is one task: no per-step
// messages between threads, and results never depend on the thread count or the executor.
import { mergeKernelUsage } from "../../kernels/loader.js";
import { modelMeta } from "../../model/meta.js";
import { resetSlots } from "../../symbolic/schedule.js";
import type { Derived, McMeta, Result } from "../../types.js";
import { batchMeta } from "../../util/batch.js";
import { UsageError } from "../../util/errors.js";
import type { TaskKind } from "../../util/executor.js";
import { recordMeta } from "../../util/record.js";
import { defaultExecutor, defaultThreads, sharedThreads } from "../../util/workers.js";
import type { SolveOptions } from "../options.js";
import {
  type CheckpointHeader,
  checkHorizon,
  checkpointHeader,
  checkResume,
  stateDoubles,
} from "./checkpoint.js";
import { abandonCheckpoint, finishCheckpoint, type StateSlot, startCheckpoint } from "./checkpoint-file.js";
import { orthoBlock } from "./columns.js";
import {
  combineGroups,
  type EvaluatePoints,
  evaluatePoints,
  type GroupResult,
  type TestPoints,
} from "./combine.js";
import { inputColumns, noiseColumns, type SchemeParams } from "./group.js";
import { type McInternals, planMc, resumePlan } from "./plan.js";
import { type GroupTask, type PointsTask, run, runGroup, type TaskModel } from "./worker.js";

export {
  chooseResponse,
  groupBytes,
  type McInternals,
  type McPlan,
  planMc,
  resumePlan,
  STEIN_FROM_STEPS,
} from "./plan.js";

/** solve --checkpoint / --resume (issue 15, checkpoint.ts and checkpoint-file.ts). */
export interface McContinuation {
  /** Write every group solve's state before its last step to this checkpoint file. */
  save?: string;
  /** Continue from a checkpoint (readCheckpoint) instead of step 0. */
  resume?: { file: string; header: CheckpointHeader; slots: StateSlot[] };
}

/** The group solves as executor tasks; in-process they use the Derived's own functions (see solveMc). */
const GROUP_TASKS: TaskKind<GroupTask, GroupResult> = {
  name: "mc-group",
  url: new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url),
  runHere: run,
};

/** The test-observable quadratures of combine.ts, shared out to the same worker threads. */
const POINT_TASKS: TaskKind<PointsTask, Float64Array> = {
  name: "mc-group",
  url: GROUP_TASKS.url,
  runHere: run,
};

/** Starts the shared worker threads ahead of a solve (the CLI does this while it loads the model). */
export function prewarmMc(threads = defaultThreads()): void {
  if (threads > 1) sharedThreads().prewarm(GROUP_TASKS, threads); // one thread solves in-process
}

/** meta.varianceReduction: one orthonormal block per side, or blocks of what the smallest group allows. */
function varianceReduction(levels: SchemeParams[], smallest: number, U: number, V: number): string {
  const finest = levels[levels.length - 1];
  const width = Math.max(...inputColumns(finest, U, V));
  if (finest.noiseApart) {
    const noise = noiseColumns(finest, U, V).length;
    return (
      `moment-matched Gaussian inputs; prediction side: the ${width - noise} field columns (teacher, label ` +
      `noise, w_k) orthonormalised as one block and the ${noise} noise columns dB_k apart (samples per group ` +
      `too few for all ${width} columns together; the noise is independent of the fields in law)`
    );
  }
  const block = orthoBlock(smallest, width);
  if (block >= width) return "moment-matched (orthonormalised) Gaussian inputs";
  return `moment-matched Gaussian inputs, orthonormalised in blocks of ${block} columns (samples per group too few for all ${width} columns)`;
}

/**
 * A warning when Stein's Richardson correction of the train loss at T is large: it removes the 1/M bias
 * to first order, and what is left is of the order of its square (measured on logistic regression at
 * T = 100, seed 3: correction 16 %, train loss at T ~4 % above its large-M value, which M = 40000 and 80000
 * approach; docs/long-runs.md).
 */
export function largeCorrection(relative: number): { warning?: string } {
  if (!(Math.abs(relative) >= 0.1)) return {};
  const pct = (100 * relative).toFixed(0);
  return {
    warning:
      `Stein's Richardson correction is ${pct} % of the train loss at T; it removes the 1/M bias to first ` +
      "order and leaves a bias of the order of its square (a few %); more samples per group (--samples, or " +
      "fewer --groups) shrink both",
  };
}

/** What meta.response says about the kernels written with --kernels. */
function kernelsNote(estimator: SchemeParams["response"]): string {
  if (estimator === "branch")
    return "rho, Gamma from the tangent plus conditional branching at the jumps of l (stderr per entry over groups)";
  return estimator === "stein"
    ? "rho, Gamma (and R_theta, C_theta through them) from Stein's identity on the full groups: unbiased for " +
        "the dynamics but noisy entry by entry (see each entry's stderr); not Richardson-corrected"
    : "rho, Gamma from the exact discrete tangent (stderr per entry over groups)";
}

export async function solveMc(
  derived: Derived,
  opts: SolveOptions,
  internals: McInternals = {},
  cont: McContinuation = {},
): Promise<Result<McMeta>> {
  const started = performance.now();
  const resume = cont.resume;
  if (resume) checkResume(derived, opts, internals, resume.header, resume.file);
  const planned = resume
    ? resumePlan(derived, opts, internals, resume.header)
    : planMc(derived, opts, internals);
  const { levels, sizes, threads, bytes, multiplyAdds, record, seconds, halves, response } = planned;
  if (resume) checkHorizon(resume.header, levels);
  const G = sizes.length;
  const { dt, N, orthogonal } = levels[0];
  const model = derived.model;
  const tasks: GroupTask[] = [];
  const taskModel: TaskModel = {
    sources: derived.sources,
    k: model.k,
    kTeacher: model.kTeacher,
    binaryLabels: derived.binaryLabels,
  };
  levels.forEach((lv, tag) => {
    for (let g = 0; g < G; g++) {
      tasks.push({
        ...taskModel,
        params: lv,
        // The dt/2 solve of --extrapolate records the same times (steps 2k).
        spec: {
          seed: opts.seed,
          tag,
          group: g,
          samples: sizes[g],
          record: record.map((k) => k << tag),
        },
      });
    }
  });
  // Stein's Richardson step in 1/M: each group again as its first half, on the same random draws.
  if (halves) {
    for (const task of tasks.slice()) {
      const total = task.spec.samples;
      tasks.push({
        ...task,
        params: { ...task.params, kernels: false },
        spec: { ...task.spec, samples: Math.floor(total / 2), rows: { total, from: 0 } },
      });
    }
  }
  if (resume) {
    const saved = resume.header.tasks;
    const same = (t: GroupTask, i: number) =>
      saved[i].tag === t.spec.tag &&
      saved[i].group === t.spec.group &&
      saved[i].from === (t.spec.rows?.from ?? 0) &&
      saved[i].samples === t.spec.samples;
    if (saved.length !== tasks.length || !tasks.every(same)) {
      throw new UsageError(
        `solve --resume: ${resume.file} holds other group solves than these settings make`,
      );
    }
    tasks.forEach((t, i) => {
      t.resumeFrom = resume.slots[i];
    });
  }
  // --checkpoint: each task writes its state into its slot of FILE.partial; the header comes last.
  if (cont.save) {
    const { k: U, kTeacher: V } = model;
    const slots = startCheckpoint(
      cont.save,
      tasks.map((t) => stateDoubles(t.params, t.spec.samples, U, V)),
    );
    tasks.forEach((t, i) => {
      t.saveTo = slots[i];
    });
  }
  const t0 = performance.now();
  opts.onProgress?.(0, tasks.length);
  const executor = opts.executor ?? defaultExecutor(threads);
  const here = { ...derived, slots: derived.schedule?.slots };
  let results: GroupResult[];
  try {
    // Progress in work, not tasks: a task costs about samples x N^2 (Stein) or samples x N^3 (tangent).
    const power = response.estimator === "stein" ? 2 : 3;
    const weight = tasks.map((t) => t.spec.samples * t.params.N ** power);
    const all = weight.reduce((a, b) => a + b, 0);
    let [count, work] = [0, 0];
    results = await executor.run(
      { ...GROUP_TASKS, runHere: (task: GroupTask) => runGroup(here, task) },
      tasks,
      {
        threads,
        onResult: (i) => {
          work += weight[i];
          opts.onProgress?.(++count, tasks.length, work / all);
        },
      },
    );
    if (cont.save) {
      const hashes = results.map((r) => r.stateSha256!);
      finishCheckpoint(cont.save, checkpointHeader(derived, opts, internals, planned, tasks, hashes));
    }
  } catch (e) {
    if (cont.save) abandonCheckpoint(cont.save);
    throw e;
  } finally {
    resetSlots(derived);
  }
  const outs = results.map((r) => r.out);
  const solveSeconds = (performance.now() - t0) / 1000;

  // The quadratures in one share per thread (in-process: with the Derived's own functions).
  const evaluate: EvaluatePoints = async (pts) => {
    const per = pts.steps.length > 0 ? Math.ceil(pts.steps.length / Math.max(1, threads)) : 1;
    const { k: U, kTeacher: V } = model;
    const shares: PointsTask[] = [];
    for (let p = 0; p < pts.steps.length; p += per) {
      const q = Math.min(p + per, pts.steps.length);
      const points: TestPoints = {
        steps: pts.steps.slice(p, q),
        Q: pts.Q.slice(p * U * U, q * U * U),
        M: pts.M.slice(p * U * V, q * U * V),
      };
      shares.push({ ...taskModel, rhoStar: levels[0].rhoStar, schedule: levels[0].schedule, points });
    }
    const runHere = (t: PointsTask) => evaluatePoints(here, t.schedule, t.rhoStar, t.points);
    const values = await executor.run({ ...POINT_TASKS, runHere }, shares, { threads });
    const out = new Float64Array(values.reduce((a, v) => a + v.length, 0));
    let at = 0;
    for (const v of values) {
      out.set(v, at);
      at += v.length;
    }
    return out;
  };
  const { correction, ...series } = await combineGroups(
    derived,
    levels,
    results,
    G,
    record,
    halves,
    evaluate,
  );
  const last = record.length - 1;
  const relative = Object.fromEntries(
    Object.entries(correction).map(([key, c]) => [key, c![last] / series.observables[key as never]![last]]),
  );
  const steinBias = halves
    ? {
        richardson:
          "2 f(m) - f(m/2) per group (m samples per group; the half is its first m/2 samples' draws)",
        correctionAtT: Object.fromEntries(Object.entries(correction).map(([key, c]) => [key, c![last]])),
        relativeCorrectionAtT: relative,
        ...largeCorrection(relative.train_loss ?? 0),
      }
    : {};
  const meta: McMeta = {
    solver: "mc",
    ...modelMeta(model),
    dynamics: opts.dynamics,
    ...batchMeta(levels[0]),
    dt,
    T: N * dt,
    steps: N,
    record: recordMeta(opts.record),
    seed: opts.seed,
    samples: sizes.reduce((a, b) => a + b, 0),
    groups: G,
    stderr: "standard deviation over independent sample groups / sqrt(groups)",
    varianceReduction: orthogonal
      ? varianceReduction(
          levels,
          halves ? Math.floor(sizes[G - 1] / 2) : sizes[G - 1],
          model.k,
          model.kTeacher,
        )
      : "none",
    parameterSide: levels[0].closedParams
      ? "closed form: h(theta) = lambda theta, so theta_k = B_k . Z with deterministic coefficients B (no parameter-side samples)"
      : "Monte-Carlo samples (h is not linear through 0)",
    extrapolate: opts.extrapolate
      ? "Richardson 2 f(dt/2) - f(dt) per group, on the dt grid (kernels, if any, are from the dt solve)"
      : false,
    response: {
      ...response,
      ...steinBias,
      ...(opts.kernels ? { kernels: kernelsNote(response.estimator) } : {}),
    },
    clampedPivots: outs.reduce((a, o) => a + o.clamped, 0),
    zeroPivots: outs.reduce((a, o) => a + o.zeroPivots, 0),
    memoryBytes: bytes,
    multiplyAdds,
    ...(resume ? { resumed: { from: resume.file, steps: resume.header.N } } : {}),
    kernels: mergeKernelUsage(results.map((r) => r.kernels)),
    timings: { solveSeconds, totalSeconds: (performance.now() - started) / 1000, estimatedSeconds: seconds },
  };
  // Keys in the order the JSON has always had.
  const { t, observables, stderr, kernels } = series;
  return { t, observables, stderr, meta, ...(kernels ? { kernels } : {}) };
}
