// One independent finite-d problem (one seed), for every k >= 1 with one code path: draws X, theta*
// (d x kTeacher), labels and theta^0 (d x k) from its own Rng streams, runs Euler–Maruyama SGF / gradient
// flow, SGD with a batch fraction (sample weights of src/util/batch.ts) or minibatch SGD (theory note §1–2, §6), and records the train loss, the overlaps Q = theta^T theta / d
// and M = theta^T theta* / d (q, m when k = kTeacher = 1) and theta for C_theta; test observables from them.
import { type KernelUsage, takeKernelUsage } from "../kernels/loader.js";
import { isVector, overlapNames } from "../observables/names.js";
import { testObservablesSeries } from "../observables/vector.js";
import { type StepSchedule, setSlots } from "../symbolic/schedule.js";
import type { CompiledFns, ObservableName, VectorFns } from "../types.js";
import { type BatchLaw, BatchWeights } from "../util/batch.js";
import { RunError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { axpyRow, createKernel, dot, gram, matVec, sgfDataStep, trainLossSum } from "./linalg.js";

import type { MatKernel } from "./wasm.js";

/** Rng stream ids (third component of `new Rng(seed, seedIndex, purpose)`). */
export const STREAM = { data: 0, init: 1, noise: 2 } as const;

export interface SeedTask {
  binaryLabels: boolean;
  /** Columns of theta and of theta* (hidden and teacher units). */
  k: number;
  kTeacher: number;
  d: number;
  n: number;
  tau: number;
  rhoStar: number;
  initStd: number;
  /** theta^0 = initOverlap theta* + initStd xi (k = kTeacher when nonzero; default 0). */
  initOverlap?: number;
  dynamics: "sgf" | "gd" | "sgd" | "sgd-fraction";
  /** sgd-fraction: the law of the sample weights (b = 1 draws nothing: the gd path, bit for bit). */
  fraction?: BatchLaw;
  /** Time per step: dt for SGF/GD, eta/d for SGD. */
  dt: number;
  /** SGD batch size (learning rate eta = tau * batch, one step advances time by eta / d). */
  batch: number;
  /** Steps at which the state is recorded (increasing, first 0; the last is the total number of steps). */
  recordSteps: number[];
  seed: number;
  seedIndex: number;
  twoTime: boolean;
  /**
   * Draw theta* and theta^0 with their overlaps at the d -> infinity values exactly: teacher columns orthogonal
   * with |theta*_c|^2 = rho* d, student columns orthogonal to them and to each other with |theta_a|^2 =
   * init_std^2 d (Gram–Schmidt of the Gaussian draws). A finite-d realisation of the same DMFT without the
   * O(1/sqrt d) spread of Q(0), M(0) and the teacher Gram, which the dynamics can amplify.
   */
  exactInit?: boolean;
  /**
   * Scheduled parameters (issue 16), per step s (SGF/GD: t_s = s dt; SGD: the step's own time): values into
   * the slots of the model functions, tau per step. SGD then takes steps of eta_s = batch tau_s, advancing time
   * by eta_s / d (`times`: the time at the start of each step, steps + 1 entries).
   */
  schedule?: StepSchedule & { times?: Float64Array; batches?: Int32Array; eta?: number };
}

/** The model functions a seed needs: the elementwise penalty from fns, everything per sample from vec. */
export interface SeedFns {
  fns: CompiledFns;
  vec: VectorFns;
  /** The P of fns and vec when parameters are scheduled. */
  slots?: Float64Array;
}

export interface SeedResult {
  /** train_loss, test_loss, test_error (+-1 labels) and the overlap entries of overlapNames(k, kTeacher). */
  observables: Partial<Record<ObservableName, Float64Array>>;
  /** (K+1) x (K+1) x k x k: (theta_t^T theta_s / d)_ab when twoTime. */
  C_theta?: Float64Array;
  /** Wall-clock seconds spent in the dynamics, the number of steps taken and the kernels that ran. */
  seconds: number;
  steps: number;
  kernels: KernelUsage;
}

/** The data of one problem: X (n x d) and theta (d x k) in the kernel's memory, theta* (d x kT), y. */
export interface Problem {
  kernel: MatKernel;
  /** Column by column: teacher unit c at c d. */
  thetaStar: Float64Array;
  y: Float64Array;
}

export function drawProblem(vec: VectorFns, t: SeedTask): Problem {
  const { n, d } = t;
  const kT = vec.kTeacher;
  const rng = new Rng(t.seed, t.seedIndex, STREAM.data);
  const kernel = createKernel(n, d, vec.k);
  const X = kernel.X.subarray(0, n * d);
  rng.fillNormal(X, 1 / Math.sqrt(d));
  const thetaStar = new Float64Array(kT * d);
  rng.fillNormal(thetaStar, Math.sqrt(t.rhoStar));
  if (t.exactInit) orthonormalise(thetaStar, d, kT, [], t.rhoStar);
  const W = new Float64Array(n * kT);
  const col = new Float64Array(n);
  for (let c = 0; c < kT; c++) {
    matVec(X, n, d, thetaStar.subarray(c * d, (c + 1) * d), col);
    for (let i = 0; i < n; i++) W[i * kT + c] = col[i];
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = vec.label(W, i * kT, rng.normal());
    if (!Number.isFinite(y[i])) {
      const w = W.subarray(i * kT, (i + 1) * kT).join(", ");
      throw new RunError(`simulate: label is ${y[i]} at wstar = ${kT === 1 ? w : `(${w})`} (sample ${i})`);
    }
  }
  return { kernel, thetaStar, y };
}

/**
 * Gram–Schmidt in place: the k columns of `cols` (d each) become orthogonal to the columns of `against` and
 * to each other, each with squared norm `norm2 * d`.
 */
function orthonormalise(
  cols: Float64Array,
  d: number,
  k: number,
  against: Float64Array[],
  norm2: number,
): void {
  const basis: Float64Array[] = [];
  for (const other of against)
    for (let c = 0; c * d < other.length; c++) basis.push(other.subarray(c * d, (c + 1) * d));
  for (let a = 0; a < k; a++) {
    const v = cols.subarray(a * d, (a + 1) * d);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of basis) {
        const f = dot(v, 0, u, d) / dot(u, 0, u, d);
        for (let j = 0; j < d; j++) v[j] -= f * u[j];
      }
    }
    const scale = Math.sqrt((norm2 * d) / dot(v, 0, v, d));
    for (let j = 0; j < d; j++) v[j] *= scale;
    basis.push(v);
  }
}

