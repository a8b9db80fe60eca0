import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/index.js";
import { type SimulateOptions, simulate } from "../src/simulate/index.js";
import { createJsKernel, sgfDataStep } from "../src/simulate/linalg.js";
import { drawProblem, type SeedTask } from "../src/simulate/seed.js";
import { createSimdKernel } from "../src/simulate/wasm.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result, SimulateMeta } from "../src/types.js";
import { RunError, UsageError } from "../src/util/errors.js";
import { recordSteps } from "../src/util/record.js";
import { Rng } from "../src/util/rng.js";
import { handDerived } from "./fixtures/hand-models.js";

const linear = loadDerived("models/linear-regression.yaml");
const logistic = loadDerived("models/logistic-regression.yaml");

function seedTask(over: Partial<SeedTask>): SeedTask {
  return {
    binaryLabels: false,
    k: 1,
    kTeacher: 1,
    d: 200,
    n: 400,
    tau: 0.5,
    rhoStar: 1,
    initStd: 0,
    dynamics: "gd",
    dt: 0.05,
    batch: 1,
    recordSteps: [0, 1],
    seed: 1,
    seedIndex: 0,
    twoTime: false,
    ...over,
  };
}

/** JSON of a result without its timings (the only part allowed to differ between identical runs). */
function stable(r: Result): string {
  const { timings: _t, ...meta } = r.meta;
  return JSON.stringify({ ...r, meta });
}

describe("gradient descent on ridge regression vs the closed form on the same X", () => {
  it("train loss, q and m match the eigendecomposition (discrete Euler filter) to 1e-10", async () => {
    const d = 200;
    const dt = 0.1;
    const T = 4;
    const lambda = linear.model.parameters.lambda;
    const opts: SimulateOptions = { d, seeds: 1, dynamics: "gd", dt, T, record: 0.5, seed: 3, threads: 1 };
    const res = await simulate(linear, opts);
    const n = 2 * d;
    const task = seedTask({ d, n, seed: 3 });
    const { kernel, thetaStar, y } = drawProblem(linear.vec, task);
    const X = kernel.X;
    const Xm = new Matrix(n, d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) Xm.set(i, j, X[i * d + j]);
    const delta = n / d;
    const A = Xm.transpose().mmul(Xm).div(delta);
    const b = Xm.transpose()
      .mmul(Matrix.columnVector(Array.from(y)))
      .div(delta);
    const evd = new EigenvalueDecomposition(A, { assumeSymmetric: true });
    const V = evd.eigenvectorMatrix;
    const mu = evd.realEigenvalues.map((a) => a + lambda);
    const Vb = V.transpose().mmul(b);
    res.t.forEach((t, k) => {
      const steps = Math.round(t / dt);
      const coef = Matrix.columnVector(mu.map((m, i) => ((1 - (1 - dt * m) ** steps) / m) * Vb.get(i, 0)));
      const theta = V.mmul(coef).to1DArray();
      const r = Xm.mmul(Matrix.columnVector(theta)).to1DArray();
      const train = r.reduce((s, ri, i) => s + 0.5 * (ri - y[i]) ** 2, 0) / n;
      const q = theta.reduce((s, v) => s + v * v, 0) / d;
      const m = theta.reduce((s, v, j) => s + v * thetaStar[j], 0) / d;
      expect(Math.abs(res.observables.train_loss![k] - train)).toBeLessThan(1e-10);
      expect(Math.abs(res.observables.q![k] - q)).toBeLessThan(1e-10);
      expect(Math.abs(res.observables.m![k] - m)).toBeLessThan(1e-10);
      // Test loss of the square loss in closed form from (q, m).
      const tl = (q - 2 * m + 1 + 0.09) / 2;
      expect(Math.abs(res.observables.test_loss![k] - tl)).toBeLessThan(1e-10);
    });
  });
});

describe("dense kernels", () => {
  it("the WebAssembly SIMD kernels match the plain-JS kernel (odd sizes, row blocks, k = 1 and 3 columns)", () => {
    for (const [n, d, k] of [
      [1, 1, 1],
      [7, 9, 1],
      [13, 203, 1],
      [64, 33, 1],
      [13, 203, 3],
      [64, 33, 2],
    ]) {
      const w = createSimdKernel(n, d, k)!;
      const j = createJsKernel(n, d, k);
      const rng = new Rng(4, n, d);
      for (let i = 0; i < n * d; i++) w.X[i] = j.X[i] = rng.normal();
      for (let c = 0; c < k * d; c++) w.theta[c] = j.theta[c] = rng.normal();
      for (let a = 0; a < k; a++)
        for (let i = 0; i < n; i++) w.v[a * w.nPad + i] = j.v[a * w.nPad + i] = rng.normal();
      for (const kn of [w, j]) {
        kn.inc.fill(0);
        for (let i0 = 0; i0 < kn.nPad; i0 += 4) {
          kn.dots(i0, 4);
          kn.axpy(i0, 4);
        }
      }
      for (let a = 0; a < k; a++) {
        for (let i = 0; i < n; i++) {
          const o = a * w.nPad + i;
          expect(Math.abs(w.r[o] - j.r[o])).toBeLessThan(1e-12 * Math.sqrt(d));
        }
      }
      for (let c = 0; c < k * d; c++)
        expect(Math.abs(w.inc[c] - j.inc[c])).toBeLessThan(1e-12 * Math.sqrt(n));
    }
  });
});

