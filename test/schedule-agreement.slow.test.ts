// Schedules (issue 16): the DMFT (solve, default solver) against finite-d SGF simulation (d = 2000, 8 seeds)
// for a learning-rate drop (logistic regression, tau = 1 until t = 3, then 0.1) and for ridge regression with
// tau = 1/(1+t), lambda = 0.1 exp(-t/2): within 4 combined SE + 2 % (the rule) at every recorded time
// on train loss, q, m, and test error for the logistic model.
import { describe, expect, it } from "vitest";
import { simulate } from "../src/simulate/index.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { ObservableName } from "../src/types.js";
import { compareObservable } from "../src/validate/compare.js";

const RULE = { alpha: 0.01, nSigma: 4, relative: 0.02 };

async function agree(path: string, sets: Record<string, string | number>, names: ObservableName[]) {
  const derived = loadDerived(path, sets);
  const theory = await solve(derived, { dynamics: "sgf", seed: 1, samples: 20000 });
  const sim = await simulate(derived, { d: 2000, seeds: 8, dynamics: "sgf", seed: 1 });
  const checks = names.map((n) => compareObservable(theory, sim, n, RULE));
  const summary = checks.map((c) => `${c.name}: max ${c.maxZ.toFixed(2)} SE, worst ${c.worst.toFixed(2)}`);
  console.log(`${path} ${JSON.stringify(sets)} [${theory.meta.solver}] ${summary.join("; ")}`);
  return { theory, checks };
}

describe("schedules: solve vs simulate (d = 2000, 8 seeds)", () => {
  it("logistic regression with a learning-rate drop at t = 3", async () => {
    const { theory, checks } = await agree("models/logistic-lr-drop.yaml", {}, [
      "train_loss",
      "q",
      "m",
      "test_error",
    ]);
    expect(theory.meta.schedules).toEqual({ tau: "t < 3 ? 1 : 0.1" });
    for (const c of checks) expect(c.pass, `${c.name}: ${JSON.stringify(c)}`).toBe(true);
  }, 300000);

  it("ridge regression with tau = 1/(1+t), lambda = 0.1 exp(-t/2)", async () => {
    const sets = { tau: "1 / (1 + t)", lambda: "0.1 * exp(-t / 2)" };
    const { theory, checks } = await agree("models/linear-regression.yaml", sets, ["train_loss", "q", "m"]);
    expect(theory.meta.solver).toBe("exact-linear");
    for (const c of checks) expect(c.pass, `${c.name}: ${JSON.stringify(c)}`).toBe(true);
  }, 300000);
});
