// Fast tests of issue 21: SGD with a batch fraction b (--dynamics sgd-fraction) and warm starts
// (init_overlap). b = 1 is bit-identical to gd in every solver and the simulator; the initial overlaps are
// m(0) = m0 rho*, q(0) = m0^2 rho* + init_std^2 everywhere; the membership chain of --persistence has the
// stationary fraction b and the lag-one correlation 1 - dt / (b tau_p) (tau_p = dt / b: independent draws);
// for a linear model the Monte-Carlo solver with Bernoulli weights agrees with the exact equations (only
// the first two moments of dxi enter); bad options are usage errors (exit code 2).
import katex from "katex";
import { describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/index.js";
import { buildDmftSystem } from "../src/dmft/index.js";
import { parseModel } from "../src/model/load.js";
import { simulate } from "../src/simulate/index.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Derived, Result } from "../src/types.js";
import { BatchWeights, batchLaw } from "../src/util/batch.js";
import { UsageError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";
import { handDerived } from "./fixtures/hand-models.js";

const warm = (d: Derived, m0 = 0.2, s0 = 0.5): Derived => ({
  ...d,
  model: { ...d.model, initStd: s0, initOverlap: m0 },
});
const logistic = warm(handDerived("logistic", { delta: 2, tau: 1, lambda: 0.05, sigma: 0.3 }));
const linear = warm(handDerived("linear", { delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3 }));
const GRID = { dt: 0.1, T: 1 };
const numbers = (r: Result) => JSON.stringify([r.t, r.observables, r.stderr]);

describe("b = 1 is gradient descent, bit for bit", () => {
  it("Monte-Carlo solver, exact linear solver and simulator", async () => {
    const fr = { dynamics: "sgd-fraction", batchFraction: 1 } as const;
    const mc = { ...GRID, samples: 1600, seed: 3, threads: 1 };
    expect(numbers(await solve(logistic, { ...mc, ...fr }))).toBe(
      numbers(await solve(logistic, { ...mc, dynamics: "gd" })),
    );
    expect(numbers(await solve(linear, { ...GRID, seed: 3, ...fr }))).toBe(
      numbers(await solve(linear, { ...GRID, seed: 3, dynamics: "gd" })),
    );
    const sim = { ...GRID, d: 200, seeds: 2, seed: 4, threads: 1 };
    expect(numbers(await simulate(logistic, { ...sim, ...fr }))).toBe(
      numbers(await simulate(logistic, { ...sim, dynamics: "gd" })),
    );
  }, 60_000);
});

describe("init_overlap: theta^0 = m0 theta* + init_std xi", () => {
  const q0 = 0.2 ** 2 + 0.5 ** 2;
  it("exact linear solver, online ODE and Monte-Carlo solver start at m = m0 rho*, q = m0^2 rho* + s0^2", async () => {
    const ex = await solve(linear, { ...GRID, seed: 1, dynamics: "gd" });
    expect(ex.observables.m![0]).toBe(0.2);
    expect(ex.observables.q![0]).toBeCloseTo(q0, 15);
    const on = await solve(linear, { ...GRID, seed: 1, dynamics: "online" });
    expect(on.observables.m![0]).toBe(0.2);
    expect(on.observables.q![0]).toBeCloseTo(q0, 15);
    const mc = await solve(logistic, { ...GRID, T: 0.1, samples: 1600, seed: 1, dynamics: "gd", threads: 1 });
    expect(mc.observables.m![0]).toBeCloseTo(0.2, 12);
    expect(mc.observables.q![0]).toBeCloseTo(q0, 12);
  });

  it("the simulator starts there up to O(1/sqrt(d))", async () => {
    const r = await simulate(logistic, { ...GRID, T: 0.1, d: 2000, seeds: 2, seed: 1, dynamics: "gd" });
    expect(Math.abs(r.observables.m![0] - 0.2)).toBeLessThan(0.06);
    expect(Math.abs(r.observables.q![0] - q0)).toBeLessThan(0.06);
  });

  it("the DMFT document states the warm start, and its formulas render with KaTeX", () => {
    for (const d of [
      warm(loadDerived("models/linear-regression.yaml")),
      warm(loadDerived("models/committee-erf.yaml")),
    ]) {
      const sys = buildDmftSystem(d);
      const maths = sys.sections.flatMap((sec) =>
        sec.blocks.flatMap((b) =>
          b.kind === "p"
            ? b.content.flatMap((x) => (typeof x !== "string" && "math" in x ? [x.math] : []))
            : [],
        ),
      );
      expect(maths.some((m) => /m_0\\(Theta|theta)\^\*/.test(m))).toBe(true);
      for (const m of maths)
        expect(() => katex.renderToString(m, { throwOnError: true, strict: "error" })).not.toThrow();
    }
  });

  it("a model file declares it; it needs k = k_teacher", () => {
    const text =
      "name: w\ndescription: x\nloss: (r - y)^2\nlabel: wstar\ninit_overlap: 0.3\nparameters: { delta: 2, tau: 0 }\n";
    expect(parseModel(text, "w.yaml").initOverlap).toBe(0.3);
    const vec = `${text}k: 2\nactivation: r1 + r2\n`;
    expect(() => parseModel(vec, "v.yaml")).toThrow(/init_overlap.*k = k_teacher/);
    expect(parseModel(vec.replace("init_overlap: 0.3\n", ""), "v.yaml").initOverlap).toBe(0);
  });
});

describe("the sample weights", () => {
  it("persistent membership: stationary fraction b, lag-one correlation 1 - dt / (b tau_p)", () => {
    const n = 20000;
    const steps = 30;
    for (const [b, tp] of [
      [0.2, 1],
      [0.5, 0.2],
      [0.3, 0.1 / 0.3],
    ]) {
      const w = new BatchWeights(batchLaw(b, tp, 0.1, "test"), n, new Rng(5, b * 100));
      let prev = new Float64Array(n);
      let sum = 0;
      let cross = 0;
      for (let k = 0; k < steps; k++) {
        const cur = new Float64Array(n);
        for (let i = 0; i < n; i++) cur[i] = w.next(i, k) * b; // membership 0 / 1
        for (let i = 0; i < n; i++) sum += cur[i];
        if (k > 0) for (let i = 0; i < n; i++) cross += cur[i] * prev[i];
        prev = cur;
      }
      const frac = sum / (n * steps);
      const corr = (cross / (n * (steps - 1)) - b * b) / (b * (1 - b));
      // SEs: ~ sqrt(b(1-b)/(n steps)) for the fraction (correlated steps: x 3), ~ 1/sqrt(n steps) for corr.
      expect(Math.abs(frac - b)).toBeLessThan(0.01);
      expect(Math.abs(corr - (1 - 0.1 / (b * tp)))).toBeLessThan(0.02);
    }
  });

  it("linear model: Monte-Carlo solver with Bernoulli weights agrees with the exact equations", async () => {
    const fr = { dynamics: "sgd-fraction", batchFraction: 0.25, T: 2, dt: 0.1, seed: 7 } as const;
    const ex = await solve(linear, fr);
    const mc = await solve(linear, { ...fr, solver: "mc", samples: 8000, threads: 1 });
    expect(ex.meta.solver).toBe("exact-linear");
    for (const key of ["train_loss", "q", "m"] as const) {
      ex.observables[key]!.forEach((v, k) => {
        const se = mc.stderr[key]![k];
        expect(Math.abs(mc.observables[key]![k] - v), `${key} at step ${k}`).toBeLessThan(4 * se + 1e-9);
      });
    }
  }, 60_000);
});

describe("usage errors", () => {
  it("bad fractions, short persistence, options without sgd-fraction (exit code 2)", async () => {
    expect(() => batchLaw(undefined, undefined, 0.1, "solve")).toThrow(/needs --batch-fraction/);
    expect(() => batchLaw(0, undefined, 0.1, "solve")).toThrow(UsageError);
    expect(() => batchLaw(1.5, undefined, 0.1, "solve")).toThrow(/\(0, 1\]/);
    expect(() => batchLaw(0.2, 0.3, 0.1, "solve")).toThrow(/--persistence 0.3 is shorter/);
    await expect(
      solve(linear, {
        ...GRID,
        seed: 1,
        dynamics: "sgd-fraction",
        batchFraction: 0.5,
        persistence: 1,
        solver: "exact",
      }),
    ).rejects.toThrow(/Monte-Carlo/);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(
        await main(["solve", "models/linear-regression.yaml", "--batch-fraction", "0.5", "--quiet"]),
      ).toBe(2);
      expect(
        await main([
          "simulate",
          "models/linear-regression.yaml",
          "--dynamics",
          "sgd-fraction",
          "--batch-fraction",
          "2",
        ]),
      ).toBe(2);
    } finally {
      err.mockRestore();
      process.exitCode = undefined;
    }
  });
});
