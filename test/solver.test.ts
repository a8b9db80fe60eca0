// Fast tests of the Monte-Carlo DMFT solver: responses three ways, exactness where the scheme is
// deterministic, sgd-limit = sgf for linear models, determinism and thread independence, blow-up and
// memory refusal, extrapolation and kernels output.
import { describe, expect, it } from "vitest";
import { GaussianColumns, orthoBlock } from "../src/solvers/mc/columns.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { GrowingCholesky } from "../src/solvers/mc/linalg.js";
import { paramResponseRow } from "../src/solvers/mc/responses.js";
import type { CompiledFns, Result } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";
import { recordSteps } from "../src/util/record.js";
import { Rng } from "../src/util/rng.js";
import { handDerived } from "./fixtures/hand-models.js";

const kernel = (res: Result, name: string) => res.kernels![name];

interface Kernels {
  N1: number;
  C: number[];
  m: number[];
  R: number[];
}

/**
 * An independent prediction side on given kernels (full Cholesky, forward tangents stored per sample):
 * returns per-batch tangent responses rho[k,s], Stein moments E[w_j l_k] (j = * first, then 0..k) and
 * l_k for one kicked w_s (common random numbers across calls).
 */
function predictionSide(
  fns: CompiledFns,
  K: Kernels,
  o: { M: number; batches: number; D: number; delta: number; tau: number; seed: number },
  kick: { s: number; e: number } | null,
) {
  const { N1 } = K;
  const L = new GrowingCholesky(N1 + 1);
  L.addRow([1]);
  for (let k = 0; k < N1; k++) L.addRow([K.m[k], ...K.C.slice(k * N1, k * N1 + k + 1)]);
  const cap = N1 + 1;
  const rng = new Rng(o.seed, 99);
  const per = o.M / o.batches;
  const rhoT = Array.from({ length: o.batches }, () => new Float64Array(N1 * N1));
  const stein = Array.from({ length: o.batches }, () => new Float64Array(N1 * (N1 + 1)));
  const lMean = new Float64Array(N1);
  const z = new Float64Array(cap);
  const w = new Float64Array(cap);
  const l = new Float64Array(N1);
  const c = new Float64Array(N1);
  const a = new Float64Array(N1);
  const J = new Float64Array(N1 * N1);
  for (let i = 0; i < o.M; i++) {
    const b = Math.floor(i / per);
    for (let j = 0; j < cap; j++) z[j] = rng.normal();
    for (let j = 0; j < cap; j++) {
      let v = 0;
      for (let q = 0; q <= j; q++) v += L.L[j * cap + q] * z[q];
      w[j] = v;
    }
    const y = fns.label(w[0], rng.normal());
    J.fill(0);
    for (let k = 0; k < N1; k++) {
      let r = w[k + 1] + (kick && kick.s === k ? kick.e : 0);
      for (let s = 0; s < k; s++) r += K.R[k * N1 + s] * a[s];
      l[k] = fns.l(r, y);
      const dl = fns.dl(r, y);
      const dxi = -o.D / o.delta + Math.sqrt((o.tau * o.D) / o.delta) * rng.normal();
      J[k * N1 + k] = 1;
      for (let s = 0; s < k; s++) {
        let v = 0;
        for (let q = s; q < k; q++) v += K.R[k * N1 + q] * c[q] * J[q * N1 + s];
        J[k * N1 + s] = v;
      }
      for (let s = 0; s <= k; s++) rhoT[b][k * N1 + s] += (dl * J[k * N1 + s]) / per;
      for (let j = 0; j <= k + 1; j++) stein[b][k * (N1 + 1) + j] += (w[j] * l[k]) / per;
      a[k] = l[k] * dxi;
      c[k] = dl * dxi;
      lMean[k] += l[k] / o.M;
    }
  }
  return { rhoT, stein, lMean };
}

