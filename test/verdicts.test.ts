// Issue 19: honest verdicts and no wasted work. The verdict's statistics (Student t quantiles, Welch–
// Satterthwaite degrees of freedom, Šidák level: the false-alarm rate of a whole table under the null),
// exact-overlap initial conditions, non-finite values named, output paths and sizes checked before any
// stage runs (exit 2 at once), exact time grids, low power reported, and the smaller CLI items.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/index.js";
import { defaultOut } from "../src/cli/validate.js";
import { loadModel, parseModel } from "../src/model/load.js";
import { simulate } from "../src/simulate/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";
import { Rng } from "../src/util/rng.js";
import { checkTimeGrid, exactTime, tidyTimes } from "../src/util/time.js";
import { compareResults, DEFAULT_RULE } from "../src/validate/compare.js";
import { validate } from "../src/validate/index.js";
import { criticalValue, sidak, upperTail, welchDof } from "../src/validate/student.js";
import { partialMeta } from "./helpers/shared.js";

const dir = mkdtempSync(join(tmpdir(), "dmftkit-verdicts-"));

async function run(...argv: string[]): Promise<{ code: number; err: string; seconds: number }> {
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  const t0 = performance.now();
  try {
    const code = await main(argv);
    return { code, err, seconds: (performance.now() - t0) / 1000 };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => {
  process.exitCode = undefined;
});

describe("verdict statistics", () => {
  it("Student t tails and quantiles, Welch–Satterthwaite, Šidák", () => {
    // Two-sided P(|T| > 4): the numbers docs/report.md quotes.
    expect(2 * upperTail(4, 7)).toBeCloseTo(5.19e-3, 5);
    expect(2 * upperTail(4, Number.POSITIVE_INFINITY)).toBeCloseTo(6.334e-5, 8);
    expect(criticalValue(0.05, 7)).toBeCloseTo(2.364624, 5);
    expect(criticalValue(0.05, Number.POSITIVE_INFINITY)).toBeCloseTo(1.959964, 5);
    expect(criticalValue(0.01, 1)).toBeCloseTo(63.65674, 3);
    expect(welchDof(1, 7, 1, 7)).toBeCloseTo(14, 12);
    expect(welchDof(0, Number.POSITIVE_INFINITY, 1, 7)).toBe(7);
    expect(1 - (1 - sidak(0.01, 200)) ** 200).toBeCloseTo(0.01, 12);
  });

  it("a correct theory fails a table with probability ~alpha (independent comparisons), the old 4 SE rule far more often", () => {
    // 8 seeds, 5 observables x 20 times of independent N(0, 1) noise; theory exact (0, SE 0).
    const rng = new Rng(19, 0, 0);
    const S = 8;
    const t = Array.from({ length: 20 }, (_, k) => k + 1);
    const names = ["train_loss", "test_loss", "test_error", "q", "m"] as const;
    const theory: Result = {
      t,
      observables: Object.fromEntries(names.map((n) => [n, t.map(() => 0)])),
      stderr: Object.fromEntries(names.map((n) => [n, t.map(() => 0)])),
      meta: partialMeta({}),
    };
    const spec = { id: "g", title: "", gating: true, theoryLabel: "", simLabel: "" };
    const reps = 2000;
    let fails = 0;
    let failsOld = 0;
    for (let r = 0; r < reps; r++) {
      const sim: Result = { t, observables: {}, stderr: {}, meta: partialMeta({ seeds: S }) };
      for (const n of names) {
        const mean: number[] = [];
        const se: number[] = [];
        for (let k = 0; k < t.length; k++) {
          const x = Array.from({ length: S }, () => rng.normal());
          const mu = x.reduce((a, b) => a + b) / S;
          mean.push(mu);
          se.push(Math.sqrt(x.reduce((a, b) => a + (b - mu) ** 2, 0) / (S - 1) / S));
        }
        sim.observables[n] = mean;
        sim.stderr[n] = se;
      }
      if (!compareResults(spec, theory, sim).pass) fails++;
      if (!compareResults(spec, theory, sim, { ...DEFAULT_RULE, nSigma: 4 }).pass) failsOld++;
    }
    // Exact for independent comparisons: 1%; binomial sd over 2000 replications 0.22%.
    expect(fails / reps).toBeGreaterThan(0.002);
    expect(fails / reps).toBeLessThan(0.02);
    // 1 - (1 - 5.2e-3)^100 = 41%.
    expect(failsOld / reps).toBeGreaterThan(0.3);
  });

  it("a shift of a few allowances still fails, and the row says by how much", () => {
    const t = [0, 1, 2, 3];
    const th: Result = {
      t,
      observables: { q: [1, 2, 3, 4] },
      stderr: { q: [0, 0.01, 0.01, 0.01] },
      meta: partialMeta({ groups: 8 }),
    };
    const sim: Result = {
      t,
      observables: { q: [1, 2, 3.3, 4] },
      stderr: { q: [0, 0.01, 0.01, 0.01] },
      meta: partialMeta({ seeds: 8 }),
    };
    const table = compareResults(
      { id: "g", title: "", gating: true, theoryLabel: "", simLabel: "" },
      th,
      sim,
    );
    const row = table.rows[0];
    expect(table.comparisons).toBe(3); // t = 0: exact agreement, not a random comparison
    expect(row.pass).toBe(false);
    expect(row.tWorst).toBe(2);
    expect(row.dof).toBeCloseTo(14, 9);
    expect(row.critical).toBeCloseTo(criticalValue(sidak(0.01, 3), 14), 12);
  });
});

describe("exact-overlap initial conditions (validate's simulations)", () => {
  it("Q(0) = init_std^2 I and M(0) = 0 to rounding, so their standard errors vanish at t = 0", async () => {
    const derived = loadDerived("models/committee-erf.yaml");
    const r = await simulate(derived, {
      d: 50,
      seeds: 3,
      dynamics: "sgf",
      T: 0.1,
      seed: 1,
      exactInit: true,
      threads: 1,
    });
    for (const n of ["Q_1_1", "Q_2_2"] as const) expect(r.observables[n]![0]).toBeCloseTo(0.25, 12);
    for (const n of ["Q_1_2", "M_1_1", "M_1_2", "M_2_1", "M_2_2"] as const) {
      expect(Math.abs(r.observables[n]![0])).toBeLessThan(1e-12);
      expect(r.stderr[n]![0]).toBeLessThan(1e-12);
    }
    expect(r.meta.init).toMatch(/exact/);
    const random = await simulate(derived, { d: 50, seeds: 3, dynamics: "sgf", T: 0.1, seed: 1, threads: 1 });
    expect(random.stderr.M_1_1![0]).toBeGreaterThan(1e-3);
  });
});

describe("exact grids", () => {
  it("times without float noise; T must be a whole number of steps", () => {
    expect(exactTime(3 * 0.1)).toBe(0.3);
    expect(tidyTimes({ t: [0, 0.1, 0.2, 3 * 0.1] }).t).toEqual([0, 0.1, 0.2, 0.3]);
    expect(() => checkTimeGrid(1, 0.3, "validate")).toThrow(
      /T = 1 is not a whole number of steps dt = 0.3 .* use T = 0.9 or 1.2/,
    );
    expect(() => checkTimeGrid(4, 0.1, "x")).not.toThrow();
  });

  it("simulate writes t = 0.3, and --T 1 --dt 0.3 exits 2", async () => {
    const out = join(dir, "sim.json");
    const ok = await run(
      "simulate",
      "models/linear-regression.yaml",
      "--d",
      "20",
      "--seeds",
      "2",
      "--T",
      "0.3",
      "--threads",
      "1",
      "--quiet",
      "--out",
      out,
    );
    expect(ok.code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain('"t":[0,0.1,0.2,0.3]');
    for (const cmd of ["validate", "solve", "simulate"]) {
      const bad = await run(cmd, "models/linear-regression.yaml", "--T", "1", "--dt", "0.3", "--quiet");
      expect(bad.code, cmd).toBe(2);
      expect(bad.err).toMatch(/not a whole number of steps/);
    }
  });
});

describe("check before computing: exit 2 at once", () => {
  const model = "models/logistic-regression.yaml";
  const ro = join(dir, "read-only");
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  // root ignores permission bits: then a path under /sys (read-only to everyone) stands in.
  const readOnly = process.getuid?.() === 0 ? "/sys/dmftkit-test" : join(ro, "out");

  for (const [what, argv] of [
    ["validate --out /proc/x", ["validate", model, "--out", "/proc/dmftkit-x"]],
    ["validate --out <read-only dir>", ["validate", model, "--out", readOnly]],
    ["validate --out <a file>/sub", ["validate", model, "--out", join(dir, "a-file", "sub")]],
    ["solve --out <existing dir>", ["solve", model, "--out", dir]],
    ["solve --out /proc/x", ["solve", model, "--out", "/proc/dmftkit-x/r.json"]],
    ["simulate --out <read-only dir>", ["simulate", model, "--out", join(readOnly, "r.json")]],
    ["derive --json <read-only dir>", ["derive", model, "--json", join(readOnly, "r.json")]],
    [
      "validate --batch 200 (SGD step longer than the recording step)",
      ["validate", model, "--batch", "200", "--quick"],
    ],
    ["validate --samples 10", ["validate", model, "--samples", "10"]],
  ] as const) {
    it(what, async () => {
      writeFileSync(join(dir, "a-file"), "x");
      const r = await run(...argv, "--quiet");
      expect(r.code).toBe(2);
      expect(r.err).not.toMatch(/done in/);
      expect(r.seconds).toBeLessThan(20); // the full run takes minutes
      if (what.includes("batch")) expect(r.err).toMatch(/--batch 200: one SGD step .* use --batch <= 100/);
      if (what.includes("samples"))
        expect(r.err).toMatch(/--samples 10 in 8 groups leaves 1 sample in the smallest group/);
    });
  }
});

describe("smaller items", () => {
  it("derive --out writes the JSON document", async () => {
    const out = join(dir, "derived.json");
    expect((await run("derive", "models/linear-regression.yaml", "--out", out)).code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).model.name).toBe("linear-regression");
  });

  it('time: { T: "4" } says it is a string', () => {
    const text =
      'name: x\ndescription: x\nloss: (r - y)^2 / 2\nlabel: wstar\nparameters: { delta: 2, tau: 1 }\ntime: { T: "4", dt: 0.1 }\n';
    expect(() => parseModel(text, "m.yaml")).toThrow(
      /time.T must be a number > 0, got "4" \(a string; drop the quotes\)/,
    );
  });

  it("--set init_std, teacher_variance, T and dt", () => {
    const m = loadModel("models/logistic-regression.yaml", {
      init_std: 0.3,
      teacher_variance: 2,
      T: 2,
      dt: 0.05,
    });
    expect([m.initStd, m.teacherVariance, m.time.T, m.time.dt]).toEqual([0.3, 2, 2, 0.05]);
    expect(() => loadModel("models/logistic-regression.yaml", { init_std: -1 })).toThrow(/--set init_std/);
    expect(() => loadModel("models/logistic-regression.yaml", { T: 1, dt: 0.3 })).toThrow(
      /whole number of steps/,
    );
  });

  it("the default output folder carries the --set values", () => {
    expect(defaultOut("logistic-regression", {})).toBe(join("out", "logistic-regression"));
    expect(defaultOut("logistic-regression", { lambda: 0.1, tau: 2 })).toBe(
      join("out", "logistic-regression_lambda=0.1_tau=2"),
    );
    expect(defaultOut("m", { tau: "1 / (1 + t)" })).toBe(join("out", "m_tau=1_1_+_t_"));
  });
});

describe("non-finite values and low power (a loss term negligible on the data that overflows in the far tails)", () => {
  it("names the non-finite test loss and its cause, compares the rest, and warns about low power", async () => {
    // loss (r - y)^2 / 2 + 1e-300 exp(exp(r)): exp(exp(r)) overflows for r > 6.6, which the training data never
    // reach but the test-loss quadrature does once q has grown (measured: from t = 0.8 on, both sides).
    const v = await validate("test/fixtures/models/overflow-loss.yaml", {
      sets: { tau: 0 },
      d: 100,
      seeds: 3,
      samples: 1600,
      threads: 1,
    });
    const rows = Object.fromEntries(v.tables[0].rows.map((r) => [r.name, r]));
    expect(rows.test_loss.pass).toBe(false);
    expect(rows.test_loss.problem).toMatch(
      /^not compared: .*value of test_loss is Infinity \(\d+ of 16 times, t = /,
    );
    expect(rows.test_loss.problem).toMatch(/the loss formula overflows/);
    expect(rows.test_loss.points).toBeGreaterThan(0); // the finite times are still compared
    for (const n of ["train_loss", "q", "m"]) expect(rows[n].pass, n).toBe(true);
    expect(v.notes.some((n) => n.startsWith("Low power"))).toBe(true);
  }, 120_000);
});

describe("low power is said", () => {
  it("--d 10 with 3 recorded times: the power note and a low-power warning", async () => {
    const small = await validate("models/linear-regression.yaml", { d: 10, T: 0.3, seeds: 8, threads: 1 });
    const low = small.notes.find((n) => n.startsWith("Low power"));
    expect(low).toMatch(/deviations up to \d+% of \w+ .* would pass unnoticed/);
    expect(small.notes.find((n) => n.startsWith("Power:"))).toMatch(
      /comparisons, false-alarm rate of the whole table <= 1%/,
    );
  });
});

describe("probit regression (-log Phi via erf, evaluated as a stable log-CDF)", () => {
  it("validates with finite values everywhere and writes its report (the DMFT document holds invmills)", async () => {
    const out = join(dir, "probit");
    const argv = [
      "validate",
      "test/fixtures/models/probit.yaml",
      "--set",
      "tau=0",
      "--d",
      "200",
      "--seeds",
      "4",
    ];
    const r = await run(...argv, "--samples", "2000", "--threads", "1", "--quiet", "--out", out);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "tidy.csv"), "utf8")).not.toMatch(/Infinity|NaN/);
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain("PASS");
  });
});

it("keeps the fixtures it needs", () => {
  expect(existsSync("test/fixtures/models/overflow-loss.yaml")).toBe(true);
});
