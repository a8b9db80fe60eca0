// The Monte-Carlo solver's planner (issue 15's feasibility up front): checks the options against the model,
// resolves the response estimator (--response auto picks by model and N), chooses the group sizes, the
// input layout (orthonormal blocks, Stein's noise columns apart, its Richardson halves) and estimates memory
// and time before anything is allocated; a resume's plan keeps a checkpoint's choices (resumePlan).
import { totalmem } from "node:os";
import { resetSlots, type StepSchedule, setSlots, stepSchedule } from "../../symbolic/schedule.js";
import type { Derived } from "../../types.js";
import { batchLaw, fractionTau } from "../../util/batch.js";
import { DEFAULT_SAMPLES } from "../../util/defaults.js";
import { checkMemory, UsageError } from "../../util/errors.js";
import { calibratedRate } from "../../util/feasibility.js";
import { checkedRecordSteps } from "../../util/record.js";
import { defaultThreads } from "../../util/workers.js";
import { isRidge } from "../exact/coefficients.js";
import type { SolveOptions } from "../options.js";
import { Branches } from "./branch.js";
import type { CheckpointHeader } from "./checkpoint.js";
import { orthoBlock } from "./columns.js";
import { inputColumns, memoryRecursion, noiseColumns, type SchemeParams } from "./group.js";

/** Internal switches, used by tests and measurements only. */
export interface McInternals {
  /** Moment-matched (orthonormalised) Gaussian inputs; default true. */
  orthogonal?: boolean;
  /** Drop the noise cross term of Cov(nu) (the wrong scheme the theory note warns about). */
  dropCrossTerm?: boolean;
  /** Stein only: the Richardson step in 1/M (default true; false measures the raw 1/M bias). */
  steinRichardson?: boolean;
  /** Stein only: the input layout of each level (noise columns apart), instead of the planner's choice at
   *  this N (a resume keeps the checkpoint's). */
  noiseApart?: boolean[];
  /** The parameter side in closed form where the penalty allows it (default true; false runs its samples,
   *  the same results to rounding with moment-matched inputs). */
  closedParams?: boolean;
}

/** Fewest columns orthonormalised together (see planMc). */
const MIN_BLOCK = 8;

/** Bytes held by one group solve of `samples` samples over N steps with U units and V teacher units. */
export function groupBytes(p: SchemeParams, samples: number, U = 1, V = 1): number {
  const N1 = p.N + 1;
  const [predCols, inputsPar] = inputColumns(p, U, V);
  // The closed-form parameter side has neither inputs nor a theta history (one row of B as scratch).
  const closed = p.closedParams ?? false;
  const parCols = closed ? 0 : inputsPar;
  // Doubles per sample: the inputs and A (U per step) as floats (half a double each; Stein in closed form
  // also its memory terms' history, step.ts); histories theta (U per step), Cc (U^2 per step, tangent
  // only), l (U per step, dropCrossTerm only). Plus the kernels' per-sample work columns (conditional draws,
  // memory terms, block Gram–Schmidt, Cov nu's A_k; Stein: l_k column-major). Branching adds its stored
  // branches (branch.ts).
  const stein = p.response === "stein";
  const memRec = memoryRecursion(p);
  const perSample =
    (predCols + parCols + N1 * U * (memRec ? 2 : 1)) / 2 +
    N1 * (U * (p.dropCrossTerm ? 2 : 1) - (closed ? U : 0) + (stein ? 0 : U * U)) +
    4 * V +
    8 * U * U +
    6 * U +
    3 +
    (stein ? U : 0);
  const branches = p.response === "branch" ? Branches.doubles(samples, N1, p.jumpCount ?? 1) + samples : 0;
  return (
    8 *
    (samples * perSample +
      // C, R (not with the memory recursion, unless --kernels), rho, their block transposes where kept
      // (group.ts), and scratch; the closed-form parameter side's B.
      (7 - (stein && U === 1 ? 1 : 0) - (closed ? 1 : 0) - (memRec && !p.kernels ? 1 : 0)) * N1 * N1 * U * U +
      (closed ? 2 : 1) * (V + U * N1) ** 2 +
      (stein ? U * predCols : 0) +
      (closed ? V + U * N1 : 0) +
      branches)
  );
}

/** A checked Monte-Carlo run: one scheme per time step (dt, and dt/2 with --extrapolate), group sizes, cost. */
export interface McPlan {
  levels: SchemeParams[];
  sizes: number[];
  threads: number;
  /** Peak memory of the concurrently running group solves. */
  bytes: number;
  /** Multiply-adds of the response estimator and the Gram–Schmidt moment matching (the dominant terms). */
  multiplyAdds: number;
  /** Steps written out (of the dt grid; src/util/record.ts). */
  record: number[];
  /** Estimated wall time (calibrated, src/util/feasibility.ts). */
  seconds: number;
  /** The response estimator and why it was chosen (meta.response). */
  response: { estimator: SchemeParams["response"]; reason: string };
  /** Stein's Richardson step in 1/M: every group is also solved as its first half (same draws). */
  halves: boolean;
}

