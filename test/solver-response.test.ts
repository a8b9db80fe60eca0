// Fast tests of the response estimators of the Monte-Carlo solver (issues 14, 15): Stein is exact where the
// losses are linear in the Gaussian fields, agrees with the tangent on a smooth model (a paired M-scan of
// its 1/M bias is in docs/theory.md), `auto` keeps the tangent (same output) for smooth models at modest N
// and says what it chose, and the memory estimate covers the Stein path.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chooseResponse, groupBytes, largeCorrection, planMc, solveMc } from "../src/solvers/mc/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import { compareObservable } from "../src/validate/compare.js";

const model = (name: string) =>
  loadDerived(fileURLToPath(new URL(`../models/${name}.yaml`, import.meta.url)), {});

describe("Stein response estimator", () => {
  it("equals the exact tangent where l is linear in the fields (linear regression, gradient flow)", async () => {
    // Gradient flow from theta_0 = 0 keeps the fields in a low-dimensional span (56 zero pivots here): the
    // kernels' representation is then not unique (Stein zeroes degenerate directions, the tangent does not),
    // but the dynamics are the same up to rounding in the nearly degenerate pivots.
    const d = model("linear-regression");
    const opts = { dynamics: "gd" as const, T: 2, samples: 4000, groups: 2, seed: 3 };
    const tan = await solveMc(d, { ...opts, response: "tangent" });
    const st = await solveMc(d, { ...opts, response: "stein" }, { steinRichardson: false });
    expect(st.meta.zeroPivots).toBeGreaterThan(0);
    for (const o of ["train_loss", "q", "m"] as const) {
      const worst = Math.max(
        ...tan.observables[o]!.map((v, k) => Math.abs(st.observables[o]![k] - v) / (v + 1e-8)),
      );
      expect(worst, o).toBeLessThan(1e-4);
    }
  });

  it("agrees with the tangent on logistic regression (sgf, N = 40) within 4 SE + 1 %", async () => {
    const d = model("logistic-regression");
    const opts = { dynamics: "sgf" as const, samples: 16000, seed: 5 };
    const tan = await solveMc(d, { ...opts, response: "tangent" });
    const st = await solveMc(d, { ...opts, response: "stein", kernels: true });
    // Kernels carry a standard error per entry, and meta says which estimator produced them.
    expect(st.kernels!.rho.stderr!.length).toBe(st.kernels!.rho.data.length);
    expect(st.meta.response).toMatchObject({ kernels: expect.stringMatching(/Stein/) });
    for (const o of ["train_loss", "test_loss", "q", "m", "test_error"] as const) {
      const c = compareObservable(st, tan, o);
      expect(c.pass, `${o}: worst ${c.worst.toFixed(2)} at t = ${c.tWorst}`).toBe(true);
    }
    const resp = st.meta.response as { estimator: string; relativeCorrectionAtT: Record<string, number> };
    expect(resp.estimator).toBe("stein");
    // The Richardson step in 1/M is reported, and small at N = 40 (no warning); a large one is flagged.
    expect(Math.abs(resp.relativeCorrectionAtT.train_loss)).toBeLessThan(0.02);
    expect(st.meta.response).not.toHaveProperty("warning");
    expect(largeCorrection(0.164).warning).toMatch(/16 % of the train loss at T.*--samples/);
    expect(largeCorrection(-0.05)).toEqual({});
  });

  it("handles vector models (erf committee, k = 2) like the tangent", async () => {
    const d = model("committee-erf");
    const opts = { dynamics: "sgf" as const, T: 2, samples: 16000, seed: 2 };
    const tan = await solveMc(d, { ...opts, response: "tangent" });
    const st = await solveMc(d, { ...opts, response: "stein" });
    for (const o of Object.keys(tan.observables)) {
      if (o === "test_loss" || o === "test_error") continue;
      const c = compareObservable(st, tan, o as never);
      expect(c.pass, `${o}: worst ${c.worst.toFixed(2)} at t = ${c.tWorst}`).toBe(true);
    }
  });
});

describe("branching response estimator", () => {
  it("agrees with Stein on the hinge loss (SGF and gradient flow) with less noisy kernels", async () => {
    const d = model("hinge-svm");
    for (const dynamics of ["sgf", "gd"] as const) {
      const opts = { dynamics, T: 2, samples: 8000, seed: 4, kernels: true };
      const br = await solveMc(d, { ...opts, response: "branch" });
      const st = await solveMc(d, { ...opts, response: "stein" });
      for (const o of ["train_loss", "test_loss", "q", "m", "test_error"] as const) {
        const c = compareObservable(br, st, o);
        expect(c.pass, `${dynamics} ${o}: worst ${c.worst.toFixed(2)} at t = ${c.tWorst}`).toBe(true);
      }
      const N = br.t.length - 1;
      const at = N * (N + 1) + N / 2; // R_theta[N, N/2]
      expect(br.kernels!.R_theta.stderr![at]).toBeLessThan(0.5 * st.kernels!.R_theta.stderr![at]);
    }
  });
});

describe("--response auto", () => {
  it("keeps the tangent for smooth models at modest N (same output as forcing it) and records why", async () => {
    const d = model("logistic-regression");
    const opts = { dynamics: "sgf" as const, T: 1, samples: 4000, seed: 1 };
    const auto = await solveMc(d, opts);
    const tan = await solveMc(d, { ...opts, response: "tangent" });
    expect(auto.observables).toEqual(tan.observables);
    expect(auto.stderr).toEqual(tan.stderr);
    expect(auto.meta.response).toMatchObject({ estimator: "tangent" });
    expect(String((auto.meta.response as { reason: string }).reason)).toMatch(/^auto/);
  });

  it("picks Stein for long horizons, branching for k = 1 models whose l jumps (Stein at large N or k > 1)", () => {
    const d = model("logistic-regression");
    expect(chooseResponse(d, 40).estimator).toBe("tangent");
    expect(chooseResponse(d, 1000).estimator).toBe("stein");
    expect(() => chooseResponse(d, 40, "branch")).toThrow(/branch/);
    const hinge = model("hinge-svm");
    expect(chooseResponse(hinge, 40).estimator).toBe("branch");
    expect(chooseResponse(hinge, 200).estimator).toBe("stein");
    expect(chooseResponse(hinge, 40, "tangent").reason).toMatch(/WARNING/);
    expect(chooseResponse(model("committee-relu"), 40).estimator).toBe("stein");
  });

  it("estimates less memory for Stein (no H dxi history) and counts its halves in the work", () => {
    const d = model("logistic-regression");
    const opts = { dynamics: "sgf" as const, T: 30, samples: 20000, seed: 1 };
    const tan = planMc(d, { ...opts, response: "tangent" });
    const st = planMc(d, { ...opts, response: "stein" });
    expect(st.halves).toBe(true);
    expect(groupBytes(st.levels[0], 2500)).toBeLessThan(groupBytes(tan.levels[0], 2500));
    expect(st.multiplyAdds).toBeLessThan(tan.multiplyAdds);
  });
});
