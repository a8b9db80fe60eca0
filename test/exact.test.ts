// Fast tests of the exact solvers (src/solvers/exact): the closed linear equations against the
// Marchenko–Pastur spectral oracle (an independent derivation) at tau = 0, against the MC solver and
// finite-d simulation at tau > 0; exact structural properties; the online map as the delta -> infinity
// limit of the linear equations; the online ODE against simulation at large delta; refusals.

import { describe, expect, it } from "vitest";
import { simulate } from "../src/simulate/index.js";
import {
  linearCoefficients,
  solveExactLinear,
  solveOnline,
  spectralOracle,
} from "../src/solvers/exact/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { rebuildVectorFns } from "../src/symbolic/compile.js";
import type { Derived, ObservableName, Result } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";
import { handDerived } from "./fixtures/hand-models.js";

const NAMES: ObservableName[] = ["train_loss", "test_loss", "q", "m"];

/** Max |a - b| over the observables, b sampled every `stride` points. */
function maxDiff(a: Result, b: Result, names = NAMES, stride = 1): number {
  let e = 0;
  for (const n of names) {
    a.observables[n]!.forEach((v, i) => {
      e = Math.max(e, Math.abs(v - b.observables[n]![i * stride]));
    });
  }
  return e;
}

/** Largest |ref - res| / stderr(res) over observables and times (times with zero stderr skipped). */
function maxZ(ref: Result, res: Result, names = NAMES, refStride = 1): number {
  let z = 0;
  for (const n of names) {
    res.observables[n]!.forEach((v, i) => {
      const se = res.stderr[n]![i];
      if (se > 1e-12) z = Math.max(z, Math.abs(v - ref.observables[n]![i * refStride]) / se);
    });
  }
  return z;
}

const linear = (p: Parameters<typeof handDerived>[1]): Derived => handDerived("linear", p);

describe("spectral oracle vs exact linear solver (tau = 0)", () => {
  for (const delta of [0.5, 1, 2]) {
    for (const lambda of [0, 0.1]) {
      it(`agrees to 1e-10 with the discrete filter at delta = ${delta}, lambda = ${lambda}`, () => {
        const d = linear({ delta, lambda, sigma: 0.3, initStd: 0.4 });
        const ex = solveExactLinear(d, { dynamics: "gd", T: 4, dt: 0.05 });
        const sp = spectralOracle(d, { T: 4, dt: 0.05 });
        expect(maxDiff(ex, sp)).toBeLessThan(1e-10);
        // the continuous filter is a different (gradient-flow) curve: O(dt) away, shrinking with dt
        const e1 = maxDiff(sp, spectralOracle(d, { T: 4, dt: 0.05, discrete: false }));
        const e2 = maxDiff(
          solveExactLinear(d, { dynamics: "gd", T: 4, dt: 0.025 }),
          spectralOracle(d, { T: 4, dt: 0.025, discrete: false }),
        );
        expect(e1).toBeGreaterThan(1e-3);
        expect(e2 / e1).toBeGreaterThan(0.4);
        expect(e2 / e1).toBeLessThan(0.6);
      });
    }
  }

  it("quadrature is converged (node doubling) including the hard edge delta = 1", () => {
    for (const delta of [0.5, 1, 2]) {
      const d = linear({ delta, lambda: 0, initStd: 0.4 });
      const a = spectralOracle(d, { T: 4, dt: 0.05, nodes: 800 });
      const b = spectralOracle(d, { T: 4, dt: 0.05, nodes: 1600 });
      expect(maxDiff(a, b)).toBeLessThan(1e-13);
    }
  });

  it("the tau = 0 Monte-Carlo DMFT agrees with it to 1e-6 at delta = 0.5, 1, 2 (lambda = 0.1)", async () => {
    for (const delta of [0.5, 1, 2]) {
      const d = linear({ delta, lambda: 0.1, sigma: 0.3, initStd: 0.4 });
      const mc = await solveMc(d, { dynamics: "gd", T: 1, dt: 0.05, samples: 8000, seed: 2 });
      expect(maxDiff(spectralOracle(d, { T: 1, dt: 0.05 }), mc)).toBeLessThan(1e-6);
    }
  }, 60000);

  it("agrees with finite-d gradient descent within 4 SE at delta = 0.5 (atom at 0)", async () => {
    const d = linear({ delta: 0.5, lambda: 0.02, sigma: 0.3, initStd: 0.5 });
    const sp = spectralOracle(d, { T: 3, dt: 0.05 });
    const sim = await simulate(d, {
      dynamics: "gd",
      T: 3,
      dt: 0.05,
      record: 0.5,
      d: 400,
      seeds: 16,
      seed: 9,
    });
    expect(maxZ(sp, sim, NAMES, 10)).toBeLessThan(4);
  }, 60000);

  it("Richardson extrapolation of the exact solver approaches gradient flow at O(dt^2)", () => {
    const d = linear({ delta: 1, lambda: 0.1, sigma: 0.3, initStd: 0.4 });
    const err = (dt: number, extrapolate: boolean) =>
      maxDiff(
        solveExactLinear(d, { T: 4, dt, dynamics: "gd", extrapolate }),
        spectralOracle(d, { T: 4, dt, discrete: false }),
      );
    const rich = err(0.1, true);
    expect(rich).toBeLessThan(err(0.1, false) / 10);
    expect(rich / err(0.05, true)).toBeGreaterThan(3.5);
    expect(rich / err(0.05, true)).toBeLessThan(5.5);
  });

  it("reproduces the OLS training residual sigma^2 (1 - 1/delta) / 2 at long times", () => {
    const d = linear({ delta: 2, lambda: 0, sigma: 0.5 });
    const sp = spectralOracle(d, { T: 200, dt: 0.5, discrete: false });
    expect(sp.observables.train_loss!.at(-1)).toBeCloseTo((0.25 * (1 - 1 / 2)) / 2, 8);
    expect(sp.observables.m!.at(-1)).toBeCloseTo(1, 8);
  });
});

