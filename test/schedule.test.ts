// Schedules (issue 16): parsing and rejection of bad schedules, the left-end / right-limit convention on the
// grid, bit-identical results for constant schedules in every solver and simulator, and the tilted ridge
// penalty solved by the exact solver with default options (issue 20: one classification).
import { describe, expect, it } from "vitest";
import { parseSets } from "../src/cli/common.js";
import { buildDmftSystem } from "../src/dmft/system.js";
import { parseModel } from "../src/model/load.js";
import { testObservables } from "../src/observables/gaussian.js";
import { simulate } from "../src/simulate/index.js";
import { chooseSolver, solve } from "../src/solvers/index.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import { scheduleTable } from "../src/symbolic/schedule.js";
import type { Result } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";

const model = (loss: string, params: string, extra = "") => `name: s
description: schedule test
loss: ${loss}
label: ${loss.includes("exp") ? "sign(wstar + sigma * eps)" : "wstar + sigma * eps"}
penalty: lambda / 2 * theta^2${extra}
parameters: { ${params} }
time: { T: 1, dt: 0.1 }
`;
const LOGISTIC = "log(1 + exp(-y * yhat))";
const SQUARE = "(yhat - y)^2 / 2";
const derived = (text: string, sets: Record<string, number | string> = {}) =>
  derive(parseModel(text, "m.yaml", sets));

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("schedule syntax", () => {
  it("reads schedules from the file and from --set; a schedule free of t is its number", () => {
    const d = derived(model(LOGISTIC, 'delta: 2, tau: "t < 3 ? 1 : 0.1", lambda: 0.05, sigma: 0.3'));
    expect(d.model.schedules).toEqual({ tau: "t < 3 ? 1 : 0.1" });
    expect(d.model.parameters.tau).toBe(1);
    expect(d.schedule?.latex.tau).toContain("\\begin{cases}");
    const sets = parseSets(["lambda=0.1 * exp(-t / 2)", "tau=0.5"]);
    expect(sets).toEqual({ lambda: "0.1 * exp(-t / 2)", tau: 0.5 });
    const e = derived(model(SQUARE, "delta: 2, tau: 1, lambda: 0.05, sigma: 0.3"), sets);
    expect(e.model.schedules).toEqual({ lambda: "0.1 * exp(-t / 2)" });
    expect(e.sources.h).toContain("P[0]");
    const c = derived(model(SQUARE, 'delta: 2, tau: "1 / 2", lambda: 0.05, sigma: 0.3'));
    expect(c.model.schedules).toBeUndefined();
    expect(c.model.parameters.tau).toBe(0.5);
  });

  it("rejects bad schedules with messages that say why", () => {
    const base = (p: string) => () => derived(model(LOGISTIC, p));
    expect(usage(base('delta: "2 + t", tau: 1, lambda: 0.05, sigma: 0.3'))).toMatch(
      /delta .* cannot be a schedule: the data set/,
    );
    expect(usage(base('delta: 2, tau: 1, lambda: 0.05, sigma: "0.3 * t"'))).toMatch(
      /sigma is a parameter of the label and cannot be a schedule/,
    );
    expect(usage(base('delta: 2, tau: "1 + (t < 3 ? 1 : 0)", lambda: 0.05, sigma: 0.3'))).toMatch(
      /may only form the whole schedule/,
    );
    expect(usage(base('delta: 2, tau: "t < t ? 1 : 0", lambda: 0.05, sigma: 0.3'))).toMatch(
      /compare t with an expression free of t/,
    );
    expect(usage(base('delta: 2, tau: "t == 3 ? 1 : 0", lambda: 0.05, sigma: 0.3'))).toMatch(
      /must compare t with a number/,
    );
    expect(usage(base('delta: 2, tau: "system(t)", lambda: 0.05, sigma: 0.3'))).toMatch(
      /unknown function 'system'/,
    );
    expect(usage(base('delta: 2, tau: "1 / t", lambda: 0.05, sigma: 0.3'))).toMatch(/Infinity at t = 0/);
  });

  it("refuses a switch between grid points and a negative tau(t_k) before solving", async () => {
    const d = derived(model(LOGISTIC, 'delta: 2, tau: "t < 0.55 ? 1 : 0.1", lambda: 0.05, sigma: 0.3'));
    await expect(solve(d, { dynamics: "sgf", seed: 1 })).rejects.toThrow(
      /switches at t = 0.55, between grid points of dt = 0.1.*t = 0.5 or 0.6/,
    );
    await expect(simulate(d, { dynamics: "sgf", seed: 1, d: 50, seeds: 2 })).rejects.toThrow(UsageError);
    const neg = derived(model(LOGISTIC, 'delta: 2, tau: "0.5 - t", lambda: 0.05, sigma: 0.3'));
    await expect(solve(neg, { dynamics: "sgf", seed: 1 })).rejects.toThrow(/tau\(t\) must be >= 0/);
    await expect(simulate(neg, { dynamics: "sgd", seed: 1, d: 50, seeds: 2 })).rejects.toThrow(
      /tau\(t\) must be > 0/,
    );
  });

  it("takes the value at the left end of each step, the one after a switch at the switch point", () => {
    for (const cond of [
      "t < 0.3 ? 1 : 0.1",
      "t <= 0.3 ? 1 : 0.1",
      "0.3 > t ? 1 : 0.1",
      "t >= 0.3 ? 0.1 : 1",
    ]) {
      const d = derived(model(LOGISTIC, `delta: 2, tau: "${cond}", lambda: 0.05, sigma: 0.3`));
      expect(Array.from(scheduleTable(d.schedule!, 0.1, 5, "test"))).toEqual([1, 1, 1, 0.1, 0.1, 0.1]);
    }
  });
});

