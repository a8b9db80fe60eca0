// validate: the comparison rule on synthetic results (can pass, can fail, for the right reason), one
// small real run of the whole pipeline on the shipped linear-regression model, and one through the CLI on
// the k = 2 committee (report with matrix observables).
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHTML } from "linkedom";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";
import {
  compareObservable,
  compareResults,
  DEFAULT_RULE,
  interpolate,
  observableOrder,
  widthsOf,
} from "../src/validate/compare.js";
import { preflight, type StageName, type Verdict, validate } from "../src/validate/index.js";
import { partialMeta } from "./helpers/shared.js";

function result(t: number[], q: number[], se: number[], extra: Partial<Result["observables"]> = {}): Result {
  const observables = { q, ...extra };
  const stderr = Object.fromEntries(Object.keys(observables).map((k) => [k, se]));
  return { t, observables, stderr, meta: partialMeta({}) };
}

const t = Array.from({ length: 11 }, (_, k) => k * 0.1);
const base = t.map((x) => 1 + x);
const se = t.map(() => 0.01);

describe("compare", () => {
  it("passes identical curves with zero deviation", () => {
    const c = compareObservable(result(t, base, se), result(t, base, se), "q");
    expect(c).toMatchObject({ pass: true, maxZ: 0, points: 11 });
  });

  it("measures the deviation in combined standard errors and fails beyond 4 SE + relative allowance", () => {
    const sigma = Math.hypot(0.01, 0.01);
    const shifted = base.map((v, k) => (k === 7 ? v + 3 * sigma : v));
    const ok = compareObservable(result(t, base, se), result(t, shifted, se), "q");
    expect(ok.pass).toBe(true);
    expect(ok.maxZ).toBeCloseTo(3, 9);
    expect(ok.tMaxZ).toBeCloseTo(0.7, 12);
    const rule = { alpha: 0.01, nSigma: 4, relative: 0 };
    const bad = base.map((v, k) => (k === 4 ? v + 4.2 * sigma : v));
    const fail = compareObservable(result(t, base, se), result(t, bad, se), "q", rule);
    expect(fail).toMatchObject({ pass: false, tWorst: 0.4 });
    expect(fail.worst).toBeCloseTo(4.2 / 4, 9);
    // The 1% relative allowance of the default rule covers it: 4.2 sigma = 0.059 < 4 sigma + 0.01 * 1.4.
    expect(compareObservable(result(t, base, se), result(t, bad, se), "q").pass).toBe(true);
  });

  it("treats zero standard errors strictly: equal passes, any real difference fails", () => {
    const zero = t.map(() => 0);
    expect(compareObservable(result(t, base, zero), result(t, base, zero), "q").pass).toBe(true);
    const off = base.map((v, k) => (k === 2 ? v + 0.5 : v));
    const c = compareObservable(result(t, base, zero), result(t, off, zero), "q");
    expect(c.pass).toBe(false);
    expect(c.maxZ).toBe(Infinity);
  });

  it("fails, naming the time, when a value or standard error is not finite", () => {
    const nanSe = se.map((s, k) => (k === 5 ? Number.NaN : s));
    const c = compareObservable(result(t, base, se), result(t, base, nanSe), "q");
    expect(c.pass).toBe(false);
    expect(c.problem).toMatch(/t = 0\.5/);
  });

  it("interpolates the theory onto simulation times and skips times outside its range", () => {
    expect(interpolate([0, 1, 2], [0, 10, 30], 1.5)).toBeCloseTo(20, 12);
    expect(interpolate([0, 1, 2], [0, 10, 30], 2.5)).toBeNaN();
    const fine = Array.from({ length: 21 }, (_, k) => k * 0.05);
    const theory = result(
      fine,
      fine.map((x) => 1 + x),
      fine.map(() => 0.01),
    );
    const longer = [...t, 1.1, 1.2];
    const sim = result(
      longer,
      longer.map((x) => 1 + x),
      longer.map(() => 0.01),
    );
    const c = compareObservable(theory, sim, "q");
    expect(c).toMatchObject({ pass: true, points: 11 });
    expect(c.maxZ).toBeLessThan(1e-9);
  });

  it("orders matrix entries as overlapNames does, reading k and k* off the names", () => {
    const names = ["M_1_2", "train_loss", "M_1_1", "Q_1_1"];
    const r: Result = {
      t,
      observables: Object.fromEntries(names.map((n) => [n, base])),
      stderr: {},
      meta: partialMeta({}),
    };
    expect(widthsOf(names)).toEqual({ k: 1, kTeacher: 2 });
    expect(observableOrder(r)).toEqual(["train_loss", "Q_1_1", "M_1_1", "M_1_2"]);
    expect(widthsOf(["Q_1_3", "M_2_1"])).toEqual({ k: 3, kTeacher: 1 });
    expect(widthsOf(["q", "m"])).toEqual({ k: 1, kTeacher: 1 });
  });

  it("tables compare the common observables and fail when any row fails", () => {
    const spec = { id: "x", title: "x", gating: true, theoryLabel: "a", simLabel: "b" };
    const th = result(t, base, se, { m: base });
    const sim = result(t, base, se, { m: base.map((v) => v * 1.2), train_loss: base });
    const table = compareResults(spec, th, sim, DEFAULT_RULE);
    expect(table.rows.map((r) => r.name)).toEqual(["q", "m"]);
    expect(table.rows.map((r) => r.pass)).toEqual([true, false]);
    expect(table.pass).toBe(false);
  });
});