/**
 * Above this many steps `--response auto` uses Stein on smooth models: the tangent's M N^3 / 6
 * multiply-adds then dominate (measured crossover in bench/response.bench.ts).
 */
export const STEIN_FROM_STEPS = 400;

/**
 * Largest N for which `--response auto` uses branching: its JS loops cost 4.3x the tangent at N = 40 and
 * 23x at N = 100 (bench/response.bench.ts); Stein beyond.
 */
const BRANCH_MAX_STEPS = 50;

/** Resolves --response (default auto) for a model and horizon; refuses what is not available. */
export function chooseResponse(
  derived: Derived,
  N: number,
  requested: SolveOptions["response"] = "auto",
): { estimator: SchemeParams["response"]; reason: string } {
  const jumps = (derived.jumps?.length ?? 0) > 0;
  const canBranch = jumps && derived.model.k === 1 && derived.model.kTeacher === 1 && !!derived.sources.jumps;
  if (requested === "branch") {
    if (!canBranch) {
      throw new UsageError(
        "solve: --response branch needs a k = 1 model whose l = dL/dr jumps at affine kinks; use stein",
      );
    }
    return { estimator: "branch", reason: "forced" };
  }
  if (requested === "tangent") {
    return {
      estimator: "tangent",
      reason: jumps
        ? "forced: WARNING l = dL/dr jumps and the tangent misses its Dirac part (naive estimator, biased)"
        : "forced",
    };
  }
  if (requested === "stein") return { estimator: "stein", reason: "forced" };
  if (canBranch && N <= BRANCH_MAX_STEPS) {
    return { estimator: "branch", reason: `auto: l = dL/dr jumps (k = 1, N = ${N} <= ${BRANCH_MAX_STEPS})` };
  }
  if (jumps) return { estimator: "stein", reason: "auto: l = dL/dr jumps (the tangent would miss them)" };
  if (N > STEIN_FROM_STEPS) {
    return {
      estimator: "stein",
      reason: `auto: N = ${N} > ${STEIN_FROM_STEPS} steps (the tangent costs M N^3 / 6)`,
    };
  }
  return { estimator: "tangent", reason: `auto: smooth model, N = ${N} <= ${STEIN_FROM_STEPS} steps` };
}

/**
 * Speed of the solver's kernels relative to calibratedRate() and the per-sample cost of a step (loss,
 * draws, histories) in calibration multiply-adds; measured on logistic regression at N = 100 and 400.
 */
const KERNEL_SPEED = 1.5;
/**
 * Speed of the Stein estimator's counted multiply-adds (SIMD passes over the inputs and histories, the
 * Gram–Schmidt). Calibrated on the T = 100 default solve (docs/long-runs.md): 4 when its inputs were
 * doubles (estimated 41-45 s against 23-26 s measured after the later speed-ups); 6 since the inputs and A
 * are floats (the passes ~1.75x faster; 20.7 s measured).
 */
const STEIN_SPEED = 6;
const SAMPLE_STEP_COST = 1000;
/** One test loss / error quadrature (~1 ms, logistic at s > 1); combine.ts runs 1 + (free overlap entries)
 *  of them per recorded step after the groups, shared out to the threads. */
const QUADRATURE_COST = 5e5;

/**
 * Samples per Stein half group per field column that the default sample size keeps (1.25 at the T = 100
 * defaults, where the comparison with simulation passes; at 1.0, the fewest Stein's one orthonormal block
 * allows, N = 4000 missed it on the test error by 7 %: the Richardson step's residual bias, docs/long-runs.md).
 */
const HALF_GROUP_RATIO = 1.2;

/** Whether h(theta) = lambda theta at every step (scheduled parameters included): the closed-form parameter side. */
function linearPenalty(derived: Derived, schedule: StepSchedule | undefined): boolean {
  if (!schedule) return isRidge(derived);
  try {
    for (let k = 0; k < schedule.tau.length; k++) {
      setSlots(derived.schedule!.slots, schedule, k);
      if (!isRidge(derived)) return false;
    }
    return true;
  } finally {
    resetSlots(derived);
  }
}