/** Every observable entry identical (Object.is), and the same times. */
function expectBitIdentical(a: Result, b: Result): void {
  expect(b.t).toEqual(a.t);
  for (const [name, v] of Object.entries(a.observables)) {
    const w = b.observables[name as keyof Result["observables"]]!;
    expect(
      v?.every((x, i) => Object.is(x, w[i])),
      name,
    ).toBe(true);
  }
}

describe("constant schedules are bit-identical to constants", () => {
  const constant = "delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3";
  const scheduled = 'delta: 2, tau: "t < 100 ? 0.5 : 0.5", lambda: "0.05 + 0 * t", sigma: 0.3';
  it("Monte-Carlo solver (logistic, one and two threads, sgf and sgd-limit)", async () => {
    const [a, b] = [constant, scheduled].map((p) => derived(model(LOGISTIC, p)));
    expect(b.model.schedules).toBeDefined();
    for (const dynamics of ["sgf", "sgd-limit"] as const) {
      const opts = { dynamics, seed: 3, samples: 1200, groups: 4, T: 0.5 };
      expectBitIdentical(await solve(a, { ...opts, threads: 1 }), await solve(b, { ...opts, threads: 2 }));
    }
  }, 60000);

  it("exact linear solver, online ODEs and the SGF / GD / SGD simulators", async () => {
    const [a, b] = [constant, scheduled].map((p) => derived(model(SQUARE, p)));
    expectBitIdentical(
      await solve(a, { dynamics: "sgf", seed: 1 }),
      await solve(b, { dynamics: "sgf", seed: 1 }),
    );
    const on = { dynamics: "online" as const, seed: 1 };
    expectBitIdentical(await solve(a, on), await solve(b, on));
    for (const dynamics of ["sgf", "gd", "sgd"] as const) {
      const opts = { d: 100, seeds: 2, dynamics, seed: 2, threads: 1 };
      expectBitIdentical(await simulate(a, opts), await simulate(b, opts));
    }
  }, 60000);
});

describe("constant schedules on a vector model (k = k* = 2 erf committee)", () => {
  it("Monte Carlo, online ODEs and the SGF simulator give the constant's bits", async () => {
    const a = loadDerived("models/committee-erf.yaml");
    const b = loadDerived("models/committee-erf.yaml", {
      tau: "t < 100 ? 0.5 : 0.5",
      lambda: "0.01 + 0 * t",
    });
    expect(b.schedule?.names).toEqual(["tau", "lambda"]);
    const mc = { dynamics: "sgf" as const, seed: 1, samples: 2000, groups: 4, T: 0.5, threads: 1 };
    expectBitIdentical(await solve(a, mc), await solve(b, mc));
    const on = { dynamics: "online" as const, seed: 1, T: 0.5 };
    expectBitIdentical(await solve(a, on), await solve(b, on));
    const sim = { dynamics: "sgf" as const, seed: 1, d: 100, seeds: 2, T: 0.5, threads: 2 };
    expectBitIdentical(await simulate(a, sim), await simulate(b, sim));
  }, 60000);
});

