// The online (delta -> infinity) overlap equations for vector models (src/solvers/exact/online*.ts) against
// the classic Saad–Solla closed forms for the soft committee machine with erf units: the Gaussian moments
// (I3 for the tau = 0 part, I4 and the noise term for the tau E[l l^T] part) and the integrated ODE (an
// independent RK4 of the closed-form equations written here); the discrete map's O(dt) approach.
import { describe, expect, it } from "vitest";
import { overlapNames } from "../src/observables/names.js";
import { solveOnline } from "../src/solvers/exact/index.js";
import { onlineMoments } from "../src/solvers/exact/online-moments.js";
import { committeeVec, handCommittee } from "./fixtures/hand-vector.js";

interface Overlaps {
  K: number;
  KT: number;
  Q: Float64Array;
  M: Float64Array;
  rs: number;
  sigma: number;
}

/** Covariance of the fields: index < K is the student field r_a, else the teacher field w*_(i - K). */
function cov(s: Overlaps, i: number, j: number): number {
  const { K, KT, Q, M, rs } = s;
  if (i < K && j < K) return Q[i * K + j];
  if (i < K) return M[i * KT + j - K];
  if (j < K) return M[j * KT + i - K];
  return i === j ? rs : 0;
}

// g(x) = erf(x / sqrt 2), g'(x) = sqrt(2/pi) exp(-x^2 / 2). Saad & Solla (1995) with C the field covariance:
/** I3 = E[g'(u) v g(w)] = (2/pi) (C_vw (1 + C_uu) - C_uv C_uw) / ((1 + C_uu) sqrt(Lambda3)). */
function I3(s: Overlaps, u: number, v: number, w: number, wrong = 1): number {
  const c = (a: number, b: number) => cov(s, a, b);
  const L3 = (1 + c(u, u)) * (1 + c(w, w)) - c(u, w) ** 2;
  return (
    ((2 / Math.PI / Math.sqrt(L3)) * (c(v, w) * (1 + c(u, u)) - wrong * c(u, v) * c(u, w))) / (1 + c(u, u))
  );
}

/** I4 = E[g'(u) g'(v) g(w) g(z)] = (4/pi^2) asin(Lambda0 / sqrt(Lambda1 Lambda2)) / sqrt(Lambda4). */
function I4(s: Overlaps, u: number, v: number, w: number, z: number): number {
  const c = (a: number, b: number) => cov(s, a, b);
  const [C11, C22, C12] = [c(u, u), c(v, v), c(u, v)];
  const L4 = (1 + C11) * (1 + C22) - C12 ** 2;
  const L0 =
    L4 * c(w, z) -
    c(v, w) * c(v, z) * (1 + C11) -
    c(u, w) * c(u, z) * (1 + C22) +
    C12 * c(u, w) * c(v, z) +
    C12 * c(u, z) * c(v, w);
  const L1 =
    L4 * (1 + c(w, w)) - c(v, w) ** 2 * (1 + C11) - c(u, w) ** 2 * (1 + C22) + 2 * C12 * c(u, w) * c(v, w);
  const L2 =
    L4 * (1 + c(z, z)) - c(v, z) ** 2 * (1 + C11) - c(u, z) ** 2 * (1 + C22) + 2 * C12 * c(u, z) * c(v, z);
  return (4 / Math.PI ** 2 / Math.sqrt(L4)) * Math.asin(L0 / Math.sqrt(L1 * L2));
}

/** E[g'(u) g'(v)] = (2/pi) / sqrt(Lambda4): the label-noise part of E[l l^T]. */
function J2(s: Overlaps, u: number, v: number): number {
  const c = (a: number, b: number) => cov(s, a, b);
  return 2 / Math.PI / Math.sqrt((1 + c(u, u)) * (1 + c(v, v)) - c(u, v) ** 2);
}

