// The simulator for vector predictions (k > 1): GD, SGF and SGD against a plain dense reference of the
// same steps on the same draws, the SGF noise covariance across units (one Brownian motion per sample),
// determinism, result layout (matrix observables, C_theta blocks) and the memory / blow-up guards.
import { describe, expect, it } from "vitest";
import { type SimulateOptions, simulate } from "../src/simulate/index.js";
import { sgfDataStep } from "../src/simulate/linalg.js";
import { drawProblem, type SeedTask } from "../src/simulate/seed.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Derived, Result } from "../src/types.js";
import { RunError, UsageError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";
import { handCommittee } from "./fixtures/hand-vector.js";

interface RefCase {
  d: number;
  dynamics: "sgf" | "gd" | "sgd";
  dt: number;
  batch: number;
  /** Steps at which train loss, Q and M are recorded (the last one is the total). */
  steps: number[];
  seed: number;
}

/**
 * The documented draws (Rng streams (seed, 0, 0): X row by row with std 1/sqrt(d), theta* unit by unit, one
 * eps per sample; (seed, 0, 1): theta^0 unit by unit; (seed, 0, 2): the noise) and the plain Euler / SGD
 * updates written with dense loops, theta[a][j] = unit a, coordinate j.
 */
function reference(der: Derived, c: RefCase) {
  const { model, vec } = der;
  const { k, kTeacher: kT } = model;
  const { d } = c;
  const { delta, tau, lambda } = model.parameters;
  const n = Math.round(delta * d);
  const data = new Rng(c.seed, 0, 0);
  const Xf = new Float64Array(n * d);
  data.fillNormal(Xf, 1 / Math.sqrt(d));
  const X = Array.from({ length: n }, (_, i) => Array.from(Xf.subarray(i * d, (i + 1) * d)));
  const starF = new Float64Array(kT * d);
  data.fillNormal(starF, Math.sqrt(model.teacherVariance));
  const star = Array.from({ length: kT }, (_, a) => Array.from(starF.subarray(a * d, (a + 1) * d)));
  const dotv = (u: number[], v: number[]) => u.reduce((s, x, j) => s + x * v[j], 0);
  const y = X.map((x) => vec.label(Float64Array.from(star.map((w) => dotv(x, w))), 0, data.normal()));
  const thF = new Float64Array(k * d);
  new Rng(c.seed, 0, 1).fillNormal(thF, model.initStd);
  let theta = Array.from({ length: k }, (_, a) => Array.from(thF.subarray(a * d, (a + 1) * d)));
  const noise = new Rng(c.seed, 0, 2);
  const fields = (i: number) => Float64Array.from(theta.map((t) => dotv(X[i], t)));
  const grad = (i: number) => {
    const l = new Float64Array(k);
    vec.grad(fields(i), 0, y[i], l, 0);
    return l;
  };
  const out: { train: number[]; Q: number[][]; M: number[][] } = { train: [], Q: [], M: [] };
  const record = () => {
    out.train.push(y.reduce((s, yi, i) => s + vec.loss(fields(i), 0, yi), 0) / n);
    out.Q.push(theta.flatMap((u) => theta.map((v) => dotv(u, v) / d)));
    out.M.push(theta.flatMap((u) => star.map((v) => dotv(u, v) / d)));
  };
  const N = c.steps[c.steps.length - 1];
  const xi = new Float64Array(n);
  for (let s = 0; s <= N; s++) {
    if (c.steps.includes(s)) record();
    if (s === N) break;
    const next = theta.map((t) => t.map((v) => v));
    if (c.dynamics === "sgd") {
      const eta = tau * c.batch;
      const picks = Array.from({ length: c.batch }, () => noise.int(n)).map((i) => ({ i, l: grad(i) }));
      for (let a = 0; a < k; a++)
        for (let j = 0; j < d; j++) {
          let g = 0;
          for (const p of picks) g += X[p.i][j] * p.l[a];
          next[a][j] -= (eta / d) * lambda * theta[a][j] + (eta / c.batch) * g;
        }
    } else {
      const tauEff = c.dynamics === "gd" ? 0 : tau;
      if (tauEff > 0) noise.fillNormal(xi);
      const L = X.map((_, i) => grad(i));
      const amp = Math.sqrt((tauEff * c.dt) / delta);
      for (let a = 0; a < k; a++)
        for (let j = 0; j < d; j++) {
          let dr = 0;
          let nz = 0;
          for (let i = 0; i < n; i++) {
            dr += X[i][j] * L[i][a];
            nz += X[i][j] * L[i][a] * xi[i];
          }
          next[a][j] += -c.dt * lambda * theta[a][j] - (c.dt / delta) * dr + amp * nz;
        }
    }
    theta = next;
  }
  return out;
}

/** Simulates one seed in-process and checks train loss, every Q and M entry against the reference. */
async function checkAgainstReference(der: Derived, opts: SimulateOptions, batch: number) {
  const res = await simulate(der, { ...opts, seeds: 1, threads: 1 });
  const dt = res.meta.dt as number;
  const steps = res.t.map((t) => Math.round(t / dt));
  const ref = reference(der, {
    d: opts.d,
    dynamics: opts.dynamics as "sgf" | "gd" | "sgd",
    dt,
    batch,
    steps,
    seed: opts.seed,
  });
  const { k, kTeacher: kT } = der.model;
  const close = (a: number, b: number, what: string) =>
    expect(Math.abs(a - b), `${opts.dynamics} ${what}: ${a} vs ${b}`).toBeLessThan(1e-11 * (1 + Math.abs(b)));
  res.t.forEach((t, s) => {
    close(res.observables.train_loss![s], ref.train[s], `train_loss t=${t}`);
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) close(res.observables[`Q_${a + 1}_${b + 1}`]![s], ref.Q[s][a * k + b], "Q");
      for (let c = 0; c < kT; c++)
        close(res.observables[`M_${a + 1}_${c + 1}`]![s], ref.M[s][a * kT + c], "M");
    }
  });
  return res;
}