function batchStats(rows: number[][]): { mean: number[]; se: number[] } {
  const B = rows.length;
  return {
    mean: rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / B),
    se: rows[0].map((_, j) => {
      const mu = rows.reduce((s, r) => s + r[j], 0) / B;
      return Math.sqrt(rows.reduce((s, r) => s + (r[j] - mu) ** 2, 0) / (B - 1) / B);
    }),
  };
}

describe("responses rho[k,s] three ways (logistic SGF, init_std 0.3, N = 6)", () => {
  it("tangent = finite-difference kick (common random numbers) and = Stein's identity within 4 SE", async () => {
    const derived = handDerived("logistic", { tau: 1, initStd: 0.3 });
    const D = 0.1;
    const res = await solveMc(derived, {
      dynamics: "sgf",
      dt: D,
      T: 0.6,
      samples: 16000,
      seed: 3,
      kernels: true,
      threads: 1,
    });
    const N1 = 7;
    const K: Kernels = {
      N1,
      C: kernel(res, "C_theta").data,
      m: res.observables.m!,
      R: kernel(res, "R_theta").data,
    };
    const o = { M: 40000, batches: 8, D, delta: 2, tau: 1, seed: 5 };
    const base = predictionSide(derived.fns, K, o, null);
    const tangent = batchStats(base.rhoT.map((r) => Array.from(r)));
    // Finite-difference kick of w_s, central, with the same random numbers: equals the tangent closely.
    for (const s of [0, 2, 5]) {
      const e = 1e-4;
      const up = predictionSide(derived.fns, K, o, { s, e });
      const dn = predictionSide(derived.fns, K, o, { s, e: -e });
      for (let k = s; k < N1; k++) {
        const fd = (up.lMean[k] - dn.lMean[k]) / (2 * e);
        expect(Math.abs(fd - tangent.mean[k * N1 + s])).toBeLessThan(1e-6 + 1e-5 * Math.abs(fd));
      }
    }
    // The solver's own rho (its own populations) agrees with the independent tangent estimate.
    const rhoSolver = kernel(res, "rho");
    for (let k = 0; k < N1; k++) {
      for (let s = 0; s <= k; s++) {
        const j = k * N1 + s;
        const tol = 4 * Math.hypot(rhoSolver.stderr![j], tangent.se[j]);
        expect(Math.abs(rhoSolver.data[j] - tangent.mean[j])).toBeLessThan(tol);
      }
    }
    // Stein's identity E[w_j l_k] = sum_s C[j,s] rho[k,s] + m_j Gamma_k (j = 0..k) with Gamma_k from the
    // j = * equation: the residual, per batch of a large independent population, must vanish within 4 SE.
    const big = predictionSide(derived.fns, K, { ...o, M: 400000, batches: 10, seed: 6 }, null);
    for (const k of [3, 6]) {
      const residuals = big.stein.map((mom, b) => {
        const rho = big.rhoT[b];
        let gam = mom[k * (N1 + 1)];
        for (let s = 0; s <= k; s++) gam -= K.m[s] * rho[k * N1 + s];
        const out: number[] = [];
        for (let j = 0; j <= k; j++) {
          let rhs = K.m[j] * gam;
          for (let s = 0; s <= k; s++) rhs += K.C[j * N1 + s] * rho[k * N1 + s];
          out.push(mom[k * (N1 + 1) + j + 1] - rhs);
        }
        return out;
      });
      const st = batchStats(residuals);
      for (let j = 0; j <= k; j++) {
        let memory = 0; // the part of the right-hand side carried by the off-diagonal responses
        for (let s = 0; s < k; s++) memory += (K.C[j * N1 + s] - K.m[j] * K.m[s]) * tangent.mean[k * N1 + s];
        expect(Math.abs(st.mean[j])).toBeLessThan(4 * st.se[j]);
        if (k === 6) expect(Math.abs(memory)).toBeGreaterThan(4 * st.se[j]); // the check has power
      }
    }
  });
});

