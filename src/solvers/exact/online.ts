// solveOnline: online SGD / SGF (delta -> infinity at fixed tau and t; theory note §4, §6) for any k >= 1,
// kT >= 1 with a ridge penalty h = lambda theta. Memory terms vanish, r = w, and the overlaps obey
//   dM/dt = -lambda M - E[l w*^T],   dQ/dt = -2 lambda Q - E[w l^T] - E[l w^T] + tau E[l l^T],
// (w, w*) ~ N(0, [[Q, M], [M^T, rho* I]]), y = label(w*, eps) (k = kT = 1: the (q, m) equations; for the erf
// committee the Saad–Solla equations). Moments from online-moments.ts (k = 1: jump-aware quadrature, so
// sign(w* + sigma eps) is integrated exactly; k > 1: randomised QMC). A nonlinear h would need E[h(theta)
// theta*^T] over the non-Gaussian law of a coordinate, which (Q, M) do not determine: refused.
// Continuous ODE: RK4 with substeps, the step-halving difference reported in meta. `discrete: true` gives
// instead the delta -> infinity limit of the Euler scheme of §5 with step dt (memory terms and the cross-time
// noise covariance vanish, Var nu_k = tau dt E l l^T), the oracle for the MC solver at the same dt:
//   M' = (1 - dt lambda) M - dt E[l w*^T],
//   Q' = (1 - dt lambda)^2 Q - dt (1 - dt lambda) (E[w l^T] + E[l w^T]) + dt^2 G^T Sigma^+ G + tau dt E[l l^T],
// G = E[(w, w*) l^T], Sigma = Cov(w, w*) (by Stein's identity G^T Sigma^+ G is the second moment of the mean
// drift). Symmetric initial conditions (Q = q0 I, M = m0 rho* I) stay symmetric: the committee's units never
// specialise in the ODE (the Saad–Solla plateau); `init` sets other initial overlaps.
// Schedules: lambda and tau (and scheduled loss parameters) hold their t_s values on [t_s, t_s+1).
import { isVector, overlapNames } from "../../observables/names.js";
import { vectorTestObservables } from "../../observables/vector.js";
import { resetSlots, setSlots, stepSchedule } from "../../symbolic/schedule.js";
import type { Derived, ObservableName, OnlineMeta, Result, VectorFns } from "../../types.js";
import { RunError, UsageError } from "../../util/errors.js";
import { ridgeOf } from "./coefficients.js";
import { deterministicResult, timeGrid } from "./linear.js";
import { onlineMoments, projectedMoments } from "./online-moments.js";

export interface OnlineOptions {
  dt?: number;
  T?: number;
  /** true: the delta -> infinity limit of the Euler scheme with step dt (default false: the ODE). */
  discrete?: boolean;
  /** Largest RK4 step (default 0.05); each dt is split into ceil(dt / maxStep) substeps. */
  maxStep?: number;
  /** Initial overlaps (row-major Q k x k, M k x kT) instead of Q = initStd^2 I, M = 0. */
  init?: { Q: number[]; M: number[] };
}

/** The ODE state: Q (k x k) then M (k x kT), row-major. */
type Rhs = (x: Float64Array, out: Float64Array) => void;

interface Dims {
  k: number;
  kT: number;
  rhoStar: number;
}

function split(x: Float64Array, { k }: Dims) {
  return { Q: x.subarray(0, k * k), M: x.subarray(k * k) };
}

/** The current step's lambda and tau (changed per step under schedules by the `at` hook of the runners). */
interface StepPar {
  lambda: number;
  tau: number;
}

function rhsOf(vec: VectorFns, dims: Dims, par: StepPar): Rhs {
  const { k, kT, rhoStar } = dims;
  return (x, out) => {
    const { lambda, tau } = par;
    const { Q, M } = split(x, dims);
    const mom = onlineMoments(vec, Q, M, rhoStar, tau > 0);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        const i = a * k + b;
        out[i] = -2 * lambda * Q[i] - mom.wl[i] - mom.wl[b * k + a] + tau * mom.ll[i];
      }
      for (let c = 0; c < kT; c++) out[k * k + a * kT + c] = -lambda * M[a * kT + c] - mom.lws[a * kT + c];
    }
  };
}

