// One independent finite-d problem (one seed): draws X, theta*, labels and theta^0 from its own Rng
// streams, runs Euler–Maruyama SGF / gradient flow or minibatch SGD (theory note §1–2), and records
// train loss, q, m (and theta for C_theta) on the recording grid; test observables from (q, m).
import { gaussianObservablesSeries } from "../observables/gaussian.js";
import type { CompiledFns } from "../types.js";
import { RunError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { axpyRow, createKernel, dot, gram, matVec, sgfDataStep } from "./linalg.js";
import type { MatKernel } from "./wasm.js";

/** Rng stream ids (third component of `new Rng(seed, seedIndex, purpose)`). */
export const STREAM = { data: 0, init: 1, noise: 2 } as const;

export interface SeedTask {
  binaryLabels: boolean;
  d: number;
  n: number;
  tau: number;
  rhoStar: number;
  initStd: number;
  dynamics: "sgf" | "gd" | "sgd";
  /** Time per step: dt for SGF/GD, eta/d for SGD. */
  dt: number;
  /** SGD batch size (learning rate eta = tau * batch, one step advances time by eta / d). */
  batch: number;
  /** Steps at which the state is recorded (increasing, first 0; the last is the total number of steps). */
  recordSteps: number[];
  seed: number;
  seedIndex: number;
  twoTime: boolean;
}

export interface SeedResult {
  train_loss: Float64Array;
  q: Float64Array;
  m: Float64Array;
  test_loss: Float64Array;
  test_error?: Float64Array;
  /** (K+1) x (K+1) row-major theta_a . theta_b / d when twoTime. */
  C_theta?: Float64Array;
  /** Wall-clock seconds spent in the dynamics, the number of steps taken and the dense kernel used. */
  seconds: number;
  steps: number;
  kernel: string;
}

/** The data of one problem: X (n x d, in the kernel's memory; theta there too), theta*, y. */
export interface Problem {
  kernel: MatKernel;
  thetaStar: Float64Array;
  y: Float64Array;
}

export function drawProblem(fns: CompiledFns, t: SeedTask): Problem {
  const { n, d } = t;
  const rng = new Rng(t.seed, t.seedIndex, STREAM.data);
  const kernel = createKernel(n, d);
  const X = kernel.X.subarray(0, n * d);
  rng.fillNormal(X, 1 / Math.sqrt(d));
  const thetaStar = new Float64Array(d);
  rng.fillNormal(thetaStar, Math.sqrt(t.rhoStar));
  const y = new Float64Array(n);
  matVec(X, n, d, thetaStar, y);
  for (let i = 0; i < n; i++) {
    const w = y[i];
    y[i] = fns.label(w, rng.normal());
    if (!Number.isFinite(y[i]))
      throw new RunError(`simulate: label is ${y[i]} at wstar = ${w} (sample ${i})`);
  }
  return { kernel, thetaStar, y };
}

function blowUp(what: string, value: number, step: number, time: number, seedIndex: number): RunError {
  return new RunError(
    `simulate: blow-up at step ${step} (t = ${time.toPrecision(6)}, seed index ${seedIndex}): ${what} = ${value}; ` +
      "reduce dt, tau or the learning rate",
  );
}

const Q_MAX = 1e150;

/** Runs one seed with the given compiled functions. */
export function runSeed(fns: CompiledFns, t: SeedTask): SeedResult {
  const { n, d, recordSteps } = t;
  const K = recordSteps.length - 1;
  const N = recordSteps[K];
  const { kernel, thetaStar, y } = drawProblem(fns, t);
  const { X, theta, r } = kernel;
  if (t.initStd > 0) new Rng(t.seed, t.seedIndex, STREAM.init).fillNormal(theta, t.initStd);
  const noise = new Rng(t.seed, t.seedIndex, STREAM.noise);
  const out = {
    train_loss: new Float64Array(K + 1),
    q: new Float64Array(K + 1),
    m: new Float64Array(K + 1),
  };
  const thetas = t.twoTime ? new Float64Array((K + 1) * d) : undefined;
  const record = (k: number, trainLoss: number, step: number) => {
    let q = 0;
    let m = 0;
    for (let j = 0; j < d; j++) {
      q += theta[j] * theta[j];
      m += theta[j] * thetaStar[j];
    }
    out.train_loss[k] = trainLoss;
    out.q[k] = q / d;
    out.m[k] = m / d;
    if (!Number.isFinite(trainLoss)) throw blowUp("train loss", trainLoss, step, step * t.dt, t.seedIndex);
    if (!(out.q[k] <= Q_MAX)) throw blowUp("q = |theta|^2/d", out.q[k], step, step * t.dt, t.seedIndex);
    thetas?.set(theta, k * d);
  };
  const fullTrainLoss = () => {
    kernel.dots(0, kernel.nPad);
    let s = 0;
    for (let i = 0; i < n; i++) s += fns.loss(r[i], y[i]);
    return s / n;
  };
  const start = performance.now();
  if (t.dynamics === "sgd") runSgd(fns, t, { X, y, theta, noise, record, fullTrainLoss });
  else {
    const tau = t.dynamics === "gd" ? 0 : t.tau;
    const xi = new Float64Array(n);
    const inc = kernel.inc;
    const step = { kernel, y, fns, dt: t.dt, delta: n / d, tau, xi, wantLoss: false };
    for (let s = 0, k = 0; s < N; s++) {
      step.wantLoss = s === recordSteps[k];
      if (tau > 0) noise.fillNormal(xi);
      const { lossSum, l2Sum } = sgfDataStep(step);
      if (step.wantLoss) record(k++, lossSum / n, s);
      if (!Number.isFinite(l2Sum)) throw blowUp("sum of l(r; y)^2", l2Sum, s, s * t.dt, t.seedIndex);
      let q = 0;
      for (let j = 0; j < d; j++) {
        const th = theta[j] + inc[j] - t.dt * fns.h(theta[j]);
        theta[j] = th;
        q += th * th;
      }
      if (!(q / d <= Q_MAX)) throw blowUp("q = |theta|^2/d", q / d, s + 1, (s + 1) * t.dt, t.seedIndex);
    }
    record(K, fullTrainLoss(), N);
  }
  const seconds = (performance.now() - start) / 1000;
  const obs = gaussianObservablesSeries(fns, t.binaryLabels, out.q, out.m, t.rhoStar);
  const test_loss = Float64Array.from(obs.test_loss);
  const result: SeedResult = { ...out, test_loss, seconds, steps: N, kernel: kernel.name };
  if (obs.test_error) result.test_error = Float64Array.from(obs.test_error);
  if (thetas) result.C_theta = gram(thetas, K + 1, d);
  return result;
}

interface SgdState {
  X: Float64Array;
  y: Float64Array;
  theta: Float64Array;
  noise: Rng;
  record: (k: number, trainLoss: number, step: number) => void;
  fullTrainLoss: () => number;
}

/** Minibatch SGD, indices uniform with replacement: theta -= (eta/d) h(theta) + (eta/B) sum_b x_b l_b. */
function runSgd(fns: CompiledFns, t: SeedTask, s: SgdState): void {
  const { n, d, batch: B } = t;
  const { X, y, theta, noise } = s;
  const eta = t.tau * B;
  const idx = new Int32Array(B);
  const lb = new Float64Array(B);
  const { recordSteps } = t;
  const N = recordSteps[recordSteps.length - 1];
  for (let step = 0, k = 0; step <= N; step++) {
    if (step === recordSteps[k]) s.record(k++, s.fullTrainLoss(), step);
    if (step === N) break;
    for (let b = 0; b < B; b++) {
      const i = noise.int(n);
      idx[b] = i;
      lb[b] = fns.l(dot(X, i * d, theta, d), y[i]);
    }
    for (let j = 0; j < d; j++) theta[j] -= (eta / d) * fns.h(theta[j]);
    for (let b = 0; b < B; b++) axpyRow(X, idx[b] * d, (-eta / B) * lb[b], theta, d);
    if ((step & 255) === 255) {
      const q = dot(theta, 0, theta, d) / d;
      if (!(q <= Q_MAX)) throw blowUp("q = |theta|^2/d", q, step + 1, ((step + 1) * eta) / d, t.seedIndex);
    }
  }
}