/** Checks the options and estimates memory and work; refuses (UsageError) before anything is allocated. */
export function planMc(derived: Derived, opts: SolveOptions, internals: McInternals = {}): McPlan {
  const model = derived.model;
  const dt = opts.dt ?? model.time.dt;
  const T = opts.T ?? model.time.T;
  if (!(dt > 0) || !(T > 0)) throw new UsageError(`solve: dt and T must be positive (dt = ${dt}, T = ${T})`);
  const N = Math.round(T / dt);
  if (N < 1) throw new UsageError(`solve: T = ${T} is shorter than one step dt = ${dt}`);
  const record = checkedRecordSteps("solve", N, opts.record);
  let M = opts.samples ?? DEFAULT_SAMPLES;
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
  let response = chooseResponse(derived, N, opts.response);
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
    response: response.estimator,
    ...(response.estimator === "branch" ? { jumpCount: derived.jumps!.length } : {}),
    ...((internals.closedParams ?? true) && linearPenalty(derived, schedule) ? { closedParams: true } : {}),
  };
  const levels: SchemeParams[] = [params];
  if (opts.extrapolate) {
    if (fraction)
      throw new UsageError("solve: --extrapolate does not apply to sgd-fraction (dt is the learning rate)");
    const half = scheduleAt(dt / 2, 2 * N);
    levels.push({ ...params, dt: dt / 2, N: 2 * N, kernels: false, ...(half ? { schedule: half } : {}) });
  }

  const split = (M: number) => Array.from({ length: G }, (_, g) => Math.floor(M / G) + (g < M % G ? 1 : 0));
  let sizes = split(M);
  const finest = levels[levels.length - 1];
  // Stein reads its responses off <Z l_k> as an exact least-squares fit only when the columns of its fields
  // g = (w*, w_0, ..., w_k) (teacher, label noise, w_k) are orthonormal together (one block, columns.ts).
  // In renewed blocks it is a plain, much noisier moment estimate and the Richardson step in 1/M
  // over-corrects (measured: T = 100 at 20000 samples in 8 groups, halves in blocks, fails the 4 SE + 2 %
  // rule by up to 1.45x at late times). When all input columns do not fit one block, the noise columns
  // dB_k (independent of the fields in law) are orthonormalised apart (noiseApart), so only the fields need
  // one block. When even they do not fit, auto falls back to the exact tangent on smooth models; anything
  // else is refused.
  const U = model.k;
  const V = model.kTeacher;
  const oneBlock = (w: number) => Math.min(w + 64, 2 * w + 1); // the fewest samples orthoBlock keeps in one block
  const fields = inputColumns(finest, U, V)[0] - noiseColumns(finest, U, V).length;
  const need = oneBlock(fields);
  let halves = response.estimator === "stein" && (internals.steinRichardson ?? true);
  // Stein's Richardson step also solves each group as its first half, which needs as many samples itself.
  let smallest = halves ? Math.floor(sizes[G - 1] / 2) : sizes[G - 1];
  // The default also keeps the half groups at HALF_GROUP_RATIO x their field columns: what the Richardson
  // step leaves is of second order in (fields / samples per half group).
  const wantDefault = Math.max(need, halves ? Math.ceil(HALF_GROUP_RATIO * fields) : need);
  if (orthogonal && response.estimator === "stein" && smallest < wantDefault && opts.samples === undefined) {
    // Default sample size: as many as Stein needs (no wall at long horizons; memory and time are checked
    // below like any other size, and meta.samples says what ran).
    M = wantDefault * G * (halves ? 2 : 1);
    sizes = split(M);
    smallest = wantDefault;
    const raised = `samples raised from the default ${DEFAULT_SAMPLES} to ${M}: ${wantDefault} per ${halves ? "half " : ""}group for its ${fields} field columns at ${finest.N} steps`;
    response = { ...response, reason: `${response.reason}; ${raised}` };
  }
  if (orthogonal && response.estimator === "stein" && smallest < need) {
    const what = halves ? "half group (Stein's Richardson step in 1/M)" : "group";
    const why = `Stein needs ${need} samples per ${what} for ${finest.N} steps (its ${fields} field columns orthonormal together), got ${smallest}`;
    const smooth = (derived.jumps?.length ?? 0) === 0;
    if ((opts.response ?? "auto") !== "auto" || !smooth) {
      throw new UsageError(
        `solve: ${why}; raise --samples to ${need * G * (halves ? 2 : 1)} or lower --groups` +
          (smooth ? ", or use --response tangent" : ""),
      );
    }
    response = { estimator: "tangent", reason: `auto: ${why}; the exact tangent (M N^3 / 6) instead` };
    for (const lv of levels) lv.response = "tangent";
    halves = false;
    smallest = sizes[G - 1];
  }
  if (orthogonal && response.estimator === "stein") {
    levels.forEach((lv, i) => {
      const width = inputColumns(lv, U, V)[0];
      if (internals.noiseApart?.[i] ?? orthoBlock(smallest, width) < width) lv.noiseApart = true;
    });
  }
  // Inputs are orthonormalised in blocks of orthoBlock(...) columns (columns.ts): any N works; a block of
  // fewer than MIN_BLOCK columns would be a pointless moment match.
  if (orthogonal && smallest <= 2 * MIN_BLOCK) {
    throw new UsageError(
      `solve: --samples ${M} in ${G} groups leaves ${smallest} sample${smallest === 1 ? "" : "s"} in the smallest ` +
        `group${halves ? " half (Stein's Richardson step in 1/M)" : ""}, too few (need more ` +
        `than ${2 * MIN_BLOCK}, i.e. --samples >= ${G * (2 * MIN_BLOCK + 1) * (halves ? 2 : 1)}); raise --samples or lower --groups`,
    );
  }
  const wanted = Math.max(1, Math.min(opts.threads ?? defaultThreads(), G * levels.length));
  // Fewer concurrent groups when all of them would not fit the memory budget (results do not depend on
  // the thread count); refused only when one group alone does not fit.
  const perGroup = levels.reduce(
    (b, lv) => Math.max(b, groupBytes(lv, sizes[0], model.k, model.kTeacher)),
    0,
  );
  const budget = Math.min(16 * 2 ** 30, 0.8 * totalmem());
  const threads = Math.max(1, Math.min(wanted, Math.floor(budget / perGroup)));
  const bytes = Math.min(threads, G) * perGroup;
  checkMemory("solve (Monte-Carlo DMFT)", bytes, budget);
  // Stein's dots (and the draws) read the field columns only when the noise columns are stored apart.
  const steinColumns = finest.noiseApart ? fields : inputColumns(finest, U, V)[0];
  const responseWork = (n: number) =>
    response.estimator === "stein"
      ? model.k * n * steinColumns
      : (response.estimator === "branch" ? 1 + 2 * derived.jumps!.length : 1) * model.k ** 3 * (n ** 3 / 6);
  // Per sample and step k: O(k) passes over the inputs and histories, and the Gram–Schmidt of both sides;
  // the closed-form parameter side has no samples, so half of them remain.
  const passes = params.closedParams ? 2.5 : 5;
  const multiplyAdds = levels.reduce(
    (a, lv) => a + M * (responseWork(lv.N) + (orthogonal ? passes * (model.k * lv.N) ** 2 : 0)),
    0,
  );
  const sampleSteps = (halves ? 1.5 : 1) * levels.reduce((a, lv) => a + M * lv.N, 0);
  const work = (halves ? 1.5 : 1) * multiplyAdds;
  // Per group task, whatever its samples (the halves repeat it): the triangular solves (two growing
  // Cholesky factors, plus Stein's L^T x = b: (k n)^3 / 6 each). Then the quadratures at every recorded
  // step (combine.ts testAtMean), one share per thread.
  const tasks = G * (halves ? 2 : 1);
  const triangular = levels.reduce(
    (a, lv) => a + ((response.estimator === "stein" ? 3 : 2) * (model.k * lv.N) ** 3) / 6,
    0,
  );
  const free = (model.k * (model.k + 1)) / 2 + model.k * model.kTeacher;
  const quadrature = record.length * (1 + free) * QUADRATURE_COST;
  const speed = response.estimator === "stein" ? STEIN_SPEED : KERNEL_SPEED;
  const seconds =
    ((work + tasks * triangular) / speed + SAMPLE_STEP_COST * sampleSteps + quadrature) /
    calibratedRate() /
    Math.min(threads, G);
  return { levels, sizes, threads, bytes, multiplyAdds: work, record, seconds, response, halves };
}

/**
 * The plan of a resume: the planner's own when it makes the checkpoint's choices at this N too (estimator,
 * input layout), else those choices kept (meta.response says so).
 */
export function resumePlan(
  derived: Derived,
  opts: SolveOptions,
  internals: McInternals,
  c: CheckpointHeader,
) {
  const same = (p: McPlan) =>
    p.response.estimator === c.response.estimator &&
    p.levels.every((lv, i) => (lv.noiseApart ?? false) === c.noiseApart[i]);
  try {
    const own = planMc(derived, opts, internals);
    if (same(own)) return own;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
  }
  const kept = planMc(
    derived,
    { ...opts, response: c.response.estimator },
    { ...internals, noiseApart: c.noiseApart },
  );
  kept.response = {
    ...kept.response,
    reason: `kept from the checkpoint at N = ${c.N} (${c.response.reason})`,
  };
  return kept;
}