describe("the hand-written committee fixture", () => {
  it("has grad and Hessian equal to central differences of its loss, and to the shipped model's", () => {
    const hand = handCommittee().vec;
    const shipped = loadDerived("models/committee-erf.yaml", { sigma: 0.1 }).vec;
    const rng = new Rng(2, 7);
    const [g, H, gs, Hs, gp, gm] = [2, 4, 2, 4, 2, 2].map((n) => new Float64Array(n));
    for (let rep = 0; rep < 20; rep++) {
      const r = Float64Array.from([rng.normal() * 1.5, rng.normal() * 1.5]);
      const y = rng.normal();
      hand.grad(r, 0, y, g, 0);
      hand.hess(r, 0, y, H, 0);
      shipped.grad(r, 0, y, gs, 0);
      shipped.hess(r, 0, y, Hs, 0);
      expect(Math.abs(hand.loss(r, 0, y) - shipped.loss(r, 0, y))).toBeLessThan(1e-14);
      expect(Math.abs(hand.predict(r, 0) - shipped.predict(r, 0))).toBeLessThan(1e-14);
      const w = Float64Array.from([r[1], r[0]]);
      expect(Math.abs(hand.label(w, 0, y) - shipped.label(w, 0, y))).toBeLessThan(1e-14);
      const h = 1e-5;
      for (let a = 0; a < 2; a++) {
        const rp = Float64Array.from(r);
        const rm = Float64Array.from(r);
        rp[a] += h;
        rm[a] -= h;
        const fd = (hand.loss(rp, 0, y) - hand.loss(rm, 0, y)) / (2 * h);
        expect(Math.abs(g[a] - fd)).toBeLessThan(1e-8);
        expect(Math.abs(g[a] - gs[a])).toBeLessThan(1e-14);
        hand.grad(rp, 0, y, gp, 0);
        hand.grad(rm, 0, y, gm, 0);
        for (let b = 0; b < 2; b++) {
          expect(Math.abs(H[b * 2 + a] - (gp[b] - gm[b]) / (2 * h))).toBeLessThan(1e-8);
          expect(Math.abs(H[b * 2 + a] - Hs[b * 2 + a])).toBeLessThan(1e-14);
        }
      }
    }
  });
});