describe("exact linear solver", () => {
  it("m is tau-independent and sgd-limit equals sgf exactly; stderr is 0; kernels have the MC layout", () => {
    const d = linear({ delta: 2, tau: 0.8, lambda: 0.05 });
    const sgf = solveExactLinear(d, { T: 2, dt: 0.05, kernels: true });
    const gd = solveExactLinear(d, { T: 2, dt: 0.05, dynamics: "gd" });
    const lim = solveExactLinear(d, { T: 2, dt: 0.05, dynamics: "sgd-limit" });
    expect(maxDiff(sgf, gd, ["m"])).toBeLessThan(1e-14);
    expect(maxDiff(sgf, lim)).toBe(0);
    expect(maxDiff(sgf, gd, ["q"])).toBeGreaterThan(0.02);
    expect(sgf.t.length).toBe(41);
    expect(Math.max(...sgf.stderr.q!)).toBe(0);
    expect(sgf.kernels!.C_theta.shape).toEqual([41, 41]);
    expect(sgf.kernels!.C_theta.data[40 * 41 + 40]).toBeCloseTo(sgf.observables.q![40], 14);
    expect(sgf.kernels!.R_theta.data[1 * 41 + 0]).toBe(1);
  });

  it("agrees with the Monte-Carlo DMFT solver: to 1e-6 at tau = 0, within 4 SE at tau = 0.8", async () => {
    const d0 = linear({ delta: 2, tau: 0, lambda: 0.05, sigma: 0.3, initStd: 0.3 });
    const mc0 = await solveMc(d0, { dynamics: "gd", T: 1, dt: 0.05, samples: 8000, seed: 3 });
    expect(maxDiff(solveExactLinear(d0, { T: 1, dt: 0.05, dynamics: "gd" }), mc0)).toBeLessThan(1e-6);
    const d = linear({ delta: 2, tau: 0.8, lambda: 0.05, sigma: 0.3, initStd: 0.3 });
    const ex = solveExactLinear(d, { T: 1, dt: 0.05 });
    const mc = await solveMc(d, { dynamics: "sgf", T: 1, dt: 0.05, samples: 16000, seed: 3 });
    expect(maxZ(ex, mc)).toBeLessThan(4);
    // the MC error bars resolve the noise: the tau = 0 curve is far outside them
    expect(maxZ(solveExactLinear(d, { T: 1, dt: 0.05, dynamics: "gd" }), mc, ["q"])).toBeGreaterThan(10);
  }, 60000);

  it("agrees with finite-d SGF simulation within 4 SE (and tau = 0 is rejected by the same bars)", async () => {
    const d = linear({ delta: 2, tau: 1, lambda: 0.05, sigma: 0.3 });
    const ex = solveExactLinear(d, { T: 2, dt: 0.05 });
    const sim = await simulate(d, {
      dynamics: "sgf",
      T: 2,
      dt: 0.05,
      record: 0.25,
      d: 300,
      seeds: 24,
      seed: 7,
    });
    expect(maxZ(ex, sim, NAMES, 5)).toBeLessThan(4);
    const gd = solveExactLinear(d, { T: 2, dt: 0.05, dynamics: "gd" });
    expect(maxZ(gd, sim, ["q"], 5)).toBeGreaterThan(6);
  }, 60000);

  it("handles binary labels (square loss on a sign teacher): exact label moments, test error, MC agreement", async () => {
    const d = linear({ delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3 });
    d.fns = { ...d.fns, label: (w, e) => Math.sign(w + 0.3 * e) };
    d.sources = { ...d.sources, label: "(wstar, eps) => Math.sign(wstar + 0.3 * eps)" };
    d.vec = rebuildVectorFns(d.sources, 1, 1);
    d.binaryLabels = true;
    const c = linearCoefficients(d, "test");
    expect(c.Eb2).toBeCloseTo(1, 12);
    expect(c.Ewb).toBeCloseTo(-Math.sqrt(2 / Math.PI) / Math.sqrt(1.09), 8);
    const ex = solveExactLinear(d, { T: 1, dt: 0.05 });
    expect(ex.observables.test_error!.length).toBe(21);
    const mc = await solveMc(d, { dynamics: "sgf", T: 1, dt: 0.05, samples: 16000, seed: 4, threads: 1 });
    expect(maxZ(ex, mc, [...NAMES, "test_error"])).toBeLessThan(4);
  }, 60000);

  it("refuses non-linear losses and non-ridge penalties with a UsageError", () => {
    expect(() => solveExactLinear(handDerived("logistic"))).toThrow(UsageError);
    const d = linear({});
    d.fns = { ...d.fns, h: (th) => th ** 3, dh: (th) => 3 * th * th };
    expect(() => solveExactLinear(d)).toThrow(UsageError);
    expect(() => solveOnline(d)).toThrow(UsageError);
    expect(() => solveExactLinear(linear({}), { dt: 0.5, T: 0.1 })).toThrow(UsageError);
  });
});

