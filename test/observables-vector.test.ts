// Test observables for vector models (src/observables/vector.ts): the erf committee's test loss against the
// Saad–Solla closed form (and the closed form itself against brute-force Monte Carlo), rank-deficient and
// slightly indefinite overlaps, the test error against reductions to the scalar rule and brute force, and
// the k = kT = 1 delegation (today's numbers).
import { describe, expect, it } from "vitest";
import { testObservables } from "../src/observables/gaussian.js";
import { vectorTestObservables } from "../src/observables/vector.js";
import { erf } from "../src/symbolic/compile.js";
import type { VectorFns } from "../src/types.js";
import { Rng } from "../src/util/rng.js";
import { handDerived } from "./fixtures/hand-models.js";
import { committeeVec } from "./fixtures/hand-vector.js";

const F = (v: number[]) => Float64Array.from(v);
const I2 = (c11: number, c22: number, c12: number) =>
  (2 / Math.PI) * Math.asin(c12 / Math.sqrt((1 + c11) * (1 + c22)));

/**
 * Saad–Solla generalisation error of the erf committee with read-outs 1/K, 1/K*, g(x) = erf(x / sqrt 2):
 * E g(u) g(v) = (2/pi) asin(C_uv / sqrt((1 + C_uu)(1 + C_vv))), so E (yhat - y)^2 / 2 =
 * (1/pi) [sum_ab asin(.)/K^2 + sum_nm asin(.)/K*^2 - 2 sum_an asin(.)/(K K*)] + sigma^2 / 2.
 */
function epsG(K: number, KT: number, Q: Float64Array, M: Float64Array, rs: number, sigma: number): number {
  let s = 0;
  for (let a = 0; a < K; a++)
    for (let b = 0; b < K; b++) s += I2(Q[a * K + a], Q[b * K + b], Q[a * K + b]) / K ** 2;
  for (let n = 0; n < KT; n++) for (let m = 0; m < KT; m++) s += I2(rs, rs, n === m ? rs : 0) / KT ** 2;
  for (let a = 0; a < K; a++)
    for (let n = 0; n < KT; n++) s -= (2 * I2(Q[a * K + a], rs, M[a * KT + n])) / (K * KT);
  return 0.5 * s + 0.5 * sigma ** 2;
}

/** Brute-force E f over (g, g*, eps) with plain normals: mean and standard error. */
function bruteForce(
  Q: Float64Array,
  M: Float64Array,
  rs: number,
  k: number,
  kT: number,
  f: (g: Float64Array, gs: Float64Array, eps: number) => number,
  n = 200000,
): { mean: number; se: number } {
  // Joint Cholesky of [[Q, M], [M^T, rs I]].
  const d = k + kT;
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      if (i < k && j < k) C[i * d + j] = Q[i * k + j];
      else if (i < k) C[i * d + j] = M[i * kT + j - k];
      else if (j < k) C[i * d + j] = M[j * kT + i - k];
      else C[i * d + j] = i === j ? rs : 0;
    }
  }
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let v = C[j * d + j];
    for (let p = 0; p < j; p++) v -= L[j * d + p] ** 2;
    L[j * d + j] = Math.sqrt(Math.max(v, 0));
    for (let i = j + 1; i < d; i++) {
      let u = C[i * d + j];
      for (let p = 0; p < j; p++) u -= L[i * d + p] * L[j * d + p];
      L[i * d + j] = L[j * d + j] > 0 ? u / L[j * d + j] : 0;
    }
  }
  const rng = new Rng(7, 3);
  const z = new Float64Array(d);
  const x = new Float64Array(d);
  let s = 0;
  let s2 = 0;
  for (let t = 0; t < n; t++) {
    rng.fillNormal(z);
    for (let i = 0; i < d; i++) {
      let v = 0;
      for (let p = 0; p <= i; p++) v += L[i * d + p] * z[p];
      x[i] = v;
    }
    const v = f(x.subarray(0, k), x.subarray(k), rng.normal());
    s += v;
    s2 += v * v;
  }
  const mean = s / n;
  return { mean, se: Math.sqrt((s2 / n - mean * mean) / (n - 1)) };
}

