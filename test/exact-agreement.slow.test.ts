// Slow agreement tests of the exact solvers: the Monte-Carlo DMFT at large delta converges to the online
// limit like 1/delta (logistic regression, sign teacher), and the exact linear equations against a larger
// MC solve at tau = 0.5; the same convergence for the erf committee (k = k* = 2). Numbers of record (convergence table) are in docs/special-cases.md.
import { describe, expect, it } from "vitest";
import { overlapNames } from "../src/observables/names.js";
import { solveExactLinear, solveOnline } from "../src/solvers/exact/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { ObservableName, Result } from "../src/types.js";
import { handDerived } from "./fixtures/hand-models.js";

const P = { tau: 0.5, lambda: 0.05, sigma: 0.3 };
const T = 2;
const dt = 0.05;
const K = Math.round(T / dt);

describe("MC DMFT at large delta vs the online limit (same dt)", () => {
  it("converges like 1/delta: resolved at delta = 20, within 4 SE + 1/10 of it at delta = 200", async () => {
    const on = solveOnline(handDerived("logistic", { ...P, delta: 1 }), { T, dt, discrete: true });
    const run = (delta: number) =>
      solveMc(handDerived("logistic", { ...P, delta }), { dynamics: "sgf", T, dt, samples: 40000, seed: 11 });
    const [mc20, mc200] = [await run(20), await run(200)];
    const err = (r: typeof mc20, n: ObservableName) => r.observables[n]![K] - on.observables[n]![K];
    expect(Math.abs(err(mc20, "q"))).toBeGreaterThan(4 * mc20.stderr.q![K]);
    for (const n of ["q", "m", "train_loss", "test_loss"] as ObservableName[]) {
      const bound = 4 * mc200.stderr[n]![K] + 0.1 * (Math.abs(err(mc20, n)) + 4 * mc20.stderr[n]![K]);
      expect(Math.abs(err(mc200, n))).toBeLessThan(bound);
    }
  }, 180000);
});

describe("exact linear equations vs a large MC solve", () => {
  it("agree within 4 SE at tau = 0.5 over t in [0, 2]", async () => {
    const d = handDerived("linear", { ...P, delta: 2, initStd: 0.3 });
    const ex = solveExactLinear(d, { T, dt });
    const mc = await solveMc(d, { dynamics: "sgf", T, dt, samples: 80000, groups: 16, seed: 21 });
    for (const n of ["q", "m", "train_loss", "test_loss"] as ObservableName[]) {
      mc.observables[n]!.forEach((v, k) => {
        expect(Math.abs(v - ex.observables[n]![k])).toBeLessThanOrEqual(4 * mc.stderr[n]![k] + 1e-9);
      });
    }
  }, 180000);
});

describe("erf committee (k = k* = 2): MC DMFT at large delta vs the online (Saad-Solla) limit, same dt", () => {
  const keys: ObservableName[] = ["train_loss", ...overlapNames(2, 2).map((e) => e.name)];
  const committee = (delta: number) => loadDerived("models/committee-erf.yaml", { delta });
  /** Whether every entry at every time is within 4 SE + 1% of the oracle, and the largest |error| / SE. */
  async function check(delta: number, oracle: Result) {
    const mc = await solveMc(committee(delta), { dynamics: "sgf", T: 2, dt: 0.1, samples: 20000, seed: 3 });
    let ok = true;
    let worst = 0;
    for (const key of keys) {
      for (let k = 1; k < mc.t.length; k++) {
        const err = Math.abs(mc.observables[key]![k] - oracle.observables[key]![k]);
        const se = mc.stderr[key]![k];
        worst = Math.max(worst, err / se);
        if (!(err <= 4 * se + 0.01 * Math.abs(oracle.observables[key]![k]))) ok = false;
      }
    }
    return { ok, worst };
  }
  it("agrees within 4 SE + 1% at delta = 80 and is rejected at delta = 5 (error ~ 1/delta)", async () => {
    const oracle = solveOnline(committee(80), { T: 2, dt: 0.1, discrete: true });
    const far = await check(80, oracle);
    const near = await check(5, oracle);
    console.log(
      `committee vs online: max |error| / SE ${far.worst.toFixed(2)} at delta 80, ${near.worst.toFixed(2)} at 5`,
    );
    expect(far.ok).toBe(true);
    expect(near.ok).toBe(false);
  }, 120_000);
});
