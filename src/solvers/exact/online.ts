// solveOnline: online SGD / SGF (delta -> infinity at fixed tau and t; theory note §4) for k = 1 models
// with a ridge penalty h = lambda theta. Memory terms vanish, r = w, and the overlaps obey
//   dm/dt = -lambda m - E[w* l(w; y)],   dq/dt = -2 lambda q - 2 E[w l(w; y)] + tau E[l(w; y)^2],
// (w, w*) ~ N(0, [[q, m], [m, rho*]]), y = label(w*, eps). The expectations use expectFreshPair
// (jump-aware in the label, so sign(w* + sigma eps) is integrated exactly). A nonlinear h would need
// E[h(theta) theta*] over the non-Gaussian law of a coordinate, which (q, m) do not determine: refused.
// Continuous ODE: RK4 with substeps, the step-halving difference reported in meta. `discrete: true` gives
// instead the delta -> infinity limit of the Euler scheme of §5 with step dt (memory terms and the cross-time
// noise covariance vanish, Var nu_k = tau dt E l^2), the oracle for the MC solver at the same dt:
//   m' = (1 - dt lambda) m - dt E[w* l],
//   q' = (1 - dt lambda)^2 q - 2 dt (1 - dt lambda) E[w l] + dt^2 g^T Sigma^+ g + tau dt E[l^2],
// g = (E[w l], E[w* l]), Sigma = Cov(w, w*): g^T Sigma^+ g = E[(E dl) w + Gamma w*]^2 by Stein's identity.
import { expectFreshPair, testError } from "../../observables/gaussian.js";
import type { Derived, ObservableName, Result } from "../../types.js";
import { RunError, UsageError } from "../../util/errors.js";
import { ridgeOf } from "./coefficients.js";
import { deterministicResult, timeGrid } from "./linear.js";

export interface OnlineOptions {
  dt?: number;
  T?: number;
  /** true: the delta -> infinity limit of the Euler scheme with step dt (default false: the ODE). */
  discrete?: boolean;
  /** Largest RK4 step (default 0.05); each dt is split into ceil(dt / maxStep) substeps. */
  maxStep?: number;
}

type Rhs = (q: number, m: number) => [number, number];

/** E[w l], E[w* l], E[l^2] at (q, m). */
function momentsOf(derived: Derived, tau: number) {
  const { fns, model } = derived;
  const rs = model.teacherVariance;
  return (q: number, m: number) => ({
    wl: expectFreshPair(fns.label, q, m, rs, (g, y) => g * fns.l(g, y)),
    wsl: expectFreshPair(fns.label, q, m, rs, (g, y, gs) => gs * fns.l(g, y)),
    l2: tau > 0 ? expectFreshPair(fns.label, q, m, rs, (g, y) => fns.l(g, y) ** 2) : 0,
  });
}

function rhsOf(derived: Derived, lambda: number, tau: number): Rhs {
  const mom = momentsOf(derived, tau);
  return (q, m) => {
    const { wl, wsl, l2 } = mom(q, m);
    return [-2 * lambda * q - 2 * wl + tau * l2, -lambda * m - wsl];
  };
}

/** g^T Sigma^+ g for Sigma = [[q, m], [m, rs]] (pseudo-inverse via the principal axis when singular). */
function projected(q: number, m: number, rs: number, g1: number, g2: number): number {
  const tr = q + rs;
  if (!(tr > 0)) return 0;
  const det = q * rs - m * m;
  if (det > 1e-10 * tr * tr) return (rs * g1 * g1 - 2 * m * g1 * g2 + q * g2 * g2) / det;
  const [u1, u2] = q >= rs ? [q, m] : [m, rs];
  const nu = Math.hypot(u1, u2);
  return nu > 0 ? ((u1 * g1 + u2 * g2) / nu) ** 2 / tr : 0;
}

/** The delta -> infinity limit of the Euler scheme with step dt. */
function discreteMap(derived: Derived, lambda: number, tau: number, q0: number, N: number, dt: number) {
  const mom = momentsOf(derived, tau);
  const rs = derived.model.teacherVariance;
  const q = new Float64Array(N + 1);
  const m = new Float64Array(N + 1);
  q[0] = q0;
  const c = 1 - dt * lambda;
  for (let k = 0; k < N; k++) {
    const { wl, wsl, l2 } = mom(q[k], m[k]);
    const P = projected(q[k], m[k], rs, wl, wsl);
    q[k + 1] = Math.max(0, c * c * q[k] - 2 * dt * c * wl + dt * dt * P + tau * dt * l2);
    m[k + 1] = c * m[k] - dt * wsl;
    if (!Number.isFinite(q[k + 1]) || q[k + 1] > 1e12) {
      throw new RunError(
        `online map blew up at step ${k + 1} (t = ${+((k + 1) * dt).toFixed(10)}): q = ${q[k + 1]}`,
      );
    }
  }
  return { q, m };
}