/** Largest |entry| and smallest diagonal entry of Q: the blow-up test. */
function checkState(x: Float64Array, { k }: Dims, where: string): void {
  let bad = !x.every(Number.isFinite) || x.some((v) => Math.abs(v) > 1e12);
  for (let a = 0; a < k; a++) bad ||= x[a * k + a] < -1e-12;
  if (bad) {
    const diag = Array.from({ length: k }, (_, a) => x[a * k + a]);
    throw new RunError(
      `online ${where}: diag Q = ${diag.join(", ")}, max |entry| = ${Math.max(...x.map(Math.abs))}`,
    );
  }
}

/** Clamps the diagonal of Q at 0 (rounding) and returns a copy. */
function recorded(x: Float64Array, { k }: Dims): Float64Array {
  const y = Float64Array.from(x);
  for (let a = 0; a < k; a++) y[a * k + a] = Math.max(y[a * k + a], 0);
  return y;
}

/** The delta -> infinity limit of the Euler scheme with step dt. */
function discreteMap(
  vec: VectorFns,
  dims: Dims,
  par: StepPar,
  x0: Float64Array,
  N: number,
  dt: number,
  at?: (s: number) => void,
) {
  const { k, kT, rhoStar } = dims;
  const states = [x0];
  let x = x0;
  for (let s = 0; s < N; s++) {
    at?.(s);
    const { lambda, tau } = par;
    const c = 1 - dt * lambda;
    const { Q, M } = split(x, dims);
    const mom = onlineMoments(vec, Q, M, rhoStar, tau > 0);
    const P = projectedMoments(Q, M, rhoStar, mom, k, kT);
    const y = new Float64Array(x.length);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        const i = a * k + b;
        const cross = mom.wl[i] + mom.wl[b * k + a];
        y[i] = c * c * Q[i] - dt * c * cross + dt * dt * P[i] + tau * dt * mom.ll[i];
      }
      for (let e = 0; e < kT; e++) y[k * k + a * kT + e] = c * M[a * kT + e] - dt * mom.lws[a * kT + e];
    }
    x = recorded(y, dims);
    checkState(x, dims, `map blew up at step ${s + 1} (t = ${+((s + 1) * dt).toFixed(10)})`);
    states.push(x);
  }
  return states;
}