describe("SGD under a tau schedule", () => {
  it("learning-rate and batch-size schedules: the same run until the drop, then batch B -> 10 B", async () => {
    const d = derived(model(LOGISTIC, 'delta: 2, tau: "t < 0.5 ? 1 : 0.1", lambda: 0.05, sigma: 0.3'));
    const opts = { d: 100, seeds: 2, dynamics: "sgd" as const, batch: 2, seed: 4, threads: 1 };
    const byEta = await simulate(d, opts);
    const byBatch = await simulate(d, { ...opts, sgdSchedule: "batch" });
    expect(byBatch.meta).toMatchObject({ eta: 2, batchSizes: [2, 20], batchRounding: 0 });
    const drop = byEta.t.indexOf(0.5);
    expect(drop).toBe(5);
    expect(byBatch.t.slice(0, drop + 1)).toEqual(byEta.t.slice(0, drop + 1));
    byBatch.t.forEach((t, i) => {
      expect(t).toBeCloseTo(byEta.t[i], 9);
    });
    for (const n of ["train_loss", "q", "m"] as const)
      expect(byBatch.observables[n]!.slice(0, drop + 1)).toEqual(byEta.observables[n]!.slice(0, drop + 1));
    await expect(
      simulate(derived(model(LOGISTIC, "delta: 2, tau: 1, lambda: 0.05, sigma: 0.3")), {
        ...opts,
        sgdSchedule: "batch",
      }),
    ).rejects.toThrow(/--sgd-schedule batch needs --dynamics sgd and a schedule on tau/);
  });
});

describe("a scheduled loss parameter", () => {
  it("hands a linear model to Monte Carlo (auto) and is refused by the forced exact solver", async () => {
    const d = derived(
      model("g * (yhat - y)^2 / 2", 'delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3, g: "1 + t"'),
    );
    expect(d.schedule?.inLoss).toEqual(["g"]);
    expect(d.linear).toBe(false);
    expect(chooseSolver(d, "sgf")).toBe("mc");
    await expect(solve(d, { dynamics: "sgf", seed: 1, solver: "exact" })).rejects.toThrow(
      /the loss depends on the scheduled g/,
    );
    // The test loss at t_k uses g(t_k): it is g(t_k) times the g = 1 test loss at the same (q, m).
    const r = await solve(d, { dynamics: "sgf", seed: 1, samples: 1200, groups: 4, T: 0.3 });
    const unit = derived(model(SQUARE, "delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3"));
    r.t.forEach((t, k) => {
      const g1 = testObservables(unit.fns, false, r.observables.q![k], r.observables.m![k], 1).test_loss;
      expect(r.observables.test_loss![k]).toBeCloseTo((1 + t) * g1, 9);
    });
  }, 30000);
});

describe("ridge plus tilt (issue 20): one classification", () => {
  it("solves with default options by the exact solver; its tilt effect matches Monte Carlo's", async () => {
    const tilted = derived(
      model(SQUARE, "delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3, c: 1", " + c * theta"),
    );
    const plain = derived(model(SQUARE, "delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3"));
    expect(tilted.linear).toBe(true);
    expect(chooseSolver(tilted, "sgf")).toBe("exact-linear");
    expect(buildDmftSystem(tilted).defaultSolver).toBe("exact-linear");
    const logistic = derived(
      model(LOGISTIC, "delta: 2, tau: 0.5, lambda: 0.05, sigma: 0.3, c: 1", " + c * theta"),
    );
    expect([chooseSolver(logistic, "sgf"), buildDmftSystem(logistic).defaultSolver]).toEqual(["mc", "mc"]);
    const opts = { dynamics: "sgf" as const, seed: 1 };
    const [ex, ex0] = [await solve(tilted, opts), await solve(plain, opts)];
    const mcOpts = { ...opts, solver: "mc" as const, samples: 8000 };
    const [mc, mc0] = [await solve(tilted, mcOpts), await solve(plain, mcOpts)];
    // Same seed: the paired difference (the tilt's effect) cancels most Monte-Carlo noise.
    for (const n of ["q", "m", "train_loss"] as const)
      ex.observables[n]!.forEach((v, k) => {
        const exact = v - ex0.observables[n]![k];
        const monte = mc.observables[n]![k] - mc0.observables[n]![k];
        expect(Math.abs(exact - monte)).toBeLessThanOrEqual(4 * mc.stderr[n]![k] + 1e-12);
      });
    // The tilt pulls every coordinate the same way: q grows well beyond the untilted ridge.
    expect(ex.observables.q![10]).toBeGreaterThan(ex0.observables.q![10] + 0.3);
  }, 60000);
});