describe("online limit", () => {
  it("the discrete online map is the delta -> infinity limit of the exact linear equations (error ~ 1/delta)", () => {
    const p = { tau: 0.5, lambda: 0.05, sigma: 0.3, initStd: 0.3 };
    const on = solveOnline(linear({ ...p, delta: 1 }), { T: 2, dt: 0.05, discrete: true });
    const e3 = maxDiff(on, solveExactLinear(linear({ ...p, delta: 1e3 }), { T: 2, dt: 0.05 }));
    const e4 = maxDiff(on, solveExactLinear(linear({ ...p, delta: 1e4 }), { T: 2, dt: 0.05 }));
    expect(e3).toBeLessThan(1e-3);
    expect(e3 / e4).toBeGreaterThan(9);
    expect(e3 / e4).toBeLessThan(11);
  });

  it("the RK4 ODE is converged and the discrete map approaches it as O(dt)", () => {
    const d = handDerived("logistic", { tau: 0.5, lambda: 0.05, sigma: 0.3 });
    const ode = solveOnline(d, { T: 2, dt: 0.05 });
    expect(ode.meta.stepHalvingError as number).toBeLessThan(1e-7);
    expect(ode.observables.test_error!.length).toBe(41);
    const e1 = maxDiff(ode, solveOnline(d, { T: 2, dt: 0.05, discrete: true }), ["q", "m"]);
    const e2 = maxDiff(ode, solveOnline(d, { T: 2, dt: 0.025, discrete: true }), ["q", "m"], 2);
    expect(e2 / e1).toBeGreaterThan(0.4);
    expect(e2 / e1).toBeLessThan(0.6);
  });

  it("agrees with one-pass-like minibatch SGD simulation at delta = 200 within 4 SE (sign teacher)", async () => {
    const d = handDerived("logistic", { delta: 200, tau: 0.5, lambda: 0.05, sigma: 0.3 });
    const ode = solveOnline(d, { T: 2, dt: 0.05 });
    const sim = await simulate(d, { dynamics: "sgd", T: 2, record: 0.25, d: 200, seeds: 16, seed: 5 });
    expect(maxZ(ode, sim, [...NAMES, "test_error"], 5)).toBeLessThan(4);
  }, 60000);
});
