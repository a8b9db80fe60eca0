// Long horizons (issue 15): feasibility up front (estimates, refusal with exit 2 before any stage runs),
// the layout of Stein's inputs and the blocked triangular solves, the remaining-time rule of the progress
// reports, and --record on the command line.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/index.js";
import { remainingSeconds } from "../src/cli/progress.js";
import { GaussianColumns } from "../src/solvers/mc/columns.js";
import { planMc } from "../src/solvers/mc/index.js";
import {
  appendOrthonormalColumns,
  appendOrthonormalPanel,
  GrowingCholesky,
  TRI_BLOCK,
} from "../src/solvers/mc/linalg.js";
import { arenaDoubles, WasmArena, wasmArrays } from "../src/solvers/mc/wasm.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";
import { calibratedRate, checkFeasible } from "../src/util/feasibility.js";
import { Rng } from "../src/util/rng.js";
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

  it("columns apart are stored after the others; combinations read them only where a coefficient is nonzero", () => {
    const M = 250;
    const width = 300;
    const separate = Array.from({ length: 140 }, (_, k) => 3 + 2 * k + 1);
    const arena = new WasmArena(GaussianColumns.doubles(M, width, 2));
    const cols = new GaussianColumns(M, width, new Rng(1, 2), true, arena, 2, separate);
    expect(cols.slot(4)).toBe(width - 140); // the first separate column is stored after the 160 others
    expect(cols.slot(5)).toBe(4);
    for (const j of [0, 3, 4, 5, 150, 299]) {
      expect(cols.column(j)).toEqual(cols.Z.subarray(cols.slot(j) * M, (cols.slot(j) + 1) * M));
      expect(cols.at(7, j)).toBe(cols.column(j)[7]);
    }
    cols.appendBlock(100);
    const n = 120;
    const coefs = [new Float64Array(width), new Float64Array(width)];
    const rng = new Rng(3);
    for (let j = 0; j < n; j++) {
      coefs[0][j] = separate.includes(j) ? 0 : rng.normal(); // fields only (the draws w_k)
      coefs[1][j] = rng.normal(); // also on separate columns
    }
    const outs = [new Float64Array(M), new Float64Array(M)];
    cols.appendBlock(n - 100, coefs, outs);
    for (let r = 0; r < 2; r++) {
      let worst = 0;
      for (let i = 0; i < M; i++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += coefs[r][j] * cols.at(i, j);
        worst = Math.max(worst, Math.abs(outs[r][i] - v));
      }
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it("a Gram–Schmidt panel (shared passes over the earlier columns) equals its blocks one at a time, bit for bit", () => {
    const M = 203;
    const ncols = 41; // not a multiple of four: the passes split at 40
    const sizes = [3, 3, 2, 1, 3];
    const P = 12;
    const [Z, W, dots, orig, Zr, Wr, dr] = wasmArrays(
      M * (ncols + P),
      M * P,
      P * (ncols + P) + 3 * P,
      M * P,
      M * (ncols + P),
      M * P,
      P * (ncols + P),
    );
    const rng = new Rng(9);
    rng.fillNormal(Z.subarray(M, M * ncols));
    Z.fill(1, 0, M);
    rng.fillNormal(W);
    Zr.set(Z);
    Wr.set(W);
    appendOrthonormalPanel(Z, M, ncols, sizes, W, dots, orig);
    let at = 0;
    for (const m of sizes) {
      appendOrthonormalColumns(Zr, M, ncols + at, m, Wr.subarray(at * M), dr);
      at += m;
    }
    expect(Z).toEqual(Zr);
  });

  it("blocked triangular solves (kernel products per block of rows) match plain solves; zero pivots stay zero", () => {
    const n = 3 * TRI_BLOCK + 17;
    const M = n + 40;
    const X = new Float64Array(n * M);
    new Rng(5).fillNormal(X);
    X.fill(0, 70 * M, 71 * M); // variable 70 degenerate: a zero pivot
    const cov = (a: number, b: number) => {
      let s = 0;
      for (let i = 0; i < M; i++) s += X[a * M + i] * X[b * M + i];
      return s / M;
    };
    const arena = new WasmArena(GrowingCholesky.doubles(n) + arenaDoubles(n));
    const L = new GrowingCholesky(n, arena);
    for (let a = 0; a < n; a++) L.addRow(Array.from({ length: a + 1 }, (_, b) => cov(a, b)));
    expect(L.zeroPivots).toBe(1);
    let worst = 0;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let l = 0; l <= b; l++) s += L.L[a * n + l] * L.L[b * n + l];
        worst = Math.max(worst, Math.abs(s - cov(a, b)));
      }
    }
    expect(worst).toBeLessThan(1e-12);
    // L^T x = b against plain back substitution.
    const b = Array.from({ length: n }, (_, j) => Math.sin(j));
    const x = arena.f64(n);
    x.set(b);
    L.solveTransposed(x);
    const ref = b.slice();
    for (let j = n - 1; j >= 0; j--) {
      const pj = L.L[j * n + j];
      ref[j] = pj > 0 ? ref[j] / pj : 0;
      for (let i = 0; i < j; i++) ref[i] -= L.L[j * n + i] * ref[j];
    }
    expect(x[70]).toBe(0);
    for (let j = 0; j < n; j++) expect(Math.abs(x[j] - ref[j])).toBeLessThan(1e-9 * (1 + Math.abs(ref[j])));
  });
});

describe("progress", () => {
  it("remaining time: the estimate until the first unit finishes, then the rate of the work done", () => {
    expect(remainingSeconds(10, 0, 8, 50)).toBe(40);
    expect(remainingSeconds(80, 0, 8, 50)).toBe(0);
    expect(remainingSeconds(10, 0, 8)).toBeUndefined();
    expect(remainingSeconds(30, 2, 8, 50)).toBe(90);
    expect(remainingSeconds(30, 8, 8, 50)).toBe(0);
    // With the share of the work done (Stein's half groups cost half a group): 2 of 16 tasks but 1/6 of it.
    expect(remainingSeconds(30, 2, 16, 50, 1 / 6)).toBeCloseTo(150, 10);
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