function blowUp(what: string, value: number, step: number, time: number, seedIndex: number): RunError {
  return new RunError(
    `simulate: blow-up at step ${step} (t = ${time.toPrecision(6)}, seed index ${seedIndex}): ${what} = ${value}; ` +
      "reduce dt, tau or the learning rate",
  );
}

const Q_MAX = 1e150;
/** Below this squared norm a non-finite gradient is an overflow of the model's formula, not a blow-up. */
const Q_BLOWUP = 1e6;

function overflow(
  what: string,
  value: number,
  q: number,
  normName: string,
  time: number,
  seedIndex: number,
): RunError {
  return new RunError(
    `simulate: ${what} = ${value} at t = ${time.toPrecision(6)} (seed index ${seedIndex}) with finite parameters ` +
      `(${normName} = ${q.toPrecision(4)}): the model's gradient formula overflows; this is not a blow-up of the ` +
      "dynamics (a smaller dt will not help): rewrite the loss in a numerically stable form",
  );
}

/** Runs one seed with the given compiled functions. */
export function runSeed(sf: SeedFns, t: SeedTask): SeedResult {
  const { n, d, k, kTeacher: kT, recordSteps } = t;
  const K = recordSteps.length - 1;
  const N = recordSteps[K];
  takeKernelUsage(); // from here on, this seed's record
  const { kernel, thetaStar, y } = drawProblem(sf.vec, t);
  const { theta } = kernel;
  if (t.initStd > 0) {
    new Rng(t.seed, t.seedIndex, STREAM.init).fillNormal(theta, t.initStd);
    if (t.exactInit) orthonormalise(theta, d, k, [thetaStar], t.initStd ** 2);
  }
  const m0 = t.initOverlap ?? 0;
  if (m0 !== 0) for (let j = 0; j < k * d; j++) theta[j] += m0 * thetaStar[j];
  const noise = new Rng(t.seed, t.seedIndex, STREAM.noise);
  const vector = isVector(k, kT);
  /** The squared norm checked for blow-up (q for scalar models, the trace of Q otherwise). */
  const normName = vector ? "tr Q = |theta|_F^2/d" : "q = |theta|^2/d";
  const entries = overlapNames(k, kT);
  const overlaps = entries.map(() => new Float64Array(K + 1));
  const trainLoss = new Float64Array(K + 1);
  const thetas = t.twoTime ? new Float64Array((K + 1) * k * d) : undefined;
  const record = (kr: number, loss: number, step: number) => {
    let trace = 0;
    entries.forEach((e, idx) => {
      const other = e.matrix === "Q" ? theta : thetaStar;
      let s = 0;
      for (let j = 0, oa = e.a * d, ob = e.b * d; j < d; j++) s += theta[oa + j] * other[ob + j];
      overlaps[idx][kr] = s / d;
      if (e.matrix === "Q" && e.a === e.b) trace += s / d;
    });
    trainLoss[kr] = loss;
    if (!(trace <= Q_MAX)) throw blowUp(normName, trace, step, step * t.dt, t.seedIndex);
    // A non-finite loss at finite parameters is an overflow of the loss formula, not a blow-up: it is
    // recorded (and named by the comparison), not turned into "reduce dt" advice.
    thetas?.set(theta, kr * k * d);
  };
  const start = performance.now();
  if (t.dynamics === "sgd") runSgd(sf, t, { kernel, y, noise, record, normName });
  else {
    const noNoise = t.dynamics === "gd" || t.dynamics === "sgd-fraction";
    const tau = noNoise ? 0 : t.tau;
    const xi = new Float64Array(n);
    const { inc } = kernel;
    const h = sf.fns.h;
    const draw = t.fraction && t.fraction.b < 1 ? new BatchWeights(t.fraction, n, noise) : null;
    const weights = draw ? new Float64Array(n) : null;
    const step = { kernel, y, vec: sf.vec, dt: t.dt, delta: n / d, tau, xi, weights, wantLoss: false };
    const sc = t.schedule;
    for (let s = 0, kr = 0; s < N; s++) {
      if (sc) {
        setSlots(sf.slots!, sc, s);
        step.tau = noNoise ? 0 : sc.tau[s];
      }
      step.wantLoss = s === recordSteps[kr];
      if (step.tau > 0) noise.fillNormal(xi);
      if (draw && weights) for (let i = 0; i < n; i++) weights[i] = draw.next(i, s);
      const { lossSum, l2Sum } = sgfDataStep(step);
      if (step.wantLoss) record(kr++, lossSum / n, s);
      if (!Number.isFinite(l2Sum)) {
        const what = vector ? "sum of |l(r; y)|^2" : "sum of l(r; y)^2";
        const q = dot(theta, 0, theta, k * d) / d;
        if (q <= Q_BLOWUP) throw overflow(what, l2Sum, q, normName, s * t.dt, t.seedIndex);
        throw blowUp(what, l2Sum, s, s * t.dt, t.seedIndex);
      }
      let q = 0;
      for (let j = 0; j < k * d; j++) {
        const th = theta[j] + inc[j] - t.dt * h(theta[j]);
        theta[j] = th;
        q += th * th;
      }
      if (!(q / d <= Q_MAX)) throw blowUp(normName, q / d, s + 1, (s + 1) * t.dt, t.seedIndex);
    }
    if (sc) setSlots(sf.slots!, sc, N);
    record(K, trainLossSum(kernel, sf.vec, y) / n, N);
  }
  const seconds = (performance.now() - start) / 1000;
  const observables: SeedResult["observables"] = { train_loss: trainLoss };
  entries.forEach((e, idx) => {
    observables[e.name] = overlaps[idx];
  });
  Object.assign(observables, testSeries(sf, t, entries, overlaps));
  if (t.schedule) setSlots(sf.slots!, t.schedule, 0);
  const result: SeedResult = { observables, seconds, steps: N, kernels: takeKernelUsage() };
  if (thetas) result.C_theta = gram(thetas, K + 1, d, k);
  return result;
}

