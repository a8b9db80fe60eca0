// Turns G independent group solves into a Result. groupSeries (run inside each group's task, on the worker
// threads) reads a group's train loss and the overlap entries named by overlapNames. combineGroups applies
// the optional Richardson extrapolations per group (linear in each series, and in the overlaps Q, M), takes
// the mean and standard error over groups, and evaluates the test observables once per recorded step at the
// groups' mean overlaps, with their standard error by the delta method (testAtMean); everything is on the
// recorded steps (GroupSpec.record).
import type { KernelUsage } from "../../kernels/loader.js";
import { kernelShape, overlapNames } from "../../observables/names.js";
import { vectorTestObservables } from "../../observables/vector.js";
import { type StepSchedule, setSlots } from "../../symbolic/schedule.js";
import type { CompiledFns, Derived, ObservableName, Result, VectorFns } from "../../types.js";
import { meanAndStderr } from "../../util/stats.js";
import type { GroupOut, SchemeParams } from "./group.js";

export type Series = Partial<Record<ObservableName, Float64Array | number[]>>;

/** What groupSeries needs of a model (all of it can be rebuilt in a worker thread). */
export interface SeriesModel {
  fns: CompiledFns;
  vec: VectorFns;
  binaryLabels: boolean;
  /** The P of fns and vec when parameters are scheduled (Derived.schedule.slots). */
  slots?: Float64Array;
}

/** The train loss and overlap entries of one group solve, at its recorded steps. */
export function groupSeries(model: SeriesModel, out: GroupOut): Series {
  const { k: U, kTeacher: V } = model.vec;
  const N1 = out.train_loss.length;
  const s: Series = { train_loss: out.train_loss };
  for (const e of overlapNames(U, V)) {
    const [src, cols] = e.matrix === "Q" ? [out.Q, U] : [out.M, V];
    const stride = U * cols;
    s[e.name] = Array.from({ length: N1 }, (_, k) => src[k * stride + e.a * cols + e.b]);
  }
  return s;
}

/** A group solve with its observables (what a group task returns). */
export interface GroupResult {
  out: GroupOut;
  series: Series;
  /** Which kernels ran (src/kernels/loader.ts). */
  kernels?: KernelUsage;
  /** solve --checkpoint: the SHA-256 of the state the task wrote (checkpoint-file.ts). */
  stateSha256?: string;
}

/** A group's series and its overlaps per recorded step (Q: U x U, M: U x V), as the extrapolations see them. */
type Lines = Record<string, ArrayLike<number>>;
const Q_LINE = "overlap Q";
const M_LINE = "overlap M";

/** f(a, b) entry by entry, per line: 2 a - b for both Richardson steps (2 f(m) - f(m/2), 2 f(dt/2) - f(dt)),
 *  a - b for the correction. */
function entrywise(a: Lines, b: Lines, f: (x: number, y: number) => number): Lines {
  return Object.fromEntries(
    Object.keys(a).map((key) => [key, Array.from(a[key], (v, i) => f(v, b[key][i]))]),
  );
}
const extrapolate = (a: Lines, b: Lines) => entrywise(a, b, (x, y) => 2 * x - y);
const difference = (a: Lines, b: Lines) => entrywise(a, b, (x, y) => x - y);

/**
 * Combines the group solves. `results` holds the G groups of each level (dt, then dt/2), then, if `halves`,
 * the half group of every group in the same order. Also returns the mean Richardson-in-1/M
 * correction per observable (empty without halves). `evaluate` runs the test-observable quadratures
 * (default: here, in this thread).
 */