describe("vector test observables: erf committee vs the Saad–Solla closed form", () => {
  const cases: [string, number, number, number[], number[], number, number][] = [
    ["K = K* = 2, moderate overlaps", 2, 2, [0.5, 0.1, 0.1, 0.8], [0.3, 0.1, -0.2, 0.5], 1, 0.1],
    ["K = K* = 2, large weights", 2, 2, [2.5, 0.4, 0.4, 3], [1.3, 0.2, 0.1, 1.5], 1, 0.3],
    ["K = K* = 2, symmetric start", 2, 2, [0.25, 0, 0, 0.25], [0, 0, 0, 0], 1, 0.1],
    ["K = 2, K* = 1, rho* = 1.5", 2, 1, [1.2, 0.3, 0.3, 0.7], [0.5, 0.4], 1.5, 0.2],
    [
      "K = 3, K* = 2",
      3,
      2,
      [1, 0.2, 0.1, 0.2, 1.1, 0.3, 0.1, 0.3, 0.9],
      [0.3, 0.2, 0.5, 0.1, 0.2, 0.4],
      1,
      0.2,
    ],
    ["K = 1, K* = 2", 1, 2, [1.3], [0.4, 0.6], 1, 0.2],
  ];
  for (const [name, K, KT, q, m, rs, sigma] of cases) {
    it(name, () => {
      const vec = committeeVec(K, KT, sigma);
      const [Q, M] = [F(q), F(m)];
      const ref = epsG(K, KT, Q, M, rs, sigma);
      const got = vectorTestObservables(vec, Q, M, rs, false);
      expect(got.test_error).toBeUndefined();
      // Measured |error| <= 6.7e-5 on these cases (QMC, 2 x 16384 points).
      expect(Math.abs(got.test_loss - ref)).toBeLessThan(1e-4);
    });
  }

  it("the closed form itself agrees with brute-force Monte Carlo (and a wrong constant does not)", () => {
    const [Q, M] = [F([0.9, 0.2, 0.2, 1.4]), F([0.4, -0.1, 0.3, 0.6])];
    const vec = committeeVec(2, 2, 0.2);
    const g = (x: number) => erf(x / Math.SQRT2);
    const mc = bruteForce(Q, M, 1, 2, 2, (r, w, e) => {
      const y = (g(w[0]) + g(w[1])) / 2 + 0.2 * e;
      return 0.5 * ((g(r[0]) + g(r[1])) / 2 - y) ** 2;
    });
    const ref = epsG(2, 2, Q, M, 1, 0.2);
    expect(Math.abs(mc.mean - ref)).toBeLessThan(4 * mc.se);
    expect(Math.abs(mc.mean - 1.02 * ref)).toBeGreaterThan(4 * mc.se);
    expect(Math.abs(vectorTestObservables(vec, Q, M, 1, false).test_loss - ref)).toBeLessThan(1e-4);
  });

  it("rank-deficient (student = teacher) and slightly indefinite overlaps (finite-d rounding) are handled", () => {
    const vec = committeeVec(2, 2, 0.1);
    expect(vectorTestObservables(vec, F([1, 0, 0, 1]), F([1, 0, 0, 1]), 1, false).test_loss).toBeCloseTo(
      0.005,
      12,
    );
    // M M^T = Q (1 + 4e-9): Q - M M^T is slightly negative definite; clamped to 0, not NaN.
    const Q = F([1, 0.3, 0.3, 1]);
    const M = F([1, 0, 0.3, Math.sqrt(0.91)]).map((v) => v * (1 + 2e-9));
    const got = vectorTestObservables(vec, Q, M, 1, false).test_loss;
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - epsG(2, 2, Q, M, 1, 0.1))).toBeLessThan(1e-4);
  });

  it("NaN for a negative diagonal or non-finite overlaps", () => {
    const vec = committeeVec(2, 2, 0.1);
    expect(vectorTestObservables(vec, F([-1, 0, 0, 1]), F([0, 0, 0, 0]), 1, false).test_loss).toBeNaN();
    expect(
      vectorTestObservables(vec, F([1, 0, 0, 1]), F([Number.NaN, 0, 0, 0]), 1, true).test_error,
    ).toBeNaN();
  });
});