/** Test loss (and error) at each recorded (Q, M): closed Gaussian expectations over a fresh input. */
function testSeries(
  sf: SeedFns,
  t: SeedTask,
  entries: ReturnType<typeof overlapNames>,
  overlaps: Float64Array[],
): { test_loss: Float64Array; test_error?: Float64Array } {
  const { k, kTeacher: kT } = t;
  const len = overlaps[0].length;
  const Q = new Float64Array(len * k * k);
  const M = new Float64Array(len * k * kT);
  entries.forEach((e, idx) => {
    for (let i = 0; i < len; i++) {
      const v = overlaps[idx][i];
      if (e.matrix === "M") M[(i * k + e.a) * kT + e.b] = v;
      else Q[(i * k + e.a) * k + e.b] = Q[(i * k + e.b) * k + e.a] = v;
    }
  });
  const sc = t.schedule;
  const atStep = sc ? (i: number) => setSlots(sf.slots!, sc, t.recordSteps[i]) : undefined;
  const obs = testObservablesSeries(sf.vec, t.binaryLabels, Q, M, t.rhoStar, atStep);
  const test_loss = Float64Array.from(obs.test_loss);
  return obs.test_error ? { test_loss, test_error: Float64Array.from(obs.test_error) } : { test_loss };
}

interface SgdState {
  kernel: MatKernel;
  y: Float64Array;
  noise: Rng;
  record: (k: number, trainLoss: number, step: number) => void;
  normName: string;
}