/** (q, m) on t_k = k dt, k = 0..N, by RK4 with `sub` substeps per dt. */
function integrate(rhs: Rhs, q0: number, N: number, dt: number, sub: number) {
  const q = new Float64Array(N + 1);
  const m = new Float64Array(N + 1);
  q[0] = q0;
  let x = q0;
  let y = 0;
  const h = dt / sub;
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < sub; j++) {
      const [a1, b1] = rhs(x, y);
      const [a2, b2] = rhs(x + 0.5 * h * a1, y + 0.5 * h * b1);
      const [a3, b3] = rhs(x + 0.5 * h * a2, y + 0.5 * h * b2);
      const [a4, b4] = rhs(x + h * a3, y + h * b3);
      x += (h / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
      y += (h / 6) * (b1 + 2 * b2 + 2 * b3 + b4);
      if (!Number.isFinite(x) || !Number.isFinite(y) || x < -1e-12 || x > 1e12) {
        throw new RunError(
          `online ODE blew up at t = ${+(k * dt + (j + 1) * h).toFixed(10)}: q = ${x}, m = ${y}`,
        );
      }
    }
    q[k + 1] = Math.max(x, 0);
    m[k + 1] = y;
  }
  return { q, m };
}

export function solveOnline(derived: Derived, opts: OnlineOptions = {}): Result {
  const started = performance.now();
  const what = "solve --dynamics online";
  const model = derived.model;
  if (model.k !== 1) throw new UsageError(`${what}: models with k > 1 are not supported`);
  const { dt, N } = timeGrid(derived, opts, what);
  const tau = model.parameters.tau;
  if (!(tau >= 0)) throw new UsageError(`${what}: needs tau >= 0`);
  const lambda = ridgeOf(derived, what);
  const maxStep = opts.maxStep ?? 0.05;
  if (!(maxStep > 0)) throw new UsageError(`${what}: maxStep must be positive`);
  const sub = Math.ceil(dt / maxStep - 1e-9);
  const q0 = model.initStd ** 2;
  const discrete = opts.discrete ?? false;
  let q: Float64Array;
  let m: Float64Array;
  let halvingError = 0;
  if (discrete) ({ q, m } = discreteMap(derived, lambda, tau, q0, N, dt));
  else {
    const rhs = rhsOf(derived, lambda, tau);
    ({ q, m } = integrate(rhs, q0, N, dt, sub));
    const half = integrate(rhs, q0, N, dt, 2 * sub);
    for (let k = 0; k <= N; k++) {
      halvingError = Math.max(halvingError, Math.abs(q[k] - half.q[k]), Math.abs(m[k] - half.m[k]));
    }
  }
  const { fns, binaryLabels } = derived;
  const rs = model.teacherVariance;
  const test_loss = Array.from(q, (qk, k) =>
    expectFreshPair(fns.label, qk, m[k], rs, (g, y) => fns.loss(g, y)),
  );
  // Online: every sample is fresh, so the training loss equals the test loss.
  const observables: Partial<Record<ObservableName, number[]>> = { train_loss: test_loss.slice(), test_loss };
  if (binaryLabels) {
    observables.test_error = Array.from(q, (qk, k) => testError(fns.label, qk, m[k], rs));
  }
  observables.q = Array.from(q);
  observables.m = Array.from(m);
  return deterministicResult(observables, N, dt, {
    solver: "online-ode",
    model: model.name,
    parameters: model.parameters,
    dynamics: "online",
    dt,
    T: N * dt,
    steps: N,
    scheme: discrete ? "delta -> infinity limit of the Euler scheme with step dt" : "ODE, RK4",
    ...(discrete ? {} : { rk4Step: dt / sub, stepHalvingError: halvingError }),
    stderr: "0: deterministic; stepHalvingError = max |(q, m)(h) - (q, m)(h/2)| of the RK4 integration",
    timings: { totalSeconds: (performance.now() - started) / 1000 },
  });
}