describe("k > 1 dynamics vs a dense reference of the same steps (d = 50)", () => {
  const committee = handCommittee();
  it("gradient flow, SGF and minibatch SGD agree with the reference to 1e-11 (K = K* = 2)", async () => {
    const base = { d: 50, seed: 31, seeds: 1 };
    await checkAgainstReference(committee, { ...base, dynamics: "gd", dt: 0.2, T: 4, record: 2 }, 1);
    const sgf = await checkAgainstReference(
      committee,
      { ...base, dynamics: "sgf", dt: 0.1, T: 2, record: 1 },
      1,
    );
    // The run moved: the train loss fell by more than 20%.
    expect(sgf.observables.train_loss![2]).toBeLessThan(0.8 * sgf.observables.train_loss![0]);
    await checkAgainstReference(committee, { ...base, dynamics: "sgd", T: 1, record: 0.5, batch: 4 }, 4);
  });

  it("k = 3 students with k* = 1 teacher (M is 3 x 1), and k = 1 with k* = 2", async () => {
    const der = handCommittee({ k: 3, kTeacher: 1, initStd: 0.3 });
    const res = await checkAgainstReference(
      der,
      { d: 40, seed: 5, seeds: 1, dynamics: "sgf", dt: 0.1, T: 1, record: 1 },
      1,
    );
    expect(Object.keys(res.observables)).toEqual([
      "train_loss",
      "test_loss",
      ...["Q_1_1", "Q_1_2", "Q_1_3", "Q_2_2", "Q_2_3", "Q_3_3"],
      ...["M_1_1", "M_2_1", "M_3_1"],
    ]);
    const one = handCommittee({ k: 1, kTeacher: 2, initStd: 0.3 });
    const r1 = await checkAgainstReference(
      one,
      { d: 40, seed: 6, seeds: 1, dynamics: "gd", dt: 0.2, T: 2, record: 2 },
      1,
    );
    expect(Object.keys(r1.observables)).toEqual(["train_loss", "test_loss", "Q_1_1", "M_1_1", "M_1_2"]);
    expect(Number.isFinite(r1.observables.test_loss![1])).toBe(true);
  });
});

describe("SGF noise with k = 2", () => {
  it("increment covariance across units is tau dt/delta sum_i |x_i|^2 l_i l_i^T / d (one BM per sample), 4 SE", () => {
    const der = handCommittee({ tau: 0.7 });
    const [d, n, dt, tau] = [300, 600, 0.05, 0.7];
    const task: SeedTask = {
      binaryLabels: false,
      k: 2,
      kTeacher: 2,
      d,
      n,
      tau,
      rhoStar: 1,
      initStd: 0,
      dynamics: "sgf",
      dt,
      batch: 1,
      recordSteps: [0, 1],
      seed: 8,
      seedIndex: 0,
      twoTime: false,
    };
    const { kernel, y } = drawProblem(der.vec, task);
    new Rng(8, 0, 9).fillNormal(kernel.theta, 0.8);
    const xi = new Float64Array(n);
    const base = { kernel, y, vec: der.vec, dt, delta: n / d, xi, wantLoss: false };
    sgfDataStep({ ...base, tau: 0 });
    const drift = Float64Array.from(kernel.inc);
    // Exact conditional covariance of the noise part given X and theta.
    const { X, r, nPad, inc } = kernel;
    const expected = [0, 0, 0];
    const ri = new Float64Array(2);
    const li = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      let x2 = 0;
      for (let j = 0; j < d; j++) x2 += X[i * d + j] ** 2;
      ri[0] = r[i];
      ri[1] = r[nPad + i];
      der.vec.grad(ri, 0, y[i], li, 0);
      const c = ((tau * dt) / (n / d)) * (x2 / d);
      expected[0] += c * li[0] * li[0];
      expected[1] += c * li[1] * li[1];
      expected[2] += c * li[0] * li[1];
    }
    const rng = new Rng(8, 0, 10);
    const reps = 40;
    const sums = [0, 0, 0].map(() => ({ s1: 0, s2: 0 }));
    const means = [0, 0];
    for (let rep = 0; rep < reps; rep++) {
      rng.fillNormal(xi);
      sgfDataStep({ ...base, tau });
      for (let j = 0; j < d; j++) {
        const z0 = inc[j] - drift[j];
        const z1 = inc[d + j] - drift[d + j];
        means[0] += z0;
        means[1] += z1;
        [z0 * z0, z1 * z1, z0 * z1].forEach((p, e) => {
          sums[e].s1 += p;
          sums[e].s2 += p * p;
        });
      }
    }
    const N = reps * d;
    sums.forEach(({ s1, s2 }, e) => {
      const v = s1 / N;
      const se = Math.sqrt((s2 / N - v * v) / N);
      expect(Math.abs(v - expected[e]), `entry ${e}: ${v} vs ${expected[e]} (SE ${se})`).toBeLessThan(4 * se);
    });
    // Independent Brownian motions per unit would give a zero cross term: it is far from zero here.
    expect(expected[2]).toBeGreaterThan(0.5 * Math.sqrt(expected[0] * expected[1]));
    means.forEach((m, a) => {
      expect(Math.abs(m / N)).toBeLessThan(4 * Math.sqrt(expected[a] / N));
    });
  });
});