export async function combineGroups(
  derived: Derived,
  levels: SchemeParams[],
  results: GroupResult[],
  G: number,
  record: number[],
  halves = false,
  evaluate: EvaluatePoints = async (pts) =>
    evaluatePoints(
      { ...derived, slots: derived.schedule?.slots },
      levels[0].schedule,
      derived.model.teacherVariance,
      pts,
    ),
): Promise<Omit<Result, "meta"> & { correction: Series }> {
  const coarse = levels[0];
  const outs = results.map((r) => r.out);
  const L = levels.length;
  const linesOf = (i: number): Lines => ({ ...results[i].series, [Q_LINE]: outs[i].Q, [M_LINE]: outs[i].M });
  const corrections: Lines[] = [];
  const groupLines = (tag: number, g: number): Lines => {
    const full = linesOf(tag * G + g);
    if (!halves) return full;
    const half = linesOf(L * G + tag * G + g);
    if (tag === 0) corrections.push(difference(full, half));
    return extrapolate(full, half);
  };
  const perGroup: Lines[] = [];
  for (let g = 0; g < G; g++) {
    const c = groupLines(0, g);
    perGroup.push(L > 1 ? extrapolate(groupLines(1, g), c) : c);
  }
  const result: Omit<Result, "meta"> & { correction: Series } = {
    correction: {},
    t: record.map((k) => k * coarse.dt),
    observables: {},
    stderr: {},
  };
  const stats = (lines: Lines[], key: string) => meanAndStderr(lines.map((s) => s[key] as number[]));
  const test = await testAtMean(derived, record, perGroup, evaluate, halves ? corrections : undefined);
  // Keys in the order the JSON has always had: train loss, test loss and error, then the overlaps.
  const [train, ...overlaps] = Object.keys(perGroup[0]).filter((k) => k !== Q_LINE && k !== M_LINE);
  for (const key of [train, ...Object.keys(test.observables), ...overlaps] as ObservableName[]) {
    if (key in test.observables) {
      result.observables[key] = test.observables[key];
      result.stderr[key] = test.stderr[key];
      if (halves) result.correction[key] = test.correction[key];
      continue;
    }
    const { mean, stderr } = stats(perGroup, key);
    result.observables[key] = mean;
    result.stderr[key] = stderr;
    if (halves) result.correction[key] = stats(corrections, key).mean;
  }
  if (coarse.kernels) {
    const N1 = record.length;
    const { k: U, kTeacher: V } = derived.model;
    result.kernels = {};
    for (const name of ["C_theta", "R_theta", "rho", "Gamma"] as const) {
      const { mean, stderr } = meanAndStderr(outs.slice(0, G).map((o) => o.kernels![name]));
      const gamma = name === "Gamma";
      const shape = kernelShape(gamma ? [N1] : [N1, N1], U, V, gamma);
      result.kernels[name] = { shape, data: mean, stderr };
    }
  }
  return result;
}

/**
 * Relative step of testAtMean's forward differences: their truncation error is ~DIFF_STEP/2 relative on
 * the gradient (0.05 % of a standard error), and the quadrature's rounding noise (~1e-16 relative) is
 * amplified only by 1/DIFF_STEP (so the standard errors agree across JavaScript engines to ~1e-13).
 */
const DIFF_STEP = 1e-3;

/** Overlaps at which test observables are evaluated: point p is recorded step steps[p] (for scheduled
 *  parameters) with Q[p UU ..] (U x U) and M[p UV ..] (U x V). */
export interface TestPoints {
  steps: number[];
  Q: Float64Array;
  M: Float64Array;
}

/** Evaluates TestPoints: per point, the test loss and (binary labels) the test error. */
export type EvaluatePoints = (points: TestPoints) => Promise<Float64Array>;

/** Test loss (and error) at each point, `perPoint` values per point (evaluatePoints runs it in a task). */
export function evaluatePoints(
  model: Pick<SeriesModel, "vec" | "binaryLabels" | "slots">,
  sc: StepSchedule | undefined,
  rhoStar: number,
  pts: TestPoints,
): Float64Array {
  const { vec, binaryLabels: binary, slots } = model;
  const [UU, UV] = [vec.k * vec.k, vec.k * vec.kTeacher];
  const per = binary ? 2 : 1;
  const out = new Float64Array(pts.steps.length * per);
  pts.steps.forEach((step, p) => {
    if (sc && slots) setSlots(slots, sc, step);
    const Q = pts.Q.subarray(p * UU, (p + 1) * UU);
    const M = pts.M.subarray(p * UV, (p + 1) * UV);
    // The coarse rule: error <= 1e-7 relative, against group standard errors of ~1e-3.
    const o = vectorTestObservables(vec, Q, M, rhoStar, binary, true);
    out[p * per] = o.test_loss;
    if (binary) out[p * per + 1] = o.test_error ?? Number.NaN;
  });
  return out;
}