describe("SGF noise", () => {
  it("has per-coordinate increment variance tau dt mean(l^2) and mean 0 (4 SE)", () => {
    const d = 400;
    const n = 800;
    const task = seedTask({ d, n, seed: 5 });
    const { kernel, y } = drawProblem(logistic.vec, task);
    new Rng(5, 0, 9).fillNormal(kernel.theta, 0.8);
    const [dt, tau, delta] = [0.05, 0.7, n / d];
    const xi = new Float64Array(n);
    const base = { kernel, y, vec: logistic.vec, dt, delta, xi, wantLoss: false };
    sgfDataStep({ ...base, tau: 0 });
    const drift = Float64Array.from(kernel.inc);
    const inc = kernel.inc;
    const rng = new Rng(5, 0, 10);
    const reps = 50;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    let l2 = 0;
    for (let rep = 0; rep < reps; rep++) {
      rng.fillNormal(xi);
      const { l2Sum } = sgfDataStep({ ...base, tau });
      l2 = l2Sum / n;
      for (let j = 0; j < d; j++) {
        const z = inc[j] - drift[j];
        s1 += z;
        s2 += z * z;
        s4 += z ** 4;
      }
    }
    const N = reps * d;
    const v = s2 / N;
    const seV = Math.sqrt((s4 / N - v * v) / N);
    const expected = tau * dt * l2;
    expect(Math.abs(v - expected)).toBeLessThan(4 * seV + 4 * Math.sqrt(2 / (n * d)) * expected);
    expect(Math.abs(s1 / N)).toBeLessThan(4 * Math.sqrt(v / N));
  });
});

describe("minibatch SGD", () => {
  it("B = 1 and B = 8 at equal tau give the same curves within 4 SE (linear and logistic)", async () => {
    for (const derived of [linear, logistic]) {
      const base = { d: 200, seeds: 8, dynamics: "sgd" as const, T: 2, record: 0.2, seed: 7, threads: 1 };
      const r1 = await simulate(derived, { ...base, batch: 1 });
      const r8 = await simulate(derived, { ...base, batch: 8 });
      expect(r1.t).toEqual(r8.t);
      for (const name of Object.keys(r1.observables) as (keyof Result["observables"])[]) {
        const a = r1.observables[name]!;
        const b = r8.observables[name]!;
        for (let k = 1; k < a.length; k++) {
          const se = Math.hypot(r1.stderr[name]![k], r8.stderr[name]![k]);
          expect(Math.abs(a[k] - b[k]), `${derived.model.name} ${name} t=${r1.t[k]}`).toBeLessThan(4 * se);
        }
      }
    }
  });
});

