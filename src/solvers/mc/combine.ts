// Turns G independent group solves into a Result. groupSeries (run inside each group's task, on the worker
// threads) computes a group's observables: test loss / error from the group's own Q, M, overlap entries
// named by overlapNames. combineGroups applies the optional Richardson extrapolation per group, then takes
// the mean and standard error over groups; everything is on the recorded steps (GroupSpec.record).
import type { KernelUsage } from "../../kernels/loader.js";
import { kernelShape, overlapNames } from "../../observables/names.js";
import { testObservablesSeries } from "../../observables/vector.js";
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

/**
 * Observables of one group solve, at its recorded steps `rec` (default every step; the dt/2 solve of
 * --extrapolate records 2k). Scheduled parameters take step rec[i]'s values for the i-th recorded point.
 */
export function groupSeries(
  model: SeriesModel,
  out: GroupOut,
  rhoStar: number,
  sc?: StepSchedule,
  rec?: number[],
): Series {
  const { k: U, kTeacher: V } = model.vec;
  const N1 = out.train_loss.length;
  const s: Series = { train_loss: out.train_loss };
  const atStep = sc && model.slots ? (i: number) => setSlots(model.slots!, sc, rec ? rec[i] : i) : undefined;
  // The coarse quadrature rule: error <= 1e-7 relative, against group standard errors of ~1e-3.
  const test = testObservablesSeries(model.vec, model.binaryLabels, out.Q, out.M, rhoStar, atStep, true);
  s.test_loss = test.test_loss;
  if (test.test_error) s.test_error = test.test_error;
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

/**
 * Stein's Richardson step in 1/M (index.ts): a group's series becomes 2 f(m) - f(m/2) with its first half
 * (which shares its random draws). Returns the corrected series and the correction, per key.
 */
function populationRichardson(full: Series, half: Series): { s: Series; corr: Series } {
  const s: Series = {};
  const corr: Series = {};
  for (const key of Object.keys(full) as ObservableName[]) {
    const f = full[key]!;
    const h = half[key]!;
    corr[key] = Array.from(f, (v, k) => v - h[k]);
    s[key] = Array.from(f, (v, k) => v + corr[key]![k]);
  }
  return { s, corr };
}

/**
 * Combines the group solves. `results` holds the G groups of each level (dt, then dt/2), then, if `halves`,
 * the half group of every group in the same order. Also returns the mean Richardson-in-1/M
 * correction per observable (empty without halves).
 */
export function combineGroups(
  derived: Derived,
  levels: SchemeParams[],
  results: GroupResult[],
  G: number,
  record: number[],
  halves = false,
): Omit<Result, "meta"> & { correction: Series } {
  const coarse = levels[0];
  const outs = results.map((r) => r.out);
  const L = levels.length;
  const corrections: Series[] = [];
  const seriesOf = (tag: number, g: number): Series => {
    const full = results[tag * G + g].series;
    if (!halves) return full;
    const { s, corr } = populationRichardson(full, results[L * G + tag * G + g].series);
    if (tag === 0) corrections.push(corr);
    return s;
  };
  const perGroup: Series[] = [];
  for (let g = 0; g < G; g++) {
    const s = { ...seriesOf(0, g) };
    if (L > 1) {
      const fine = seriesOf(1, g);
      for (const key of Object.keys(s) as ObservableName[]) {
        const c = s[key]!;
        const f = fine[key]!;
        s[key] = Array.from(c, (v, k) => 2 * f[k] - v);
      }
    }
    perGroup.push(s);
  }
  const result: Omit<Result, "meta"> & { correction: Series } = {
    correction: {},
    t: record.map((k) => k * coarse.dt),
    observables: {},
    stderr: {},
  };
  for (const key of Object.keys(perGroup[0]) as ObservableName[]) {
    const { mean, stderr } = meanAndStderr(perGroup.map((s) => s[key]!));
    result.observables[key] = mean;
    result.stderr[key] = stderr;
    if (halves) result.correction[key] = meanAndStderr(corrections.map((c) => c[key]!)).mean;
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