/** A k = 2 model with predict = r1 + r2 (so the test error reduces to the scalar rule) or erf units. */
function signStudent(kT: number, sigma: number, erfUnits: boolean): VectorFns {
  const pred = (r: Float64Array, o: number) =>
    erfUnits ? erf(r[o] / Math.SQRT2) + erf(r[o + 1] / Math.SQRT2) - 0.3 : r[o] + r[o + 1];
  return {
    k: 2,
    kTeacher: kT,
    predict: pred,
    loss: (r, o, y) => Math.log1p(Math.exp(-y * pred(r, o))),
    grad: () => {
      throw new Error("unused");
    },
    hess: () => {
      throw new Error("unused");
    },
    lossGradHess: () => {
      throw new Error("unused");
    },
    label: (w, o, e) => {
      let s = 0;
      for (let c = 0; c < kT; c++) s += w[o + c];
      return Math.sign(s + sigma * e);
    },
  };
}

describe("vector test error", () => {
  it("reduces to the scalar rule when predict = r1 + r2 (sign teacher with noise, eps integrated exactly)", () => {
    const vec = signStudent(1, 0.3, false);
    const [Q, M] = [F([0.7, 0.2, 0.2, 0.5]), F([0.4, 0.3])];
    const got = vectorTestObservables(vec, Q, M, 1, true);
    const d = handDerived("logistic", { sigma: 0.3 });
    const ref = testObservables(d.fns, true, 0.7 + 0.4 + 0.5, 0.7, 1);
    // Measured 5e-6 (QMC over 4096 points with one line integrated exactly between the jumps).
    expect(Math.abs(got.test_error! - ref.test_error!)).toBeLessThan(5e-5);
    expect(Math.abs(got.test_loss - ref.test_loss)).toBeLessThan(2e-4);
  });

  for (const sigma of [0.2, 0]) {
    it(`matches brute force for erf units and a two-unit sign teacher, sigma = ${sigma}`, () => {
      const vec = signStudent(2, sigma, true);
      const [Q, M] = [F([1.1, 0.3, 0.3, 0.8]), F([0.5, 0.2, 0.1, 0.6])];
      const got = vectorTestObservables(vec, Q, M, 1, true);
      const y = (w: Float64Array, e: number) => Math.sign(w[0] + w[1] + sigma * e);
      const err = bruteForce(Q, M, 1, 2, 2, (r, w, e) => (Math.sign(vec.predict(r, 0)) === y(w, e) ? 0 : 1));
      const loss = bruteForce(Q, M, 1, 2, 2, (r, w, e) => vec.loss(r, 0, y(w, e)));
      // sigma = 0: the label jumps in g* (no noise to integrate); measured 0.65 SE (error) and 1.3 SE (loss).
      expect(Math.abs(got.test_error! - err.mean)).toBeLessThan(4 * err.se);
      expect(Math.abs(got.test_loss - loss.mean)).toBeLessThan(4 * loss.se);
    });
  }
});

describe("scalar models (k = kT = 1) keep today's numbers", () => {
  it("equals testObservables for logistic (sign teacher) and linear regression", () => {
    for (const kind of ["logistic", "linear"] as const) {
      const d = handDerived(kind, { sigma: 0.3 });
      const got = vectorTestObservables(d.vec, F([0.8]), F([0.5]), 1, d.binaryLabels);
      const ref = testObservables(d.fns, d.binaryLabels, 0.8, 0.5, 1);
      expect(got).toEqual(ref);
    }
  });
});