describe("determinism and bookkeeping", () => {
  it("same seed gives identical JSON; 1 and 2 threads agree; hand-built model agrees with the loaded one", async () => {
    const opts: SimulateOptions = {
      d: 100,
      seeds: 3,
      dynamics: "sgf",
      dt: 0.1,
      T: 1,
      seed: 11,
      twoTime: true,
    };
    const a = await simulate(logistic, { ...opts, threads: 1 });
    const b = await simulate(logistic, { ...opts, threads: 1 });
    const c = await simulate(logistic, { ...opts, threads: 2 });
    expect(stable(b)).toBe(stable(a));
    expect(stable(c)).toBe(stable(a));
    expect(a.t.length).toBe(11);
    expect(a.observables.test_error!.length).toBe(11);
    const C = a.kernels!.C_theta;
    expect(C.shape).toEqual([11, 11]);
    for (let k = 0; k < 11; k++)
      expect(Math.abs(C.data[k * 11 + k] - a.observables.q![k])).toBeLessThan(1e-14);
    const hand = handDerived("logistic", { tau: 1 });
    const h = await simulate(hand, { ...opts, threads: 1 });
    for (const name of ["train_loss", "q", "m", "test_loss", "test_error"] as const) {
      h.observables[name]!.forEach((v, k) => {
        expect(Math.abs(v - a.observables[name]![k])).toBeLessThan(1e-12);
      });
    }
  });

  it("k = 1 results are bit-identical to the simulator before the k >= 1 rewrite (sha256 of the JSON)", async () => {
    // Hashes recorded with the scalar-only simulator (commit 04d85dc) on hand-built models (same with 2 threads).
    const cases = [
      [
        "daff62e0f7a073af",
        handDerived("logistic", { tau: 1, initStd: 0.2 }),
        { d: 90, dynamics: "sgf", dt: 0.1, T: 1, seed: 21, twoTime: true },
      ],
      [
        "092653957356ef7e",
        handDerived("linear", { initStd: 0.3 }),
        { d: 70, dynamics: "gd", dt: 0.05, T: 1, record: 0.25, seed: 22 },
      ],
      [
        "305a115f176bb0c1",
        handDerived("logistic", { tau: 0.5 }),
        { d: 60, dynamics: "sgd", batch: 3, T: 1, record: 0.2, seed: 23, twoTime: true },
      ],
    ] as const;
    for (const [hash, derived, o] of cases) {
      const { t, observables, stderr, kernels } = await simulate(derived, { ...o, seeds: 2, threads: 1 });
      const json = JSON.stringify({ t, observables, stderr, kernels });
      expect(createHash("sha256").update(json).digest("hex").slice(0, 16), o.dynamics).toBe(hash);
    }
  });

  it("CLI: writes the Result JSON (exit 0); bad sizes exit 2", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "dmftkit-sim-")), "sim.json");
    const args = ["simulate", "models/logistic-regression.yaml", "--d", "60", "--seeds", "2", "--T", "0.4"];
    expect(await main([...args, "--threads", "1", "--quiet", "--out", out])).toBe(0);
    const r = JSON.parse(readFileSync(out, "utf8")) as Result<SimulateMeta>;
    expect(r.t.length).toBe(5);
    expect(r.meta.d).toBe(60);
    expect(r.observables.test_error!.length).toBe(5);
    expect(await main([...args, "--d", "0", "--quiet"])).toBe(2);
    expect(await main([...args, "--dynamics", "adam", "--quiet"])).toBe(2);
  });

  it("recordEvery (K or log points of the dt grid) records the same states as the interval grid", async () => {
    const base: SimulateOptions = { d: 60, seeds: 2, dynamics: "gd", dt: 0.1, T: 2, seed: 9, threads: 1 };
    const strip = (r: Result) => JSON.stringify({ t: r.t, o: r.observables, s: r.stderr });
    const interval = await simulate(linear, { ...base, record: 0.5 });
    expect(strip(await simulate(linear, { ...base, recordEvery: 5 }))).toBe(strip(interval));
    const log = await simulate(linear, { ...base, recordEvery: "log" });
    const steps = recordSteps(20, "log");
    expect(log.t).toEqual(steps.map((k) => k * 0.1));
    const full = await simulate(linear, base);
    expect(log.observables.q).toEqual(steps.map((k) => full.observables.q![k]));
    const sgd = { ...base, dynamics: "sgd" as const, dt: undefined, T: 1 };
    const sgdInterval = await simulate(linear, { ...sgd, record: 0.2 });
    expect(strip(await simulate(linear, { ...sgd, recordEvery: 2 }))).toBe(strip(sgdInterval));
    await expect(simulate(linear, { ...base, record: 0.5, recordEvery: 5 })).rejects.toThrow(/not both/);
    await expect(simulate(linear, { ...base, recordEvery: 1.5 })).rejects.toThrow(UsageError);
  });

  it("refuses bad sizes and options before allocating, and reports blow-ups", async () => {
    const base: SimulateOptions = { d: 100, seeds: 2, dynamics: "sgf", seed: 1, threads: 1 };
    for (const d of [0, -3, 1.5, Number.NaN])
      await expect(simulate(linear, { ...base, d })).rejects.toThrow(UsageError);
    await expect(simulate(linear, { ...base, d: 2e6 })).rejects.toThrow(/limit 2\^32/);
    await expect(simulate(linear, { ...base, d: 40_000 })).rejects.toThrow(/GiB/);
    await expect(simulate(linear, { ...base, seeds: 0 })).rejects.toThrow(UsageError);
    await expect(simulate(linear, { ...base, record: 0.15 })).rejects.toThrow(/multiple of dt/);
    await expect(simulate(linear, { ...base, batch: 4 })).rejects.toThrow(/sgd only/);
    const still = loadDerived("models/linear-regression.yaml", { tau: 0 });
    await expect(simulate(still, { ...base, dynamics: "sgd" })).rejects.toThrow(/tau > 0/);
    const err = await simulate(linear, { ...base, dynamics: "gd", dt: 3, T: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(RunError);
    expect(String(err.message)).toMatch(/blow-up at step \d+ \(t = .*\).*q = /);
  });
});
