import { describe, expect, it } from "vitest";
import {
  expectFreshPair,
  expectFreshPairMany,
  testError,
  testObservables,
} from "../src/observables/gaussian.js";
import { findJumps, pairNodes } from "../src/observables/pair-rule.js";
import { gaussHermite, gaussLegendre, normalCdf } from "../src/observables/quadrature.js";
import { testObservablesSeries } from "../src/observables/vector.js";
import { Rng } from "../src/util/rng.js";
import { handDerived } from "./fixtures/hand-models.js";

const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const pdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/**
 * Independent reference for +-1 labels with P(y = 1 | g*) = p1(g*): brute-force composite Gauss–Legendre
 * (panels of width 0.1 on [-8, 8], 8 nodes) over (g* / sd, z), eps integrated analytically.
 */
function bruteBinary(
  p1: (gs: number) => number,
  q: number,
  m: number,
  rho: number,
  f: (g: number, y: number, gs: number) => number,
): number {
  const a = m / rho;
  const s = Math.sqrt(Math.max(q - m * a, 0));
  const gl = gaussLegendre(8);
  const h = 0.1;
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let p = -80; p < 80; p++) {
    for (let i = 0; i < 8; i++) {
      const x = (p + 0.5 + 0.5 * gl.x[i]) * h;
      nodes.push(x);
      weights.push(0.5 * h * gl.w[i] * pdf(x));
    }
  }
  let total = 0;
  for (let u = 0; u < nodes.length; u++) {
    const gs = Math.sqrt(rho) * nodes[u];
    const p = p1(gs);
    let inner = 0;
    for (let k = 0; k < nodes.length; k++) {
      const g = a * gs + s * nodes[k];
      inner += weights[k] * (p * f(g, 1, gs) + (1 - p) * f(g, -1, gs));
    }
    total += weights[u] * inner;
  }
  return total;
}

describe("quadrature primitives", () => {
  it("normal CDF matches reference values to 1e-15", () => {
    const ref: [number, number][] = [
      [-10, 7.61985302416047e-24],
      [-5, 2.866515718791933e-7],
      [-2.82, 0.0024011824741892525],
      [-1, 0.15865525393145707],
      [0.5, 0.6914624612740131],
      [3, 0.9986501019683699],
    ];
    for (const [x, p] of ref) expect(Math.abs(normalCdf(x) - p)).toBeLessThan(1e-15 + 1e-13 * p);
  });

  it("Gauss–Hermite and Gauss–Legendre integrate polynomials exactly", () => {
    const gh = gaussHermite(40);
    const mom = (k: number) => gh.x.reduce((s, x, i) => s + gh.w[i] * x ** k, 0);
    expect(mom(0)).toBeCloseTo(1, 14);
    expect(mom(2)).toBeCloseTo(1, 13);
    expect(mom(6)).toBeCloseTo(15, 11);
    const gl = gaussLegendre(10);
    expect(gl.x.reduce((s, x, i) => s + gl.w[i] * x ** 18, 0)).toBeCloseTo(2 / 19, 13);
  });

  it("findJumps locates jumps to 1e-12 and ignores smooth steep changes", () => {
    const j = findJumps((x) => (x > 0.3141592653 ? 2 : -1) + 0.1 * x, -8, 8, 0.1);
    expect(j.length).toBe(1);
    expect(Math.abs(j[0] - 0.3141592653)).toBeLessThan(1e-12);
    expect(findJumps((x) => Math.tanh(50 * x), -8, 8, 0.1)).toEqual([]);
    expect(findJumps((x) => x * x, -8, 8, 0.1)).toEqual([]);
  });
});