describe("paramResponseRow (non-quadratic penalty)", () => {
  it("equals brute-force forward tangents d theta_{k+1} / d nu_s averaged over samples", () => {
    const M = 5;
    const k = 6;
    const N1 = 8;
    const D = 0.1;
    const rng = new Rng(4, 1);
    const Th = Float64Array.from({ length: M * N1 }, () => rng.normal());
    const rho = Float64Array.from({ length: N1 * N1 }, () => 0.3 * rng.normal());
    const rhoT = new Float64Array(N1 * N1);
    for (let a = 0; a < N1; a++) for (let j = 0; j < N1; j++) rhoT[j * N1 + a] = rho[a * N1 + j];
    const dh = (t: number) => 0.5 + Math.tanh(t) ** 2;
    const out = new Float64Array(N1);
    paramResponseRow({ k, M, N1, D, Th, dh, rhoT, Q: new Float64Array(N1 + 1), out });
    for (let s = 0; s <= k; s++) {
      let mean = 0;
      for (let i = 0; i < M; i++) {
        // T[a] = d theta_a / d nu_s, forward from theta_{s+1}.
        const T = new Float64Array(k + 2);
        for (let a = s; a <= k; a++) {
          let mem = 0;
          for (let b = 0; b <= a; b++) mem += rho[a * N1 + b] * T[b];
          T[a + 1] = T[a] - D * (dh(Th[a * M + i]) * T[a] + mem) + (a === s ? 1 : 0);
        }
        mean += T[k + 1];
      }
      expect(out[s]).toBeCloseTo(mean, 12);
    }
  });
});

