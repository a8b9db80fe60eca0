// The Monte-Carlo solver for vector models (k > 1, issue 7): the block tangent kernels against the scalar
// ones (U = 1, and block-diagonal inputs that decouple into scalar problems), and an exact reduction:
// with L = (r1 + r2 - y)^2 / 2 and ridge, phi = theta_1 + theta_2 follows the k = 1 model with loss
// (r - y)^2 and init variance 2 s0^2, whose discrete DMFT is solved exactly (closed equations).
import { describe, expect, it } from "vitest";
import { loadModel } from "../src/model/load.js";
import { solve } from "../src/solvers/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { paramResponseRow, predictionResponseRow } from "../src/solvers/mc/responses.js";
import {
  paramResponseRowBlock,
  paramResponseRowGeneric,
  predictionResponseRowBlock,
  predictionResponseRowGeneric,
} from "../src/solvers/mc/responses-block.js";
import { derive } from "../src/symbolic/index.js";
import type { Derived, Result, VectorFns } from "../src/types.js";
import { Rng } from "../src/util/rng.js";

const random = (n: number, rng: Rng, scale = 1) =>
  Float64Array.from({ length: n }, () => scale * rng.normal());
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>, n: number) => {
  let d = 0;
  for (let i = 0; i < n; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe("block tangent kernels", () => {
  const rng = new Rng(5, 1);
  const [M, N1, k, D] = [7, 9, 6, 0.1];
  it("the generic block kernels with U = 1 equal the scalar kernels", () => {
    const Cc = random(M * N1, rng, 0.3);
    const H = random(M, rng);
    const Rt = random(N1 * N1, rng, 0.5);
    const a = new Float64Array(N1);
    const b = new Float64Array(N1);
    predictionResponseRow({ k, M, N1, Cc, dl: H, Rt, P: new Float64Array(4 * (N1 + 1)), out: a });
    predictionResponseRowGeneric(1, { k, M, N1, Cc, dl: H, Rt, P: new Float64Array(N1 + 3), out: b });
    expect(maxDiff(a, b, k + 1)).toBeLessThan(1e-13);
    const Th = random(M * N1, rng);
    const rhoT = random(N1 * N1, rng, 0.4);
    const dh = (t: number) => 1 + 0.5 * Math.tanh(t);
    paramResponseRow({ k, M, N1, D, Th, dh, rhoT, Q: new Float64Array(N1 + 1), out: a });
    paramResponseRowGeneric(1, { k, M, N1, D, Th, dh, rhoT, Q: new Float64Array(N1 + 3), out: b });
    expect(maxDiff(a, b, k + 1)).toBeLessThan(1e-13);
  });

  it("the unrolled U = 2 kernel equals the generic block kernel on full random blocks", () => {
    const Cc = random(M * N1 * 4, rng, 0.3);
    const H = random(M * 4, rng);
    const Rt = random(N1 * N1 * 4, rng, 0.5);
    const a = new Float64Array(N1 * 4);
    const b = new Float64Array(N1 * 4);
    predictionResponseRowBlock(2, { k, M, N1, Cc, dl: H, Rt, P: new Float64Array((N1 + 3) * 4), out: a });
    predictionResponseRowGeneric(2, { k, M, N1, Cc, dl: H, Rt, P: new Float64Array((N1 + 3) * 4), out: b });
    expect(maxDiff(a, b, (k + 1) * 4)).toBeLessThan(1e-12);
    expect(maxDiff(a, new Float64Array(a.length), (k + 1) * 4)).toBeGreaterThan(0.1);
  });

  it("U = 2 block-diagonal inputs decouple into two scalar problems", () => {
    const scalar = [0, 1].map(() => ({
      Cc: random(M * N1, rng, 0.3),
      H: random(M, rng),
      Rt: random(N1 * N1, rng, 0.5),
      Th: random(M * N1, rng),
      rhoT: random(N1 * N1, rng, 0.4),
    }));
    const diag = (get: (u: number) => Float64Array, n: number) => {
      const out = new Float64Array(n * 4);
      for (let j = 0; j < n; j++) for (let u = 0; u < 2; u++) out[j * 4 + 3 * u] = get(u)[j];
      return out;
    };
    const dh = (t: number) => 1 + 0.5 * Math.tanh(t);
    const out = new Float64Array(N1 * 4);
    predictionResponseRowBlock(2, {
      k,
      M,
      N1,
      Cc: diag((u) => scalar[u].Cc, M * N1),
      dl: diag((u) => scalar[u].H, M),
      Rt: diag((u) => scalar[u].Rt, N1 * N1),
      P: new Float64Array((N1 + 3) * 4),
      out,
    });
    const ThBlock = new Float64Array(M * N1 * 2);
    // Column-major histories: scalar theta_j of sample i at Th[j M + i], block unit u at ThBlock[(2 j + u) M + i].
    for (let j = 0; j < N1; j++)
      for (let u = 0; u < 2; u++)
        for (let i = 0; i < M; i++) ThBlock[(2 * j + u) * M + i] = scalar[u].Th[j * M + i];
    const outP = new Float64Array(N1 * 4);
    paramResponseRowBlock(2, {
      k,
      M,
      N1,
      D,
      Th: ThBlock,
      dh,
      rhoT: diag((u) => scalar[u].rhoT, N1 * N1),
      Q: new Float64Array((N1 + 3) * 4),
      out: outP,
    });
    for (let u = 0; u < 2; u++) {
      const s = scalar[u];
      const ref = new Float64Array(N1);
      predictionResponseRow({
        k,
        M,
        N1,
        Cc: s.Cc,
        dl: s.H,
        Rt: s.Rt,
        P: new Float64Array(4 * (N1 + 1)),
        out: ref,
      });
      const refP = new Float64Array(N1);
      paramResponseRow({ k, M, N1, D, Th: s.Th, dh, rhoT: s.rhoT, Q: new Float64Array(N1 + 1), out: refP });
      for (let j = 0; j <= k; j++) {
        expect(out[j * 4 + 3 * u]).toBeCloseTo(ref[j], 12);
        expect(out[j * 4 + 1 + u]).toBe(0);
        expect(outP[j * 4 + 3 * u]).toBeCloseTo(refP[j], 12);
        expect(outP[j * 4 + 1 + u]).toBe(0);
      }
    }
  });
});

const LINEAR = new URL("../models/linear-regression.yaml", import.meta.url).pathname;
const S0 = 0.3;

/** k = 2, kTeacher = 1: L = (r1 + r2 - y)^2 / 2, ridge; vector functions written by hand. */
function sumModel(): Derived {
  const base = derive({ ...loadModel(LINEAR), initStd: S0 });
  const vec: VectorFns = {
    k: 2,
    kTeacher: 1,
    loss: (r, o, y) => 0.5 * (r[o] + r[o + 1] - y) ** 2,
    grad: (r, o, y, out, oo) => {
      const e = r[o] + r[o + 1] - y;
      out[oo] = e;
      out[oo + 1] = e;
    },
    hess: (_r, _o, _y, out, oo) => out.fill(1, oo, oo + 4),
    lossGradHess: (r, o, y, g, go, h, ho) => {
      const e = r[o] + r[o + 1] - y;
      g[go] = e;
      g[go + 1] = e;
      h.fill(1, ho, ho + 4);
      return 0.5 * e * e;
    },
    label: base.vec.label,
    predict: (r, o) => r[o] + r[o + 1],
  };
  return { ...base, model: { ...base.model, k: 2 }, vec, linear: false };
}

describe("k = 2 Monte-Carlo solver, exact reduction to k = 1", () => {
  it("Q_11 + 2 Q_12 + Q_22, M_11 + M_21 and the train loss match the exact k = 1 scheme", async () => {
    const opts = { dynamics: "sgf" as const, dt: 0.1, T: 2, seed: 11, threads: 1 };
    const mc = await solveMc(sumModel(), { ...opts, samples: 16000 });
    const reduced = derive({ ...loadModel(LINEAR), loss: "(yhat - y)^2", initStd: Math.SQRT2 * S0 });
    const exact = await solve(reduced, { ...opts, solver: "exact" });
    const gd = await solve(reduced, { ...opts, dynamics: "gd", solver: "exact" });
    const o = mc.observables;
    const se = mc.stderr;
    const comb = (r: Result, w: [string, number][]) =>
      mc.t.map((_, k) =>
        w.reduce(
          (a, [n, c]) => a + c * (r as { observables: Record<string, number[]> }).observables[n][k],
          0,
        ),
      );
    const seComb = (w: [string, number][]) =>
      mc.t.map((_, k) =>
        w.reduce((a, [n, c]) => a + Math.abs(c) * (se as Record<string, number[]>)[n][k], 0),
      );
    const half = (r: Result, n: "train_loss") => r.observables[n]!.map((v) => v / 2);
    const qW: [string, number][] = [
      ["Q_1_1", 1],
      ["Q_1_2", 2],
      ["Q_2_2", 1],
    ];
    // theta_1 - theta_2 sees the same gradient and noise in both units: it only decays under the ridge.
    const dW: [string, number][] = [
      ["Q_1_1", 1],
      ["Q_1_2", -2],
      ["Q_2_2", 1],
    ];
    const lambda = mc.meta.parameters as Record<string, number>;
    const decay = mc.t.map((_, k) => 2 * S0 ** 2 * (1 - 0.1 * lambda.lambda) ** (2 * k));
    const mW: [string, number][] = [
      ["M_1_1", 1],
      ["M_2_1", 1],
    ];
    const checks: [string, number[], number[], number[], number[]][] = [
      // The reduced loss (r - y)^2 is twice (r1 + r2 - y)^2 / 2.
      ["train", o.train_loss!, se.train_loss!, half(exact, "train_loss"), half(gd, "train_loss")],
      ["q", comb(mc, qW), seComb(qW), exact.observables.q!, gd.observables.q!],
      ["m", comb(mc, mW), seComb(mW), exact.observables.m!, gd.observables.m!],
      ["diff", comb(mc, dW), seComb(dW), decay, decay.map(() => 2 * S0 ** 2)],
    ];
    let worst = 0;
    let wrongRejected = false;
    for (const [name, v, s, ref, wrong] of checks) {
      for (let k = 1; k < v.length; k++) {
        const z = Math.abs(v[k] - ref[k]) / Math.max(s[k], 1e-12);
        if (process.env.DEBUG_SOLVER) console.log(name, k, v[k], ref[k], s[k], z);
        worst = Math.max(worst, z);
        if (Math.abs(v[k] - wrong[k]) > 4 * s[k]) wrongRejected = true;
      }
    }
    expect(worst).toBeLessThan(4);
    expect(wrongRejected).toBe(true);
    // Exchangeable units: Q_11 and Q_22 agree within their errors.
    const k = mc.t.length - 1;
    expect(Math.abs(o.Q_1_1![k] - o.Q_2_2![k])).toBeLessThan(4 * Math.hypot(se.Q_1_1![k], se.Q_2_2![k]));
  }, 60_000);
});