/** The state on t_k = k dt, k = 0..N, by RK4 with `sub` substeps per dt. */
function integrate(
  rhs: Rhs,
  dims: Dims,
  x0: Float64Array,
  N: number,
  dt: number,
  sub: number,
  at?: (s: number) => void,
) {
  const n = x0.length;
  const [k1, k2, k3, k4, tmp] = Array.from({ length: 5 }, () => new Float64Array(n));
  const x = Float64Array.from(x0);
  const states = [recorded(x, dims)];
  const h = dt / sub;
  for (let s = 0; s < N; s++) {
    at?.(s);
    for (let j = 0; j < sub; j++) {
      rhs(x, k1);
      for (let i = 0; i < n; i++) tmp[i] = x[i] + 0.5 * h * k1[i];
      rhs(tmp, k2);
      for (let i = 0; i < n; i++) tmp[i] = x[i] + 0.5 * h * k2[i];
      rhs(tmp, k3);
      for (let i = 0; i < n; i++) tmp[i] = x[i] + h * k3[i];
      rhs(tmp, k4);
      for (let i = 0; i < n; i++) x[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      checkState(x, dims, `ODE blew up at t = ${+(s * dt + (j + 1) * h).toFixed(10)}`);
    }
    states.push(recorded(x, dims));
  }
  return states;
}

/** Initial state: Q = (m0^2 rho* + initStd^2) I, M = m0 rho* I (m0 = init_overlap, k = kT), or opts.init. */
function initialState(derived: Derived, dims: Dims, init: OnlineOptions["init"], what: string): Float64Array {
  const { k, kT } = dims;
  const x = new Float64Array(k * k + k * kT);
  if (!init) {
    const { initStd, initOverlap: m0 } = derived.model;
    for (let a = 0; a < k; a++) x[a * k + a] = m0 * m0 * dims.rhoStar + initStd ** 2;
    if (m0 !== 0) for (let a = 0; a < k; a++) x[k * k + a * kT + a] = m0 * dims.rhoStar;
    return x;
  }
  if (init.Q.length !== k * k || init.M.length !== k * kT || ![...init.Q, ...init.M].every(Number.isFinite)) {
    throw new UsageError(`${what}: init needs Q with ${k * k} and M with ${k * kT} finite entries`);
  }
  x.set(init.Q);
  x.set(init.M, k * k);
  return x;
}

export function solveOnline(derived: Derived, opts: OnlineOptions = {}): Result<OnlineMeta> {
  const started = performance.now();
  const what = "solve --dynamics online";
  const model = derived.model;
  const { dt, N } = timeGrid(derived, opts, what);
  const tau = model.parameters.tau;
  if (!(tau >= 0)) throw new UsageError(`${what}: needs tau >= 0`);
  const par: StepPar = { lambda: ridgeOf(derived, what), tau };
  // Schedules (issue 16): step s holds the values at t_s = s dt (slots, lambda, tau), as the simulators do.
  const sc = stepSchedule(model, derived.schedule, dt, N, what);
  const slots = derived.schedule?.slots;
  const at = sc
    ? (s: number) => {
        setSlots(slots!, sc, s);
        par.tau = sc.tau[s];
        par.lambda = ridgeOf(derived, what);
      }
    : undefined;
  const maxStep = opts.maxStep ?? 0.05;
  if (!(maxStep > 0)) throw new UsageError(`${what}: maxStep must be positive`);
  const sub = Math.ceil(dt / maxStep - 1e-9);
  const vec = derived.vec;
  const dims: Dims = { k: vec.k, kT: vec.kTeacher, rhoStar: model.teacherVariance };
  const x0 = initialState(derived, dims, opts.init, what);
  const discrete = opts.discrete ?? false;
  let states: Float64Array[];
  let halvingError = 0;
  if (discrete) states = discreteMap(vec, dims, par, x0, N, dt, at);
  else {
    const rhs = rhsOf(vec, dims, par);
    states = integrate(rhs, dims, x0, N, dt, sub, at);
    const half = integrate(rhs, dims, x0, N, dt, 2 * sub, at);
    states.forEach((x, s) => {
      x.forEach((v, i) => {
        halvingError = Math.max(halvingError, Math.abs(v - half[s][i]));
      });
    });
  }
  const tests = states.map((x, s) => {
    if (sc) setSlots(slots!, sc, s);
    const { Q, M } = split(x, dims);
    return vectorTestObservables(vec, Q, M, dims.rhoStar, derived.binaryLabels);
  });
  resetSlots(derived);
  const test_loss = tests.map((o) => o.test_loss);
  // Online: every sample is fresh, so the training loss equals the test loss.
  const observables: Partial<Record<ObservableName, number[]>> = { train_loss: test_loss.slice(), test_loss };
  if (derived.binaryLabels) observables.test_error = tests.map((o) => o.test_error as number);
  const { k, kT } = dims;
  for (const e of overlapNames(k, kT)) {
    const at = e.matrix === "Q" ? e.a * k + e.b : k * k + e.a * kT + e.b;
    observables[e.name] = states.map((x) => x[at]);
  }
  return deterministicResult(observables, N, dt, {
    solver: "online-ode",
    model: model.name,
    parameters: model.parameters,
    ...(model.schedules ? { schedules: model.schedules } : {}),
    dynamics: "online",
    init_std: model.initStd,
    init_overlap: model.initOverlap,
    dt,
    T: N * dt,
    steps: N,
    scheme: discrete ? "delta -> infinity limit of the Euler scheme with step dt" : "ODE, RK4",
    ...(discrete ? {} : { rk4Step: dt / sub, stepHalvingError: halvingError }),
    stderr: isVector(k, kT)
      ? "0: deterministic; stepHalvingError = max |(Q, M)(h) - (Q, M)(h/2)| over entries and times of the RK4 " +
        "integration; Gaussian moments by quasi-Monte Carlo (erf committee: <= 1e-4 absolute, see " +
        "src/observables/vector-rule.ts)"
      : "0: deterministic; stepHalvingError = max |(q, m)(h) - (q, m)(h/2)| of the RK4 integration",
    timings: { totalSeconds: (performance.now() - started) / 1000 },
  });
}