describe("GaussianColumns", () => {
  // The columns are stored as floats (columns.ts): each entry z(1 + e) with |e| <= 2^-24, so an empirical
  // moment sum_i z_a z_b / M of unit columns moves by at most 2 x 2^-24 (Cauchy–Schwarz).
  const FLOAT_MOMENTS = 2 ** -23;

  it("keeps the columns orthonormal (Z^T Z = M I to float rounding) with one Gram-Schmidt pass", () => {
    const M = 601; // one block: M > 2 x columns
    const cols = new GaussianColumns(M, 300, new Rng(1, 2), true);
    for (let j = 1; j < 300; j++) cols.append();
    let worst = 0;
    for (let a = 0; a < 300; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let i = 0; i < M; i++) s += cols.at(i, a) * cols.at(i, b);
        worst = Math.max(worst, Math.abs(s / M - (a === b ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(FLOAT_MOMENTS);
  });

  it("orthonormalises in blocks when the columns outnumber the samples (each against ones and itself)", () => {
    const M = 200;
    const width = 300;
    const block = orthoBlock(M, width);
    expect(block).toBe(136);
    expect(orthoBlock(601, 300)).toBe(300); // M > 2 x columns: one block, as before
    expect(orthoBlock(2500, 2004)).toBe(2004); // M >= columns + 64: one block
    expect(orthoBlock(100, 300)).toBe(49);
    const cols = new GaussianColumns(M, width, new Rng(1, 2), true);
    const dot = columnDot(cols);
    let worst = 0;
    for (let a = 1; a < width; a++) {
      const start = a - (a % block);
      worst = Math.max(worst, Math.abs(dot(a, 0)), Math.abs(dot(a, a) - 1));
      for (let b = Math.max(1, start); b < a; b++) worst = Math.max(worst, Math.abs(dot(a, b)));
    }
    expect(worst).toBeLessThan(FLOAT_MOMENTS);
    // Across blocks the columns are independent draws, not orthogonal.
    expect(Math.abs(dot(block, block - 1))).toBeGreaterThan(1e-6);
  });

  it("orthonormalises `separate` columns apart: the others as one block, the separate among themselves", () => {
    const M = 250; // 160 other columns fit one block (M >= 160 + 64), not all 300
    const width = 300;
    const separate = Array.from({ length: 140 }, (_, k) => 3 + 2 * k + 1); // every other column from 4
    const apart = new Set(separate);
    const cols = new GaussianColumns(M, width, new Rng(1, 2), true, undefined, 0, separate);
    const dot = columnDot(cols);
    let worst = 0;
    for (let a = 1; a < width; a++) {
      worst = Math.max(worst, Math.abs(dot(a, 0)), Math.abs(dot(a, a) - 1));
      for (let b = 1; b < a; b++) {
        if (apart.has(a) === apart.has(b)) worst = Math.max(worst, Math.abs(dot(a, b)));
      }
    }
    expect(worst).toBeLessThan(FLOAT_MOMENTS);
    // Between the two sets the columns are independent draws, not orthogonal.
    expect(Math.abs(dot(4, 5))).toBeGreaterThan(1e-6);
  });
});

/** The empirical second moment (1/M) sum_i z_a(i) z_b(i) of two input columns. */
function columnDot(cols: GaussianColumns): (a: number, b: number) => number {
  return (a, b) => {
    let s = 0;
    for (let i = 0; i < cols.M; i++) s += cols.at(i, a) * cols.at(i, b);
    return s / cols.M;
  };
}

describe("solveMc", () => {
  it("is exact for gradient flow on ridge regression: all groups agree to rounding", async () => {
    const derived = handDerived("linear");
    const res = await solveMc(derived, { dynamics: "gd", dt: 0.1, T: 4, samples: 4000, seed: 1, threads: 1 });
    for (const key of ["train_loss", "q", "m", "test_loss"] as const) {
      const v = res.observables[key]!;
      // Only rounding in ill-conditioned Gram matrices (pivots below 1e-6 relative are dropped) differs.
      res.stderr[key]!.forEach((se, k) => {
        expect(se).toBeLessThan(1e-7 * (1 + Math.abs(v[k])));
      });
    }
    expect(res.meta.clampedPivots).toBe(0);
  });

  it("sgd-limit coincides with sgf for a linear model (same noise moments), within 4 SE", async () => {
    const derived = handDerived("linear", { tau: 0.5 });
    const opts = { dt: 0.1, T: 2, samples: 8000, seed: 2, threads: 1 };
    const a = await solveMc(derived, { ...opts, dynamics: "sgf" });
    const b = await solveMc(derived, { ...opts, dynamics: "sgd-limit" });
    for (const key of ["train_loss", "q", "m"] as const) {
      for (let k = 0; k < a.t.length; k++) {
        const tol = 4 * Math.hypot(a.stderr[key]![k], b.stderr[key]![k]) + 1e-12;
        expect(Math.abs(a.observables[key]![k] - b.observables[key]![k])).toBeLessThan(tol);
      }
    }
  });

  it("writes kernels of the right shapes and Richardson-extrapolates on the coarse grid", async () => {
    const derived = handDerived("logistic", { tau: 1 });
    const opts = { dynamics: "sgf" as const, dt: 0.2, T: 1, samples: 2000, seed: 4, threads: 1 };
    const coarse = await solveMc(derived, { ...opts, kernels: true });
    expect(coarse.t).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    expect(kernel(coarse, "C_theta").shape).toEqual([6, 6]);
    expect(kernel(coarse, "rho").data.length).toBe(36);
    expect(kernel(coarse, "Gamma").shape).toEqual([6]);
    expect(coarse.observables.test_error).toHaveLength(6);
    const R = kernel(coarse, "R_theta").data;
    for (let k = 1; k < 6; k++) expect(R[k * 6 + k - 1]).toBe(1); // R_theta[s+1, s] = 1
    const ext = await solveMc(derived, { ...opts, extrapolate: true });
    expect(String(ext.meta.extrapolate)).toMatch(/Richardson/);
    expect(ext.observables.q).toHaveLength(6);
  });

  it("--record writes the recorded steps only, the same values as a full run (kernels on that grid)", async () => {
    const derived = handDerived("logistic", { tau: 1 });
    const opts = {
      dynamics: "sgf" as const,
      dt: 0.1,
      T: 2,
      samples: 2000,
      seed: 4,
      threads: 1,
      kernels: true,
    };
    const full = await solveMc(derived, opts);
    for (const record of [3, "log"] as const) {
      const part = await solveMc(derived, { ...opts, record });
      const steps = recordSteps(20, record);
      expect(part.t).toEqual(steps.map((k) => full.t[k]));
      expect(part.observables.q).toEqual(steps.map((k) => full.observables.q![k]));
      expect(part.stderr.test_error).toEqual(steps.map((k) => full.stderr.test_error![k]));
      const K1 = steps.length;
      expect(kernel(part, "rho").shape).toEqual([K1, K1]);
      const two = steps.flatMap((t) => steps.map((s) => kernel(full, "C_theta").data[t * 21 + s]));
      expect(kernel(part, "C_theta").data).toEqual(two);
      expect(kernel(part, "Gamma").data).toEqual(steps.map((k) => kernel(full, "Gamma").data[k]));
    }
    const ext = await solveMc(derived, { ...opts, kernels: false, extrapolate: true });
    const extPart = await solveMc(derived, { ...opts, kernels: false, extrapolate: true, record: 4 });
    expect(extPart.observables.train_loss).toEqual(
      recordSteps(20, 4).map((k) => ext.observables.train_loss![k]),
    );
    await expect(solveMc(derived, { ...opts, record: 0 })).rejects.toThrow(UsageError);
  });

  it("is deterministic and independent of the thread count", async () => {
    const derived = handDerived("linear", { tau: 0.5 });
    const opts = { dynamics: "sgf" as const, dt: 0.2, T: 2, samples: 3000, groups: 4, kernels: true };
    const strip = (r: Result) => JSON.stringify({ t: r.t, o: r.observables, s: r.stderr, k: r.kernels });
    const one = strip(await solveMc(derived, { ...opts, seed: 7, threads: 1 }));
    const two = strip(await solveMc(derived, { ...opts, seed: 7, threads: 2 }));
    const again = strip(await solveMc(derived, { ...opts, seed: 7, threads: 2 }));
    const other = strip(await solveMc(derived, { ...opts, seed: 8, threads: 2 }));
    expect(two).toBe(one);
    expect(again).toBe(one);
    expect(other).not.toBe(one);
  });

  it("--extrapolate removes most of the O(dt) error (gradient flow, ridge: no Monte-Carlo noise)", async () => {
    const derived = handDerived("linear");
    const opts = { dynamics: "gd" as const, T: 2, samples: 2000, groups: 2, seed: 1, threads: 1 };
    const coarse = await solveMc(derived, { ...opts, dt: 0.2 });
    const ext = await solveMc(derived, { ...opts, dt: 0.2, extrapolate: true });
    const fine = await solveMc(derived, { ...opts, dt: 0.025 });
    for (const key of ["train_loss", "q", "m"] as const) {
      for (let k = 1; k < coarse.t.length; k++) {
        const ref = fine.observables[key]![8 * k];
        const errCoarse = Math.abs(coarse.observables[key]![k] - ref);
        expect(Math.abs(ext.observables[key]![k] - ref)).toBeLessThan(errCoarse / 3);
      }
    }
  });

  it("stops a blow-up with an error naming the step, time and quantity", async () => {
    const derived = handDerived("linear");
    await expect(
      solveMc(derived, { dynamics: "gd", dt: 1.2, T: 60, samples: 600, groups: 2, seed: 1, threads: 1 }),
    ).rejects.toThrow(/blew up at step \d+ \(t = [\d.]+\): q/);
  });

  it("refuses impossible sizes before allocating", async () => {
    const derived = handDerived("linear");
    const big = solveMc(derived, { dynamics: "sgf", T: 4, dt: 0.01, samples: 2e9, seed: 1, threads: 1 });
    await expect(big).rejects.toThrow(UsageError);
    await expect(big).rejects.toThrow(/memory/);
    const few = solveMc(derived, { dynamics: "sgf", samples: 100, groups: 8, seed: 1, threads: 1 });
    await expect(few).rejects.toThrow(/too few/);
  });
});