describe("validate (linear regression, small sizes)", () => {
  it("runs every stage, passes the gating check, and a 30% error in q is caught", async () => {
    const stages: StageName[] = [];
    // Linear models are solved exactly (zero theory SE), so the whole allowance rests on the simulation's
    // SE; from 8 seeds it is t-distributed with 7 degrees of freedom and at d = 200 one of 6 seeds measured
    // failed (max 4.8 SE, at t = 0.1); with 16 seeds 6 of 6 passed. 16 seeds keeps the check meaningful.
    const v = await validate("models/linear-regression.yaml", {
      d: 200,
      seeds: 16,
      samples: 3000,
      T: 2,
      seed: 3,
      onProgress: (stage, done) => {
        // A stage starts with done = 0 (solvers and simulators also report 0 of their total first).
        if (done === 0 && stages.at(-1) !== stage) stages.push(stage);
      },
    });
    expect(stages).toEqual(["derive", "dmft", "sgf", "sgd", "continuum", "sgdLimit"]);
    expect(v.tables.map((x) => [x.id, x.gating])).toEqual([
      ["gating", true],
      ["sgd-continuum", false],
      ["sgd-limit", false],
    ]);
    expect(v.runs.dmft.t).toHaveLength(21);
    expect(v.runs.sgf.kernels?.C_theta.shape).toEqual([21, 21]);
    expect(v.tables[0].rows.map((r) => r.name)).toEqual(["train_loss", "test_loss", "q", "m"]);
    expect(v.tables[0].rows.every((r) => r.points === 21)).toBe(true);
    expect(v.pass).toBe(true);
    // Same runs, theory q scaled by 1.3: the rule must flag q (and only q). At these small sizes (d = 200,
    // 8 seeds) the allowance for q is ~10-20% of q; at d = 2000 with 8 seeds it is a few percent.
    const wrong = structuredClone(v.runs.dmft);
    wrong.observables.q = wrong.observables.q!.map((x) => 1.3 * x);
    const spec = { id: "w", title: "w", gating: true, theoryLabel: "a", simLabel: "b" };
    const table = compareResults(spec, wrong, v.runs.sgf);
    expect(table.rows.filter((r) => !r.pass).map((r) => r.name)).toEqual(["q"]);
  });
});

describe("validate takes a model object", () => {
  it("a parsed Model or a Derived gives the verdict of the file; --set is refused for objects", async () => {
    const file = "models/linear-regression.yaml";
    const opts = { d: 20, seeds: 4, samples: 1000, T: 0.3, seed: 2, threads: 1 };
    /** The verdict without wall-clock timings. */
    const plain = (v: Verdict) =>
      JSON.stringify({ pass: v.pass, settings: v.settings, tables: v.tables, notes: v.notes }) +
      JSON.stringify(Object.values(v.runs).map((r) => ({ ...r, meta: { ...r.meta, timings: 0 } })));
    const derived = loadDerived(file, { delta: 3 });
    const fromFile = plain(await validate(file, { ...opts, sets: { delta: 3 } }));
    expect(plain(await validate(derived, opts))).toBe(fromFile);
    expect(plain(await validate(derived.model, opts))).toBe(fromFile);
    expect(() => preflight(derived, { ...opts, sets: { delta: 3 } })).toThrow(UsageError);
  });
});

describe("dmftkit validate on a vector model (committee-erf, k = k* = 2, tiny sizes)", () => {
  it("runs every stage and writes a report with Q and M entry by entry", async () => {
    const out = mkdtempSync(join(tmpdir(), "dmftkit-validate-committee-"));
    const argv = ["validate", "models/committee-erf.yaml", "--d", "100", "--samples", "1000", "--T", "0.3"];
    // One thread: in-process workers (no loader start-up per stage); results do not depend on it.
    const code = await main([...argv, "--threads", "1", "--quiet", "--out", out]);
    const names = ["Q_1_1", "Q_1_2", "Q_2_2", "M_1_1", "M_1_2", "M_2_1", "M_2_2"];
    const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(json.tables.map((t: { id: string }) => t.id)).toEqual(["gating", "sgd-continuum", "sgd-limit"]);
    expect(json.tables[0].rows.map((r: { name: string }) => r.name)).toEqual([
      "train_loss",
      "test_loss",
      ...names,
    ]);
    expect(json.runs.sgf.kernels.C_theta.shape).toEqual([4, 4, 2, 2]);
    expect(code).toBe(0); // measured: the tightest row (Q_2_2) uses 40% of the allowance
    const { document } = parseHTML(readFileSync(join(out, "index.html"), "utf8"));
    const plots = Array.from(document.querySelectorAll("figure.plot")).map((f) =>
      f.getAttribute("data-plot"),
    );
    expect(plots).toEqual(expect.arrayContaining(["Q", "M", ...names, "C_theta_2_2-diff"]));
    for (const name of names) expect(existsSync(join(out, `${name}.csv`))).toBe(true);
  });
});

describe("dmftkit validate: bad input exits 2 before any run", () => {
  it("rejects fewer than 2 seeds, a bad batch and a missing model file", async () => {
    const model = "models/logistic-regression.yaml";
    expect(await main(["validate", model, "--seeds", "1", "--quiet"])).toBe(2);
    expect(await main(["validate", model, "--batch", "0", "--quiet"])).toBe(2);
    expect(await main(["validate", "models/no-such-model.yaml", "--quiet"])).toBe(2);
  });
});
