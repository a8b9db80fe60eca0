// The closed-form parameter side of the Monte-Carlo solver (issue 15, src/solvers/mc/gaussian-params.ts):
// where h(theta) = lambda theta, theta_k = B_k . Z with deterministic rows B, which is what the moment-matched
// parameter-side samples computed. So the closed form must give the sample path's results to rounding, for
// every response estimator, dynamics and k (the samples' inputs are stored as floats, columns.ts, so their
// moments are exact to float rounding, 2^-23 relative: the two paths then differ at ~1e-9); a penalty that is not linear through 0 keeps the samples; and
// the default sample size grows where Stein needs it (no sample-size wall at long horizons).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { planMc, solveMc } from "../src/solvers/mc/index.js";
import type { SolveOptions } from "../src/solvers/options.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";

const path = (name: string) => fileURLToPath(new URL(`../models/${name}.yaml`, import.meta.url));
const model = (name: string) => loadDerived(path(name), {});

/** Largest |a - b| relative to the largest |a| of the same series (every observable and kernel). */
function worstRelative(a: Result, b: Result): number {
  let worst = 0;
  const pairs: [ArrayLike<number>, ArrayLike<number>][] = Object.keys(a.observables).map((k) => [
    a.observables[k as never]!,
    b.observables[k as never]!,
  ]);
  for (const k of Object.keys(a.kernels ?? {})) {
    pairs.push([a.kernels![k as never].data, b.kernels![k as never].data]);
  }
  for (const [x, y] of pairs) {
    const scale = Math.max(...Array.from(x, Math.abs)) || 1;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

describe("closed-form parameter side", () => {
  const base = { seed: 2, samples: 2000, groups: 2, threads: 1, dt: 0.1 };
  const cases: [string, string, Partial<SolveOptions>][] = [
    ["logistic, tangent, SGF, kernels", "logistic-regression", { dynamics: "sgf", T: 2, kernels: true }],
    ["logistic, Stein, SGF", "logistic-regression", { dynamics: "sgf", T: 3, response: "stein" }],
    [
      "linear regression, Stein, gradient flow (zero pivots)",
      "linear-regression",
      { dynamics: "gd", T: 2, response: "stein" },
    ],
    ["hinge, branching, SGD limit", "hinge-svm", { dynamics: "sgd-limit", T: 1.5 }],
    ["erf committee (k = 2), tangent, kernels", "committee-erf", { dynamics: "sgf", T: 1, kernels: true }],
    ["scheduled lambda and tau", "ridge-warmup-decay", { dynamics: "sgf", T: 2 }],
  ];
  for (const [name, file, opts] of cases) {
    it(`equals the parameter-side samples to rounding: ${name}`, async () => {
      const d = model(file);
      const all = { ...base, ...opts } as SolveOptions;
      const closed = await solveMc(d, all);
      const samples = await solveMc(d, all, { closedParams: false });
      expect(closed.meta.parameterSide).toMatch(/^closed form/);
      expect(samples.meta.parameterSide).toMatch(/^Monte-Carlo samples/);
      expect(closed.meta.zeroPivots).toBe(samples.meta.zeroPivots);
      // Moments of B rows instead of sample averages of float inputs: float rounding (2^-23) only.
      expect(worstRelative(closed, samples)).toBeLessThan(2 ** -23);
    });
  }

  it("keeps the samples when h is not linear through 0 (a tilted or non-quadratic penalty)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dmftkit-closed-"));
    const text = readFileSync(path("logistic-regression"), "utf8");
    for (const penalty of [
      "lambda / 2 * theta^2 + 0.1 * theta",
      "lambda / 2 * theta^2 + 0.1 * log(cosh(theta))",
    ]) {
      const file = join(dir, "m.yaml");
      writeFileSync(file, text.replace("penalty: lambda / 2 * theta^2", `penalty: ${penalty}`));
      const d = loadDerived(file, {});
      const plan = planMc(d, { ...base, dynamics: "sgf", T: 1 });
      expect(plan.levels[0].closedParams ?? false).toBe(false);
      const r = await solveMc(d, { ...base, dynamics: "sgf", T: 1 });
      expect(r.meta.parameterSide).toMatch(/^Monte-Carlo samples/);
    }
  });
});

describe("default sample size at long horizons", () => {
  it("grows to what Stein's orthonormal fields need, says so, and a given --samples is kept", () => {
    const d = loadDerived(path("logistic-regression"), { tau: 0.5 });
    const at = (T: number, samples?: number) =>
      planMc(d, { dynamics: "sgf", T, dt: 0.1, seed: 1, ...(samples ? { samples } : {}) });
    expect(at(100).sizes.reduce((a, b) => a + b, 0)).toBe(20000);
    const long = at(400);
    // N = 4000: each half group holds 1.2 x the 4004 field columns (Stein's one block needs 4004 + 64),
    // 8 groups.
    expect(long.sizes.reduce((a, b) => a + b, 0)).toBe(8 * 2 * 4805);
    expect(long.response.estimator).toBe("stein");
    expect(long.response.reason).toMatch(/samples raised from the default 20000 to 76880/);
    // Within the memory budget the issue sets (4 GB at N = 4000).
    expect(long.bytes).toBeLessThan(4e9);
    // Given samples are never changed: too few for Stein on a smooth model falls back to the tangent.
    expect(at(400, 20000).response.estimator).toBe("tangent");
  });
});
