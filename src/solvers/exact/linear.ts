// solveExactLinear: the exact (no Monte-Carlo) DMFT solver for linear models (square-type loss with
// constant d2L/dr2, ridge penalty): the closed equations of scheme.ts, test observables from (q, m) by
// src/observables/gaussian.ts, all standard errors 0. Optional Richardson extrapolation as in the MC solver.
import { testObservablesSeries } from "../../observables/vector.js";
import { resetSlots, setSlots, stepSchedule } from "../../symbolic/schedule.js";
import type { Derived, ExactLinearMeta, ObservableName, Result, ResultMeta } from "../../types.js";
import { batchLaw, batchMeta, fractionTau } from "../../util/batch.js";
import { UsageError } from "../../util/errors.js";
import { affinePenalty, type LinearCoefficients, linearCoefficients } from "./coefficients.js";
import { type LinearSchemeOut, type LinearSchemeParams, solveLinearScheme } from "./scheme.js";

export interface ExactLinearOptions {
  /**
   * sgf (default), gd (tau = 0), sgd-limit (identical to sgf for linear models) or sgd-fraction (identical to
   * sgf with tau = dt (1 - b) / (b delta); independent draws only: persistent membership needs the MC solver).
   */
  dynamics?: "sgf" | "gd" | "sgd-limit" | "sgd-fraction";
  /** sgd-fraction: the batch fraction b and persistence (which must be 0 here). */
  batchFraction?: number;
  persistence?: number;
  dt?: number;
  T?: number;
  /** Recorded in meta only: the solver is deterministic. */
  seed?: number;
  /** Put C_theta, R_theta, rho, Gamma into Result.kernels (row-major). */
  kernels?: boolean;
  /** Also solve at dt/2 and report 2 f(dt/2) - f(dt) on the dt grid. */
  extrapolate?: boolean;
}

/** Time grid N = round(T/dt) with the solver's checks. */
export function timeGrid(derived: Derived, opts: { dt?: number; T?: number }, what: string) {
  const dt = opts.dt ?? derived.model.time.dt;
  const T = opts.T ?? derived.model.time.T;
  if (!(dt > 0) || !(T > 0))
    throw new UsageError(`${what}: dt and T must be positive (dt = ${dt}, T = ${T})`);
  const N = Math.round(T / dt);
  if (N < 1) throw new UsageError(`${what}: T = ${T} is shorter than one step dt = ${dt}`);
  return { dt, N };
}

/** A deterministic Result on the grid t_k = k dt, k = 0..N: every standard error is 0. */
export function deterministicResult<M extends ResultMeta>(
  observables: Partial<Record<ObservableName, number[]>>,
  N: number,
  dt: number,
  meta: M,
): Result<M> {
  const stderr: Result["stderr"] = {};
  for (const key of Object.keys(observables) as ObservableName[]) stderr[key] = new Array(N + 1).fill(0);
  return { t: Array.from({ length: N + 1 }, (_, k) => k * dt), observables, stderr, meta };
}

function series(derived: Derived, out: LinearSchemeOut): Partial<Record<ObservableName, number[]>> {
  const rhoStar = derived.model.teacherVariance;
  const g = testObservablesSeries(
    derived.vec,
    derived.binaryLabels,
    Float64Array.from(out.q),
    Float64Array.from(out.m),
    rhoStar,
  );
  const s: Partial<Record<ObservableName, number[]>> = {
    train_loss: Array.from(out.train_loss),
    test_loss: g.test_loss,
  };
  if (g.test_error) s.test_error = g.test_error;
  s.q = Array.from(out.q);
  s.m = Array.from(out.m);
  return s;
}

/**
 * Per-step lambda_k, tilt_k, tau_k when parameters are scheduled or the penalty is tilted (else undefined:
 * the constant scheme). The penalty is checked to be affine at every step.
 */
