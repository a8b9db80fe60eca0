// spectralOracle: gradient flow / gradient descent on ridge-type linear regression (l = a r + b(y),
// h = lambda theta, tau = 0) as spectral integrals over the Marchenko–Pastur law of A = X^T X / delta
// (ratio gamma = 1/delta; atom of mass 1 - delta at 0 when delta < 1) — a DMFT-independent oracle.
// Labels enter through b = kappa w* + zeta with kappa = E[w* b]/rho*, E zeta^2 = E b^2 - kappa^2 rho*.
// With F = filter, P = propagator of theta_0 (continuous: e^{-zt}, discrete: (1 - D z)^k, z = a alpha + lambda):
//   q = ∫ P^2 s0^2 + F^2 (kappa^2 alpha^2 rho* + alpha v/delta),   m = -kappa rho* ∫ alpha F,
//   train = E L(0;y) - kappa^2 rho* ∫ alpha^2 F - (v/delta) ∫ alpha F + (a/2) ∫ alpha [P^2 s0^2 + F^2 (...)].
// Quadrature: alpha = c + h cos(phi) turns the density into h^2 sin^2(phi) / (2 pi gamma alpha), smooth and
// periodic in phi (also at the hard edge delta = 1), so the trapezoid rule converges geometrically.
import { testObservablesSeries } from "../../observables/vector.js";
import type { Derived, ObservableName, Result, SpectralMeta } from "../../types.js";
import { UsageError } from "../../util/errors.js";
import { linearCoefficients } from "./coefficients.js";
import { deterministicResult, timeGrid } from "./linear.js";

export interface SpectralOptions {
  dt?: number;
  T?: number;
  /** true: the Euler filter (exact for the discrete scheme with step dt); false: gradient flow. */
  discrete?: boolean;
  /** Trapezoid nodes in phi on [0, pi] (default max(512, 8 N)). */
  nodes?: number;
}

/** Nodes alpha_i and weights w_i (summing to 1 with the atom) of the MP law of ratio gamma = 1/delta. */
export function marchenkoPastur(delta: number, nodes: number): { alpha: Float64Array; w: Float64Array } {
  const gamma = 1 / delta;
  const h = 2 * Math.sqrt(gamma);
  const atom = delta < 1 ? 1 - delta : 0;
  const n = nodes + 1 + (atom > 0 ? 1 : 0);
  const alpha = new Float64Array(n);
  const w = new Float64Array(n);
  const lm = (1 - Math.sqrt(gamma)) ** 2;
  for (let i = 0; i <= nodes; i++) {
    // alpha = c + h cos(phi) = lm + 2 h cos^2(phi/2); sin^2(phi) / alpha written without 0/0 at the hard edge.
    const cc = Math.cos((Math.PI * i) / (2 * nodes)) ** 2;
    const ss = Math.sin((Math.PI * i) / (2 * nodes)) ** 2;
    const x = lm + 2 * h * cc;
    const dens = lm > 0 ? (4 * h * h * ss * cc) / x : 2 * h * ss;
    const end = i === 0 || i === nodes ? 0.5 : 1;
    alpha[i] = x;
    w[i] = ((end * Math.PI) / nodes) * (dens / (2 * Math.PI * gamma));
  }
  if (atom > 0) {
    alpha[n - 1] = 0;
    w[n - 1] = atom;
  }
  return { alpha, w };
}

/** Filter F and propagator P at rate z after time t = k D. */
function filter(z: number, k: number, D: number, discrete: boolean): { F: number; P: number } {
  if (discrete) {
    const x = 1 - D * z;
    if (x > 0) {
      const lp = k * Math.log1p(-D * z);
      return { F: z === 0 ? k * D : -Math.expm1(lp) / z, P: Math.exp(lp) };
    }
    const P = x ** k;
    return { F: (1 - P) / z, P };
  }
  const t = k * D;
  return { F: z === 0 ? t : -Math.expm1(-z * t) / z, P: Math.exp(-z * t) };
}

function integrate(
  c: ReturnType<typeof linearCoefficients>,
  delta: number,
  s02: number,
  mp: { alpha: Float64Array; w: Float64Array },
  k: number,
  D: number,
  discrete: boolean,
) {
  const { a, lambda, rhoStar, Eb2, Ewb, EL0 } = c;
  const kappa = rhoStar > 0 ? Ewb / rhoStar : 0;
  const v = Eb2 - kappa * kappa * rhoStar;
  let q = 0;
  let m = 0;
  let fit = 0;
  let sq = 0;
  for (let i = 0; i < mp.alpha.length; i++) {
    const al = mp.alpha[i];
    const wi = mp.w[i];
    if (wi === 0) continue;
    const { F, P } = filter(a * al + lambda, k, D, discrete);
    const th2 = P * P * s02 + F * F * (kappa * kappa * al * al * rhoStar + (al * v) / delta);
    q += wi * th2;
    m += wi * al * F;
    fit += wi * (kappa * kappa * rhoStar * al * al * F + (v / delta) * al * F);
    sq += wi * al * th2;
  }
  return { q, m: -kappa * rhoStar * m, train: EL0 - fit + 0.5 * a * sq };
}

export function spectralOracle(derived: Derived, opts: SpectralOptions = {}): Result<SpectralMeta> {
  const started = performance.now();
  const what = "spectral oracle";
  const model = derived.model;
  const { dt, N } = timeGrid(derived, opts, what);
  const delta = model.parameters.delta;
  if (!(delta > 0)) throw new UsageError(`${what}: needs delta > 0`);
  const coef = linearCoefficients(derived, what);
  if (coef.tilt !== 0 || derived.schedule)
    throw new UsageError(
      `${what}: needs h(theta) = lambda theta with constant parameters (no tilt, no schedules)`,
    );
  const discrete = opts.discrete ?? true;
  const nodes = opts.nodes ?? Math.max(512, 8 * N);
  const mp = marchenkoPastur(delta, nodes);
  if (model.initOverlap !== 0)
    throw new UsageError(`${what}: init_overlap != 0 is not covered (use the exact linear solver)`);
  const s02 = model.initStd ** 2;
  const q: number[] = [];
  const m: number[] = [];
  const train_loss: number[] = [];
  for (let k = 0; k <= N; k++) {
    const o = integrate(coef, delta, s02, mp, k, dt, discrete);
    q.push(o.q);
    m.push(o.m);
    train_loss.push(o.train);
  }
  const g = testObservablesSeries(
    derived.vec,
    derived.binaryLabels,
    Float64Array.from(q),
    Float64Array.from(m),
    model.teacherVariance,
  );
  const observables: Partial<Record<ObservableName, number[]>> = { train_loss, test_loss: g.test_loss };
  if (g.test_error) observables.test_error = g.test_error;
  observables.q = q;
  observables.m = m;
  return deterministicResult(observables, N, dt, {
    solver: "spectral",
    model: model.name,
    parameters: model.parameters,
    dynamics: "gd",
    filter: discrete ? "discrete Euler (1 - (1 - dt z)^k) / z" : "continuous (1 - exp(-z t)) / z",
    dt,
    T: N * dt,
    steps: N,
    quadrature: `Marchenko-Pastur, trapezoid in phi with ${nodes} panels${delta < 1 ? " + atom at 0" : ""}`,
    timings: { totalSeconds: (performance.now() - started) / 1000 },
  });
}