/** E[w l^T], E[l w*^T], E[l l^T] for l_a = (yhat - y) g'(r_a) / K, yhat = sum g(r)/K, y = sum g(w*)/K* + sigma eps. */
function closedMoments(s: Overlaps, wrong = 1) {
  const { K, KT, sigma } = s;
  const wl = new Float64Array(K * K);
  const lws = new Float64Array(K * KT);
  const ll = new Float64Array(K * K);
  const T = (n: number) => K + n;
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      let v = 0;
      for (let c = 0; c < K; c++) v += I3(s, a, b, c, wrong) / K;
      for (let n = 0; n < KT; n++) v -= I3(s, a, b, T(n), wrong) / KT;
      wl[b * K + a] = v / K;
      let u = sigma ** 2 * J2(s, a, b);
      for (let c = 0; c < K; c++) for (let d = 0; d < K; d++) u += I4(s, a, b, c, d) / K ** 2;
      for (let c = 0; c < K; c++) for (let n = 0; n < KT; n++) u -= (2 * I4(s, a, b, c, T(n))) / (K * KT);
      for (let n = 0; n < KT; n++) for (let m = 0; m < KT; m++) u += I4(s, a, b, T(n), T(m)) / KT ** 2;
      ll[a * K + b] = u / K ** 2;
    }
    for (let n = 0; n < KT; n++) {
      let v = 0;
      for (let c = 0; c < K; c++) v += I3(s, a, T(n), c, wrong) / K;
      for (let m = 0; m < KT; m++) v -= I3(s, a, T(n), T(m), wrong) / KT;
      lws[a * KT + n] = v / K;
    }
  }
  return { wl, lws, ll };
}

const F = (v: number[]) => Float64Array.from(v);
const maxAbs = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe("online moments vs the Saad–Solla closed forms (erf committee)", () => {
  const points: [string, number, number, number[], number[], number][] = [
    ["K = K* = 2, moderate overlaps", 2, 2, [0.5, 0.1, 0.1, 0.8], [0.3, 0.1, -0.2, 0.5], 0.1],
    ["K = K* = 2, large weights, sigma 0.3", 2, 2, [2.5, 0.4, 0.4, 3], [1.3, 0.2, 0.1, 1.5], 0.3],
    ["K = 3, K* = 2", 3, 2, [1, 0.2, 0.1, 0.2, 1.1, 0.3, 0.1, 0.3, 0.9], [0.3, 0.2, 0.5, 0.1, 0.2, 0.4], 0.2],
  ];
  for (const [name, K, KT, q, m, sigma] of points) {
    it(name, () => {
      const s: Overlaps = { K, KT, Q: F(q), M: F(m), rs: 1, sigma };
      const got = onlineMoments(committeeVec(K, KT, sigma), s.Q, s.M, 1, true);
      const ref = closedMoments(s);
      // Measured max |error| 1e-4 (QMC, 2 x 16384 points) on entries of size 1e-2 .. 1e-1.
      for (const key of ["wl", "lws", "ll"] as const) expect(maxAbs(got[key], ref[key])).toBeLessThan(2.5e-4);
      // Can fail: dropping the C_uv C_uw term of I3 moves the moments by far more than the tolerance.
      const wrong = closedMoments(s, 0);
      expect(Math.max(maxAbs(got.wl, wrong.wl), maxAbs(got.lws, wrong.lws))).toBeGreaterThan(2e-3);
    });
  }
});

/** Independent RK4 of the closed-form Saad–Solla equations (ridge lambda, tau E l l^T), state (Q, M). */
function closedOde(
  K: number,
  KT: number,
  Q0: number[],
  M0: number[],
  p: { lambda: number; tau: number; sigma: number },
  T: number,
  h: number,
) {
  const n = K * K + K * KT;
  const rhs = (x: Float64Array) => {
    const s: Overlaps = { K, KT, Q: x.subarray(0, K * K), M: x.subarray(K * K), rs: 1, sigma: p.sigma };
    const { wl, lws, ll } = closedMoments(s);
    const out = new Float64Array(n);
    for (let a = 0; a < K; a++) {
      for (let b = 0; b < K; b++) {
        out[a * K + b] =
          -2 * p.lambda * s.Q[a * K + b] - wl[a * K + b] - wl[b * K + a] + p.tau * ll[a * K + b];
      }
      for (let c = 0; c < KT; c++) out[K * K + a * KT + c] = -p.lambda * s.M[a * KT + c] - lws[a * KT + c];
    }
    return out;
  };
  let x = F([...Q0, ...M0]);
  const steps = Math.round(T / h);
  for (let i = 0; i < steps; i++) {
    const k1 = rhs(x);
    const k2 = rhs(x.map((v, j) => v + 0.5 * h * k1[j]));
    const k3 = rhs(x.map((v, j) => v + 0.5 * h * k2[j]));
    const k4 = rhs(x.map((v, j) => v + h * k3[j]));
    x = x.map((v, j) => v + (h / 6) * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]));
  }
  return x;
}

