// Long horizons (issue 15): feasibility up front (estimates, refusal with exit 2 before any stage runs),
// the remaining-time rule of the progress reports, and --record on the command line.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/index.js";
import { remainingSeconds } from "../src/cli/progress.js";
import { planMc } from "../src/solvers/mc/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";
import { calibratedRate, checkFeasible } from "../src/util/feasibility.js";
import { type StageName, validate } from "../src/validate/index.js";

const logistic = "models/logistic-regression.yaml";

describe("feasibility up front", () => {
  it("estimates grow with the work and a run over the limit is refused with its numbers", () => {
    expect(calibratedRate()).toBeGreaterThan(1e7);
    const derived = loadDerived(logistic, { tau: 0.5 });
    const small = planMc(derived, { dynamics: "sgf", T: 10, dt: 0.1, seed: 1 });
    const big = planMc(derived, { dynamics: "sgf", T: 40, dt: 0.1, seed: 1 });
    expect(big.seconds).toBeGreaterThan(10 * small.seconds);
    const stage = { label: "DMFT", seconds: 7200, bytes: 2 ** 30, detail: "N steps" };
    expect(() => checkFeasible("solve", [stage], 60)).toThrow(UsageError);
    expect(() => checkFeasible("solve", [stage], 60)).toThrow(
      /~2\.0 h, more than the limit of 60 min[\s\S]*DMFT/,
    );
    expect(() => checkFeasible("solve", [stage], 121)).not.toThrow();
  });

  it("solve refuses (exit 2) an N = 4000 solve over the limit before allocating; --max-minutes is checked", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const args = ["solve", logistic, "--T", "400", "--quiet"];
      expect(await main([...args, "--max-minutes", "5"])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join("")).toMatch(
        /estimated ~.*more than the limit of 5 min/,
      );
      expect(await main([...args, "--max-minutes", "-1"])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });

  it("validate refuses an infeasible run after derive, before the first solve", async () => {
    const stages: StageName[] = [];
    const run = validate(logistic, {
      T: 400,
      maxMinutes: 1,
      onProgress: (stage) => {
        if (stages.at(-1) !== stage) stages.push(stage);
      },
    });
    await expect(run).rejects.toThrow(/validate: estimated .* more than the limit of 1 min/);
    expect(stages).toEqual(["derive"]);
  });
});

describe("orthonormal blocks and the Stein estimator", () => {
  it("Stein needs its field columns in one block: the noise columns go apart; too few: tangent or refused", () => {
    const derived = loadDerived(logistic, { tau: 0.5 });
    const base = { dynamics: "sgf" as const, T: 100, dt: 0.1, seed: 1 };
    // 20000 samples in 8 groups: halves of 1250 < 2004 columns + 64, but >= 1004 field columns + 64.
    const auto = planMc(derived, base);
    expect(auto.response.estimator).toBe("stein");
    expect(auto.levels[0].noiseApart).toBe(true);
    // All columns in one block per half group: the layout of earlier versions (byte-identical output).
    expect(planMc(derived, { ...base, samples: 33088 }).levels[0].noiseApart).toBeUndefined();
    // 16000 samples: halves of 1000 < 1068.
    const small = { ...base, samples: 16000 };
    const fallback = planMc(derived, small);
    expect(fallback.response.estimator).toBe("tangent");
    expect(fallback.levels[0].noiseApart).toBeUndefined();
    expect(fallback.response.reason).toMatch(/Stein needs 1068 samples per half group/);
    expect(() => planMc(derived, { ...small, response: "stein" })).toThrow(/raise --samples to 17088/);
    expect(planMc(derived, { ...base, samples: 17088 }).response.estimator).toBe("stein");
    // The tangent is fine in renewed blocks: any N plans (the time limit is what refuses N = 4000).
    expect(planMc(derived, { ...base, T: 400, response: "tangent" }).levels[0].N).toBe(4000);
  });
});

describe("progress", () => {
  it("remaining time: the estimate until the first unit finishes, then the rate of the work done", () => {
    expect(remainingSeconds(10, 0, 8, 50)).toBe(40);
    expect(remainingSeconds(80, 0, 8, 50)).toBe(0);
    expect(remainingSeconds(10, 0, 8)).toBeUndefined();
    expect(remainingSeconds(30, 2, 8, 50)).toBe(90);
    expect(remainingSeconds(30, 8, 8, 50)).toBe(0);
  });
});

describe("--record on the command line", () => {
  it("solve and simulate write the recorded grid; a time interval is refused with a pointer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dmftkit-record-"));
    const sim = ["simulate", logistic, "--d", "60", "--seeds", "2", "--T", "2", "--threads", "1", "--quiet"];
    expect(await main([...sim, "--record", "5", "--out", join(dir, "a.json")])).toBe(0);
    expect(await main([...sim, "--record-interval", "0.5", "--out", join(dir, "b.json")])).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "a.json"), "utf8")) as Result;
    const b = JSON.parse(readFileSync(join(dir, "b.json"), "utf8")) as Result;
    expect(a.t).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(a.observables).toEqual(b.observables);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main([...sim, "--record", "0.5"])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join("")).toMatch(/--record-interval 0\.5/);
    } finally {
      err.mockRestore();
    }
    const solve = ["solve", logistic, "--T", "2", "--samples", "1000", "--threads", "1", "--quiet"];
    expect(await main([...solve, "--record", "log", "--out", join(dir, "c.json")])).toBe(0);
    const c = JSON.parse(readFileSync(join(dir, "c.json"), "utf8")) as Result;
    expect(c.t.length).toBe(21);
    expect(String(c.meta.record)).toMatch(/log-spaced/);
  });
});