describe("expectFreshPair / testObservables against closed forms", () => {
  const rho = 1.3;
  const points: [number, number][] = [
    [0, 0],
    [0.5, 0.3],
    [2, 1.5],
    [9, -3],
    [40, 7.2],
    [1.3, 1.3], // m^2 = q rho*: g is a multiple of g*
  ];

  it("square loss with y = g* + sigma eps: (q - 2m + rho* + sigma^2)/2 to 1e-10", () => {
    const fns = handDerived("linear", { sigma: 0.3 }).fns;
    for (const [q, m] of points) {
      const { test_loss, test_error } = testObservables(fns, false, q, m, rho);
      expect(test_error).toBeUndefined();
      expect(Math.abs(test_loss - (q - 2 * m + rho + 0.09) / 2)).toBeLessThan(1e-10);
    }
  });

  it("phase retrieval y = g*^2 (no eps): E (g - g*^2)^2 / 2 = (q + 3 rho*^2)/2", () => {
    const label = (w: number) => w * w;
    for (const [q, m] of points) {
      const v = expectFreshPair(label, q, m, rho, (g, y) => 0.5 * (g - y) ** 2);
      expect(Math.abs(v - (q + 3 * rho * rho) / 2)).toBeLessThan(1e-10);
    }
  });

  it("sign teacher test error: arccos(m / sqrt(q (rho* + sigma^2))) / pi, with and without noise", () => {
    for (const sigma of [0, 0.01, 0.3]) {
      const label = (w: number, e: number) => Math.sign(w + sigma * e);
      for (const [q, m] of points) {
        const c = q === 0 ? 0 : Math.min(1, Math.max(-1, m / Math.sqrt(q * (rho + sigma * sigma))));
        const expected = Math.acos(c) / Math.PI;
        expect(Math.abs(testError(label, q, m, rho) - expected)).toBeLessThan(1e-10);
      }
    }
    // Nearly aligned (m^2 -> q rho*): the steep transition at g* = 0 is resolved.
    const sgn = (w: number) => Math.sign(w);
    for (const c of [0.999, 0.99999, 1 - 1e-9, 1 - 1e-13]) {
      const v = testError(sgn, 2, c * Math.sqrt(2 * rho), rho);
      expect(Math.abs(v - Math.acos(c) / Math.PI)).toBeLessThan(1e-9);
    }
  });

  it("logistic loss and E[g* l] with label jumps match a brute-force 2-D reference to 1e-8", () => {
    const sigma = 0.3;
    const noisy = (w: number, e: number) => Math.sign(w + sigma * e);
    const flip = (w: number, e: number) => Math.sign(w) * Math.sign(e + 1); // label flipped w.p. Phi(-1)
    const loss = (g: number, y: number) => softplus(-y * g);
    const gsl = (g: number, y: number, gs: number) => (gs * -y) / (1 + Math.exp(y * g));
    for (const [q, m] of [
      [0.5, 0.3],
      [9, 3],
    ]) {
      const pNoisy = (gs: number) => normalCdf(gs / sigma);
      const many = expectFreshPairMany(noisy, q, m, rho, [loss, gsl]);
      expect(many).toEqual([expectFreshPair(noisy, q, m, rho, loss), expectFreshPair(noisy, q, m, rho, gsl)]);
      const pFlip = (gs: number) => (gs > 0 ? normalCdf(1) : normalCdf(-1));
      expect(
        Math.abs(expectFreshPair(noisy, q, m, rho, loss) - bruteBinary(pNoisy, q, m, rho, loss)),
      ).toBeLessThan(1e-8);
      expect(
        Math.abs(expectFreshPair(noisy, q, m, rho, gsl) - bruteBinary(pNoisy, q, m, rho, gsl)),
      ).toBeLessThan(1e-8);
      expect(
        Math.abs(expectFreshPair(flip, q, m, rho, loss) - bruteBinary(pFlip, q, m, rho, loss)),
      ).toBeLessThan(1e-8);
    }
  });

  it("inner integral over g | g* stays accurate for losses with complex singularities near the real axis", () => {
    // rho* = 0 and a constant label c: the expectation is the 1-D E_z F(s z - c); fine-grid reference.
    const gl = gaussLegendre(10);
    const ref = (F: (g: number) => number, s: number, c: number) => {
      let r = 0;
      for (let p = -800; p < 800; p++) {
        for (let i = 0; i < 10; i++) {
          const z = (p + 0.5 + 0.5 * gl.x[i]) * 0.01;
          r += 0.005 * gl.w[i] * pdf(z) * F(s * z - c);
        }
      }
      return r;
    };
    const losses = [
      (g: number) => Math.sqrt(1 + g * g) - 1,
      (g: number) => (Math.tanh(g) - 0.3) ** 2,
      softplus,
    ];
    for (const F of losses) {
      for (const s of [0.3, 0.7, 1, 1.5, 3, 10]) {
        for (const c of [0, 0.7, 2.5]) {
          const v = expectFreshPair(
            () => c,
            s * s,
            0,
            0,
            (g, y) => F(g - y),
          );
          expect(Math.abs(v - ref(F, s, c))).toBeLessThan(1e-6);
        }
      }
    }
  });

  it("agrees with Monte Carlo for a label with jumps in both g* and eps (4 SE)", () => {
    const label = (w: number, e: number) => (w > 0.4 ? 1 : -1) * (e > -0.5 ? 1 : 2) + 0.2 * w;
    const [q, m] = [1.7, 0.6];
    const f = (g: number, y: number, gs: number) => Math.tanh(g - y) * gs + (g * y) / 4;
    const quad = expectFreshPair(label, q, m, 1, f);
    const rng = new Rng(11, 0);
    const N = 400_000;
    let s = 0;
    let s2 = 0;
    const sdz = Math.sqrt(q - m * m);
    for (let i = 0; i < N; i++) {
      const gs = rng.normal();
      const g = m * gs + sdz * rng.normal();
      const v = f(g, label(gs, rng.normal()), gs);
      s += v;
      s2 += v * v;
    }
    const mean = s / N;
    const se = Math.sqrt((s2 / N - mean * mean) / N);
    expect(Math.abs(quad - mean)).toBeLessThan(4 * se);
  });

  it("degenerate cases: q = 0 gives L(0; y) and test error 1/2; rho* = 0 works", () => {
    const fns = handDerived("logistic").fns;
    const o = testObservables(fns, true, 0, 0, 1);
    expect(Math.abs(o.test_loss - Math.log(2))).toBeLessThan(1e-12);
    expect(Math.abs((o.test_error ?? 0) - 0.5)).toBeLessThan(1e-12);
    const lin = handDerived("linear", { sigma: 0.5 }).fns;
    expect(Math.abs(testObservables(lin, false, 2, 0, 0).test_loss - (2 + 0.25) / 2)).toBeLessThan(1e-10);
    expect(Number.isNaN(testObservables(lin, false, Number.NaN, 0, 1).test_loss)).toBe(true);
  });

  it("computes a 41-point curve up to large q (rules cached per label; cost is benchmarked, not asserted)", () => {
    for (const kind of ["logistic", "linear"] as const) {
      const { fns, vec } = handDerived(kind);
      pairNodes(fns.label, 1);
      pairNodes(fns.label, 1, true);
      // logistic: q up to 80 (separable data, the panel path for large s); linear: q up to 4.
      const qmax = kind === "logistic" ? 80 : 4;
      const q = Array.from({ length: 41 }, (_, i) => qmax * (i / 40) ** 2);
      const m = q.map((x) => 0.7 * Math.sqrt(x));
      const out = testObservablesSeries(
        vec,
        kind === "logistic",
        Float64Array.from(q),
        Float64Array.from(m),
        1,
      );
      expect(out.test_loss.length).toBe(41);
      for (const v of out.test_loss) expect(Number.isFinite(v)).toBe(true);
    }
  });
});

describe("the coarse rule of the Monte-Carlo groups", () => {
  it("gives the precise rule's test loss and error to 1e-7 on every built-in k = 1 model", async () => {
    const { readdirSync } = await import("node:fs");
    const { loadDerived } = await import("../src/symbolic/index.js");
    const { vectorTestObservables } = await import("../src/observables/vector.js");
    let checked = 0;
    for (const file of readdirSync("models")) {
      const d = loadDerived(`models/${file}`, {});
      if (d.vec.k !== 1) continue;
      const rho = d.model.teacherVariance;
      for (const q of [0.5, 2, 4, 9, 25]) {
        for (const c of [0, 0.5, 0.95]) {
          const [Q, M] = [Float64Array.of(q), Float64Array.of(c * Math.sqrt(q * rho))];
          const precise = vectorTestObservables(d.vec, Q, M, rho, d.binaryLabels, false);
          const coarse = vectorTestObservables(d.vec, Q, M, rho, d.binaryLabels, true);
          for (const key of Object.keys(precise) as (keyof typeof precise)[]) {
            const rel = Math.abs(coarse[key]! - precise[key]!) / Math.abs(precise[key]!);
            expect(rel, `${file} q = ${q} ${key}`).toBeLessThan(1e-7);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