function penaltySteps(
  derived: Derived,
  coef: LinearCoefficients,
  D: number,
  N: number,
  what: string,
  dynamics: string,
): LinearSchemeParams["steps"] {
  const sc = stepSchedule(derived.model, derived.schedule, D, N, what, {
    gd: dynamics === "gd",
    positiveTau: dynamics === "sgd-limit",
  });
  if (!sc && coef.tilt === 0) return undefined;
  const lambda = new Float64Array(N + 1).fill(coef.lambda);
  const tilt = new Float64Array(N + 1).fill(coef.tilt);
  const tau = sc
    ? sc.tau
    : new Float64Array(N + 1).fill(dynamics === "gd" ? 0 : derived.model.parameters.tau);
  if (sc) {
    try {
      for (let k = 0; k <= N; k++) {
        setSlots(derived.schedule!.slots, sc, k);
        ({ lambda: lambda[k], tilt: tilt[k] } = affinePenalty(derived, what));
      }
    } finally {
      resetSlots(derived);
    }
  }
  return { lambda, tilt, tau };
}

export function solveExactLinear(derived: Derived, opts: ExactLinearOptions = {}): Result<ExactLinearMeta> {
  const started = performance.now();
  const what = "solve --solver exact";
  const model = derived.model;
  const dynamics = opts.dynamics ?? "sgf";
  const { dt, N } = timeGrid(derived, opts, what);
  const { delta, tau: tauModel } = model.parameters;
  const batch =
    dynamics === "sgd-fraction" ? batchLaw(opts.batchFraction, opts.persistence, dt, what) : undefined;
  if (batch && batch.persistence > 0)
    throw new UsageError(
      `${what}: persistent batches (--persistence) need the Monte-Carlo solver (--solver mc)`,
    );
  if (batch && opts.extrapolate)
    throw new UsageError(`${what}: --extrapolate does not apply to sgd-fraction (dt is the learning rate)`);
  const tau = dynamics === "gd" ? 0 : batch ? fractionTau(batch.b, dt, delta) : tauModel;
  if (!(delta > 0) || !(tau >= 0)) throw new UsageError(`${what}: needs delta > 0 and tau >= 0`);
  if (dynamics === "sgd-limit" && !(tau > 0)) throw new UsageError(`${what}: sgd-limit needs tau > 0`);
  if (derived.schedule?.inLoss.length)
    throw new UsageError(
      `${what}: the loss depends on the scheduled ${derived.schedule.inLoss.join(", ")}, so d2L/dr2 changes over time; use the Monte-Carlo solver (--solver mc or auto)`,
    );
  const coef = linearCoefficients(derived, what);
  const base = { delta, tau, initStd: model.initStd, initOverlap: model.initOverlap };
  const stepsAt = (D: number, n: number) => penaltySteps(derived, coef, D, n, what, dynamics);
  const out = solveLinearScheme(coef, { ...base, D: dt, N, steps: stepsAt(dt, N) });
  const observables = series(derived, out);
  if (opts.extrapolate) {
    const fine = series(
      derived,
      solveLinearScheme(coef, { ...base, D: dt / 2, N: 2 * N, steps: stepsAt(dt / 2, 2 * N) }),
    );
    for (const key of Object.keys(observables) as ObservableName[]) {
      const f = fine[key]!;
      observables[key] = observables[key]!.map((v, k) => 2 * f[2 * k] - v);
    }
  }
  const result = deterministicResult(observables, N, dt, {} as ExactLinearMeta); // meta set below
  if (opts.kernels) {
    const sq = [N + 1, N + 1];
    result.kernels = {
      C_theta: { shape: sq, data: Array.from(out.C) },
      R_theta: { shape: sq, data: Array.from(out.R) },
      rho: { shape: sq, data: Array.from(out.rho) },
      Gamma: { shape: [N + 1], data: Array.from(out.Gamma) },
    };
  }
  result.meta = {
    solver: "exact-linear",
    model: model.name,
    parameters: model.parameters,
    ...(model.schedules ? { schedules: model.schedules } : {}),
    dynamics,
    ...batchMeta({ batch }),
    init_std: model.initStd,
    init_overlap: model.initOverlap,
    dt,
    T: N * dt,
    steps: N,
    seed: opts.seed ?? null,
    coefficients: coef,
    stderr: "0: closed deterministic equations of the discrete scheme (no Monte Carlo)",
    extrapolate: opts.extrapolate
      ? "Richardson 2 f(dt/2) - f(dt) on the dt grid (kernels from the dt solve)"
      : false,
    timings: { totalSeconds: (performance.now() - started) / 1000 },
  };
  return result;
}
