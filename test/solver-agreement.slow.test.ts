// Slow checks of the Monte-Carlo DMFT solver against finite-d SGF simulation (issue 9, "done when"):
// agreement within 4 combined SE + 1% at every time for logistic, linear and an over-parameterised case;
// dropping the noise cross term makes linear regression fail; reported SEs match the spread over 8
// solver seeds and are below 2% of the train loss at T.

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parseModel } from "../src/model/load.js";
import { simulate } from "../src/simulate/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import type { Derived, ObservableName, Result } from "../src/types.js";
import { compareResults } from "../src/validate/compare.js";

const GRID = { dt: 0.1, T: 4 };

const withInitStd = (d: Derived, initStd: number): Derived => ({ ...d, model: { ...d.model, initStd } });

interface Case {
  name: string;
  derived: Derived;
  keys: ObservableName[];
}

const model = (name: string) => `models/${name}.yaml`;

const CASES: Case[] = [
  {
    name: "logistic (delta 2, tau 1, lambda 0.05)",
    derived: loadDerived(model("logistic-regression"), { delta: 2, tau: 1, lambda: 0.05, sigma: 0.3 }),
    keys: ["train_loss", "test_error", "q", "m"],
  },
  {
    name: "linear (delta 2, tau 0.5, lambda 0.05)",
    derived: loadDerived(model("linear-regression"), { delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3 }),
    keys: ["train_loss", "q", "m"],
  },
  {
    name: "over-parameterised linear (delta 0.6, tau 0.8, lambda 0.02, init_std 0.3)",
    derived: withInitStd(
      loadDerived(model("linear-regression"), { delta: 0.6, tau: 0.8, lambda: 0.02 }),
      0.3,
    ),
    keys: ["train_loss", "q", "m"],
  },
  {
    // Non-quadratic penalty: R_theta from averaged per-sample parameter-side tangents.
    name: "logistic with pseudo-Huber penalty lambda (sqrt(1 + theta^2) - 1), lambda 0.3",
    derived: derive(
      parseModel(
        readFileSync(model("logistic-regression"), "utf8")
          .replace(/penalty: .*\n/, "penalty: lambda * (sqrt(1 + theta^2) - 1)\n")
          .replace("lambda: 0.05", "lambda: 0.3"),
        "pseudo-huber-penalty",
      ),
    ),
    keys: ["train_loss", "test_error", "q", "m"],
  },
];

/** Largest |solver - simulation| / combined SE per observable, and whether all are within 4 SE + 1%. */
function compare(sol: Result, sim: Result, keys: ObservableName[]) {
  const worst: Record<string, number> = {};
  let ok = true;
  for (const key of keys) {
    worst[key] = 0;
    for (let k = 0; k < sim.t.length; k++) {
      const a = sol.observables[key]![k];
      const b = sim.observables[key]![k];
      const se = Math.hypot(sol.stderr[key]![k], sim.stderr[key]![k]);
      const diff = Math.abs(a - b);
      // Deterministic points (t = 0) have SEs at rounding level: keep them out of the table.
      if (se > 1e-9 * Math.max(1, Math.abs(b))) worst[key] = Math.max(worst[key], diff / se);
      if (diff > 4 * se + 0.01 * Math.abs(b)) ok = false;
    }
  }
  return { ok, worst };
}

const sims = new Map<string, Result>();

describe("Monte-Carlo solver vs simulate (d = 2000, 8 seeds, SGF, dt = 0.1, T = 4)", () => {
  beforeAll(async () => {
    for (const c of CASES) {
      sims.set(c.name, await simulate(c.derived, { d: 2000, seeds: 8, dynamics: "sgf", ...GRID, seed: 11 }));
    }
  }, 300_000);

  for (const c of CASES) {
    it(`agrees within 4 combined SE + 1%: ${c.name}`, async () => {
      const sol = await solveMc(c.derived, {
        dynamics: "sgf",
        ...GRID,
        samples: 20000,
        seed: 12,
      });
      const { ok, worst } = compare(sol, sims.get(c.name)!, c.keys);
      console.log(`${c.name}: max |solver - sim| / combined SE`, worst);
      expect(ok).toBe(true);
    });
  }

  it("fails for linear regression when the noise cross term is dropped", async () => {
    const c = CASES[1]; // linear regression
    const sol = await solveMc(
      c.derived,
      { dynamics: "sgf", ...GRID, samples: 20000, seed: 12 },
      { dropCrossTerm: true },
    );
    const { ok, worst } = compare(sol, sims.get(c.name)!, c.keys);
    console.log("linear without the cross term: max deviation / combined SE", worst);
    expect(ok).toBe(false);
    expect(worst.train_loss).toBeGreaterThan(8);
    // validate's verdict rule (t quantiles, Šidák over the table) rejects it too (measured: train loss at
    // 225% of its allowance, test loss 258%, q 136%; d = 2000, exact initial overlaps, seed 11).
    const table = compareResults(
      { id: "gating", title: "", gating: true, theoryLabel: "", simLabel: "" },
      sol,
      sims.get(c.name)!,
    );
    expect(table.pass).toBe(false);
    expect(table.rows.find((r) => r.name === "train_loss")!.worst).toBeGreaterThan(1.5);
  });
});

// The issue asks for 8 seeds; the spread of 8 values is itself uncertain by ~27% (P(ratio > 2) ~ 3% per
// quantity for honest SEs), so 16 seeds are used to keep the check from failing by chance.
describe("standard errors are honest and small (16 solver seeds, default settings)", () => {
  for (const c of CASES.slice(0, 2)) {
    it(`reported SE / seed spread in [0.5, 2] and rel. SE of train loss at T <= 2%: ${c.name}`, async () => {
      const runs: Result[] = [];
      for (let seed = 100; seed < 116; seed++) {
        runs.push(await solveMc(c.derived, { dynamics: "sgf", ...GRID, seed, threads: 1 }));
      }
      const K = runs[0].t.length - 1;
      for (const key of ["train_loss", "q", "m"] as const) {
        const v = runs.map((r) => r.observables[key]![K]);
        const mu = v.reduce((a, b) => a + b) / v.length;
        const spread = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1));
        const se = runs.reduce((a, r) => a + r.stderr[key]![K], 0) / runs.length;
        console.log(
          `${c.name} ${key}: mean reported SE ${se.toExponential(3)}, seed spread ${spread.toExponential(3)}, ratio ${(se / spread).toFixed(2)}, rel. SE ${((100 * se) / mu).toFixed(2)}%`,
        );
        expect(se / spread).toBeGreaterThan(0.5);
        expect(se / spread).toBeLessThan(2);
        if (key === "train_loss") expect(se / mu).toBeLessThan(0.02);
      }
    });
  }
});