describe("solveOnline for the erf committee (K = K* = 2)", () => {
  const p = { lambda: 0.01, tau: 0.5, sigma: 0.1 };
  const init = { Q: [0.4, 0.05, 0.05, 0.2], M: [0.2, -0.1, 0.05, 0.3] };

  it("follows the closed-form Saad–Solla ODE (tau = 0.5 and tau = 0); names from overlapNames", () => {
    for (const tau of [0.5, 0]) {
      const d = handCommittee({ ...p, tau });
      const res = solveOnline(d, { T: 1, dt: 0.1, maxStep: 0.1, init });
      expect(Object.keys(res.observables)).toEqual([
        "train_loss",
        "test_loss",
        ...overlapNames(2, 2).map((e) => e.name),
      ]);
      expect(res.t.length).toBe(11);
      expect(res.meta.stepHalvingError as number).toBeLessThan(1e-6);
      const ref = closedOde(2, 2, init.Q, init.M, { ...p, tau }, 1, 0.05);
      const at = (name: string) => res.observables[name as "q"]![10];
      const got = F([
        at("Q_1_1"),
        at("Q_1_2"),
        at("Q_1_2"),
        at("Q_2_2"),
        at("M_1_1"),
        at("M_1_2"),
        at("M_2_1"),
        at("M_2_2"),
      ]);
      // The overlaps move by ~0.1-0.3 over t = 1; the QMC moment error (~1e-4) integrates to ~1e-4.
      expect(maxAbs(got, ref)).toBeLessThan(3e-4);
      expect(maxAbs(got, F([...init.Q, ...init.M]))).toBeGreaterThan(0.05);
      expect(res.observables.train_loss).toEqual(res.observables.test_loss);
    }
  }, 60000);

  it("the discrete map approaches the ODE as O(dt); symmetric start Q = s0^2 I stays symmetric", () => {
    const d = handCommittee(p);
    const ode = solveOnline(d, { T: 0.8, dt: 0.1, maxStep: 0.1, init });
    const e = (dt: number) => {
      const map = solveOnline(d, { T: 0.8, dt, discrete: true, init });
      const last = map.t.length - 1;
      return Math.max(
        ...overlapNames(2, 2).map((n) =>
          Math.abs(map.observables[n.name]![last] - ode.observables[n.name]![8]),
        ),
      );
    };
    const [e1, e2] = [e(0.1), e(0.05)];
    expect(e2 / e1).toBeGreaterThan(0.4);
    expect(e2 / e1).toBeLessThan(0.6);
    const sym = solveOnline(handCommittee({ ...p, initStd: 0.5 }), { T: 0.5, dt: 0.1, maxStep: 0.1 });
    const q = sym.observables;
    expect(q.M_1_1![5]).toBeGreaterThan(0.04);
    expect(q.Q_1_1![5]).toBeLessThan(0.25 - 0.01);
    // The point set is closed under relabelling units: a symmetric state stays symmetric (to rounding).
    expect(Math.abs(q.Q_1_1![5] - q.Q_2_2![5])).toBeLessThan(1e-12);
    expect(Math.abs(q.M_1_1![5] - q.M_2_2![5])).toBeLessThan(1e-12);
    expect(Math.abs(q.M_1_2![5] - q.M_2_1![5])).toBeLessThan(1e-12);
  }, 60000);
});
