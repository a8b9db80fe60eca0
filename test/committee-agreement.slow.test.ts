// Issue 7 "done when": for the erf soft committee (K = K* = 2, delta 2, tau 0.5), the Monte-Carlo DMFT
// solver agrees with finite-d SGF simulation (d = 1000, 8 seeds, same dt) within 4 combined SE + 1% on the
// train loss, the test loss and every entry of Q and M at every recorded time. A check that the comparison
// can fail: the gradient-flow (tau = 0) solution is rejected against the same simulation.
import { beforeAll, describe, expect, it } from "vitest";
import { overlapNames } from "../src/observables/names.js";
import { simulate } from "../src/simulate/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { ObservableName, Result } from "../src/types.js";
import { compareObservable, DEFAULT_RULE } from "../src/validate/compare.js";

const derived = loadDerived("models/committee-erf.yaml", { delta: 2, tau: 0.5 });
const GRID = { dt: 0.1, T: 4 };
const KEYS: ObservableName[] = ["train_loss", "test_loss", ...overlapNames(2, 2).map((e) => e.name)];

/** validate's compareObservable with the fixed rule 4 combined SE + 1% on every key; worst = max |z|. */
function compare(sol: Result, sim: Result) {
  const checks = KEYS.map((key) => compareObservable(sol, sim, key, { ...DEFAULT_RULE, nSigma: 4 }));
  const worst = Object.fromEntries(checks.map((c) => [c.name, c.maxZ]));
  return { ok: checks.every((c) => c.pass), worst };
}

describe("erf committee K = K* = 2: Monte-Carlo solver vs simulate (d = 1000, 8 seeds, SGF)", () => {
  let sim: Result;
  beforeAll(async () => {
    sim = await simulate(derived, { d: 1000, seeds: 8, dynamics: "sgf", ...GRID, seed: 21 });
  }, 300_000);

  it("agrees within 4 combined SE + 1% on train/test loss and every entry of Q and M", async () => {
    const sol = await solveMc(derived, { dynamics: "sgf", ...GRID, samples: 20000, seed: 22 });
    for (const key of KEYS) expect(sol.observables[key], key).toBeDefined();
    const { ok, worst } = compare(sol, sim);
    console.log("committee-erf: max |solver - sim| / combined SE", worst);
    expect(ok).toBe(true);
  }, 300_000);

  it("rejects the gradient-flow solution (tau = 0) against the same simulation", async () => {
    const sol = await solveMc(derived, { dynamics: "gd", ...GRID, samples: 20000, seed: 22 });
    const { ok, worst } = compare(sol, sim);
    console.log("committee-erf, gd vs sgf simulation: max deviation / combined SE", worst);
    expect(ok).toBe(false);
  }, 300_000);
});