/**
 * Test loss (and error, for +-1 labels) at every recorded step, evaluated once at the groups' mean overlaps
 * (Q, M) rather than averaged over groups: the same limit, without the Jensen bias of averaging a non-linear
 * function of noisy overlaps (relative ~ its curvature x the groups' spread^2, ~1e-4 here), and at the cost
 * of 1 + (number of free overlap entries) quadratures per step instead of one per group solve (the largest
 * part of a long Stein solve's work was these quadratures). Standard error by the delta method: each group's
 * value linearised about the mean, f(x) + grad f . (x_g - x), with grad f by forward differences; the
 * mean Richardson correction (if given) likewise, grad f . mean(x_full - x_half). `evaluate` runs the
 * quadratures (on the executor's threads, index.ts).
 */
async function testAtMean(
  derived: Derived,
  record: number[],
  perGroup: Lines[],
  evaluate: EvaluatePoints,
  corrections?: Lines[],
): Promise<Record<"observables" | "stderr" | "correction", Partial<Record<ObservableName, number[]>>>> {
  const { vec, binaryLabels: binary } = derived;
  const { k: U, kTeacher: V } = vec;
  const [UU, UV] = [U * U, U * V];
  // Free entries of (Q, M) per step: Q's upper triangle (a symmetric pair moves together), all of M.
  type Entry = { q: boolean; a: number; b: number };
  const free: Entry[] = [];
  for (let a = 0; a < U; a++) for (let b = a; b < U; b++) free.push({ q: true, a, b });
  for (let a = 0; a < U; a++) for (let c = 0; c < V; c++) free.push({ q: false, a, b: c });
  const F = free.length;
  const entry = (lines: Lines, e: Entry, i: number) =>
    e.q ? lines[Q_LINE][i * UU + e.a * U + e.b] : lines[M_LINE][i * UV + e.a * V + e.b];
  const mean = (e: Entry, i: number, of: Lines[]) =>
    of.reduce((acc, l) => acc + entry(l, e, i), 0) / of.length;
  // Points: per recorded step the mean, then the mean moved by h along each free entry.
  const P = record.length * (1 + F);
  const pts: TestPoints = { steps: [], Q: new Float64Array(P * UU), M: new Float64Array(P * UV) };
  const means = record.map((_, i) => free.map((e) => mean(e, i, perGroup)));
  const step = (x: number) => DIFF_STEP * Math.max(1, Math.abs(x));
  record.forEach((k, i) => {
    for (let c = -1; c < F; c++) {
      const p = pts.steps.length;
      pts.steps.push(k);
      free.forEach((e, j) => {
        const v = means[i][j] + (j === c ? step(means[i][j]) : 0);
        if (!e.q) pts.M[p * UV + e.a * V + e.b] = v;
        else pts.Q[p * UU + e.a * U + e.b] = pts.Q[p * UU + e.b * U + e.a] = v;
      });
    }
  });
  const values = await evaluate(pts);
  const keys: ObservableName[] = binary ? ["test_loss", "test_error"] : ["test_loss"];
  const per = keys.length;
  const out = {
    observables: {} as Partial<Record<ObservableName, number[]>>,
    stderr: {} as Partial<Record<ObservableName, number[]>>,
    correction: {} as Partial<Record<ObservableName, number[]>>,
  };
  keys.forEach((key, r) => {
    const value: number[] = [];
    const stderr: number[] = [];
    const correction: number[] = [];
    record.forEach((_, i) => {
      const base = i * (1 + F);
      const f0 = values[base * per + r];
      const grad = free.map((_, c) => (values[(base + 1 + c) * per + r] - f0) / step(means[i][c]));
      const lin = perGroup.map(
        (l) => f0 + free.reduce((a, e, c) => a + grad[c] * (entry(l, e, i) - means[i][c]), 0),
      );
      value.push(f0);
      stderr.push(meanAndStderr(lin.map((v) => [v])).stderr[0]);
      if (corrections) correction.push(free.reduce((a, e, c) => a + grad[c] * mean(e, i, corrections), 0));
    });
    out.observables[key] = value;
    out.stderr[key] = stderr;
    if (corrections) out.correction[key] = correction;
  });
  return out;
}