/**
 * Minibatch SGD, indices uniform with replacement: theta -= (eta/d) h(theta) + (eta/B) sum_b x_b l_b^T; under a
 * schedule eta (learning-rate schedule) or B (batch-size schedule) changes per step.
 */
function runSgd(sf: SeedFns, t: SeedTask, s: SgdState): void {
  const { n, d, k, batch: B } = t;
  const { kernel, y, noise } = s;
  const { X, theta } = kernel;
  const { h } = sf.fns;
  const cols = Array.from({ length: k }, (_, a) => theta.subarray(a * d, (a + 1) * d));
  let eta = t.tau * B;
  let Bs = B;
  const sc = t.schedule;
  const Bmax = sc?.batches ? Math.max(...sc.batches) : B;
  const idx = new Int32Array(Bmax);
  const lb = new Float64Array(Bmax * k);
  const rb = new Float64Array(k);
  const { recordSteps } = t;
  const N = recordSteps[recordSteps.length - 1];
  for (let step = 0, kr = 0; step <= N; step++) {
    if (sc) {
      setSlots(sf.slots!, sc, step);
      if (sc.batches) {
        Bs = sc.batches[step];
        eta = sc.eta!;
      } else eta = sc.tau[step] * B;
    }
    if (step === recordSteps[kr]) s.record(kr++, trainLossSum(kernel, sf.vec, y) / n, step);
    if (step === N) break;
    for (let b = 0; b < Bs; b++) {
      const i = noise.int(n);
      idx[b] = i;
      for (let a = 0; a < k; a++) rb[a] = dot(X, i * d, cols[a], d);
      sf.vec.grad(rb, 0, y[i], lb, b * k);
    }
    for (let j = 0; j < k * d; j++) theta[j] -= (eta / d) * h(theta[j]);
    for (let b = 0; b < Bs; b++)
      for (let a = 0; a < k; a++) axpyRow(X, idx[b] * d, (-eta / Bs) * lb[b * k + a], cols[a], d);
    if ((step & 255) === 255) {
      const q = dot(theta, 0, theta, k * d) / d;
      if (!(q <= Q_MAX)) throw blowUp(s.normName, q, step + 1, ((step + 1) * eta) / d, t.seedIndex);
    }
  }
}