/** JSON of a result without its timings (the only part allowed to differ between identical runs). */
function stable(r: Result): string {
  const { timings: _t, ...meta } = r.meta;
  return JSON.stringify({ ...r, meta });
}

describe("k > 1 determinism, layout and guards", () => {
  const committee = handCommittee();
  const opts: SimulateOptions = {
    d: 60,
    seeds: 3,
    dynamics: "sgf",
    dt: 0.1,
    T: 1,
    record: 0.5,
    seed: 12,
    twoTime: true,
  };

  it("same seed gives identical JSON; C_theta is [N1, N1, k, k] with Q on its diagonal blocks", async () => {
    const a = await simulate(committee, { ...opts, threads: 1 });
    const b = await simulate(committee, { ...opts, threads: 1 });
    expect(stable(b)).toBe(stable(a));
    expect(a.meta.k).toBe(2);
    expect(a.meta.k_teacher).toBe(2);
    const C = a.kernels!.C_theta;
    const N1 = a.t.length;
    expect(C.shape).toEqual([N1, N1, 2, 2]);
    const at = (t: number, s: number, i: number, j: number) => C.data[((t * N1 + s) * 2 + i) * 2 + j];
    for (let t = 0; t < N1; t++) {
      expect(at(t, t, 0, 0)).toBeCloseTo(a.observables.Q_1_1![t], 14);
      expect(at(t, t, 0, 1)).toBeCloseTo(a.observables.Q_1_2![t], 14);
      expect(at(t, t, 1, 0)).toBeCloseTo(a.observables.Q_1_2![t], 14);
      expect(at(t, t, 1, 1)).toBeCloseTo(a.observables.Q_2_2![t], 14);
      for (let s = 0; s < t; s++) expect(at(t, s, 0, 1)).toBe(at(s, t, 1, 0));
    }
    for (const name of Object.keys(a.observables) as (keyof Result["observables"])[])
      expect(a.stderr[name]!.length).toBe(N1);
  });

  it("1 and 2 threads agree on the shipped model (workers rebuild its vector functions); it matches the hand one", async () => {
    const shipped = loadDerived("models/committee-erf.yaml", { tau: 0.5, lambda: 0.01, sigma: 0.1 });
    const one = await simulate(shipped, { ...opts, threads: 1 });
    const two = await simulate(shipped, { ...opts, threads: 2 });
    expect(stable(two)).toBe(stable(one));
    const hand = await simulate(committee, { ...opts, threads: 1 });
    for (const name of Object.keys(hand.observables) as (keyof Result["observables"])[]) {
      hand.observables[name]!.forEach((v, t) => {
        expect(Math.abs(v - one.observables[name]![t]), `${name} t=${hand.t[t]}`).toBeLessThan(1e-12);
      });
    }
    // At t = 0 theta is independent of the data: the train loss estimates the test loss.
    const se = Math.hypot(one.stderr.train_loss![0], one.stderr.test_loss![0]);
    expect(Math.abs(one.observables.train_loss![0] - one.observables.test_loss![0])).toBeLessThan(4 * se);
  });

  it("refuses memory that only the k x k blocks exceed, and names tr Q on blow-up", async () => {
    const big = { ...opts, d: 50, seeds: 8, dt: 0.001, T: 20, record: 0.001, threads: 1 };
    await expect(simulate(committee, big)).rejects.toThrow(UsageError);
    await expect(simulate(committee, big)).rejects.toThrow(/theta 50 x 2/);
    const stiff = handCommittee({ lambda: 1 });
    const run = {
      ...opts,
      twoTime: false,
      dynamics: "gd" as const,
      dt: 3,
      T: 3000,
      record: 3000,
      threads: 1,
    };
    const err = await simulate(stiff, run).catch((e) => e);
    expect(err).toBeInstanceOf(RunError);
    expect(String(err.message)).toMatch(/blow-up at step \d+ \(t = .*\).*tr Q = /);
  });
});
