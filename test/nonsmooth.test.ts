// Non-smooth models end to end outside the Monte-Carlo solver (issue 14): the shipped models load and derive;
// the simulator's train loss, q, m (Q, M) equal a plain dense run with hand-written l on the same draws; test
// observables and online moments split at the kinks against closed forms (and the unsplit rule is worse);
// the online ODE of the absolute loss against its closed form; the ReLU committee written in r1, r2.
import { describe, expect, it } from "vitest";
import { testObservables } from "../src/observables/gaussian.js";
import { normalCdf, normalPdf } from "../src/observables/quadrature.js";
import { vectorTestObservables } from "../src/observables/vector.js";
import { simulate } from "../src/simulate/index.js";
import { solveOnline } from "../src/solvers/exact/online.js";
import { onlineMoments } from "../src/solvers/exact/online-moments.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Derived } from "../src/types.js";
import { Rng } from "../src/util/rng.js";

const relu = (x: number) => Math.max(0, x);

/** Hand-written l = dL/dr (gradient for k = 2) of the shipped non-smooth models, independent of derive. */
const HAND: Record<string, (r: number[], y: number) => number[]> = {
  "hinge-svm": ([r], y) => [y * r < 1 ? -y : 0],
  "lad-regression": ([r], y) => [Math.sign(r - y)],
  "relu-neuron": ([r], y) => [r > 0 ? r - y : 0],
  "committee-relu": ([r1, r2], y) => {
    const e = (relu(r1) + relu(r2)) / 2 - y;
    return [r1 > 0 ? e / 2 : 0, r2 > 0 ? e / 2 : 0];
  },
};
const HAND_LOSS: Record<string, (r: number[], y: number) => number> = {
  "hinge-svm": ([r], y) => Math.max(0, 1 - y * r),
  "lad-regression": ([r], y) => Math.abs(r - y),
  "relu-neuron": ([r], y) => (relu(r) - y) ** 2 / 2,
  "committee-relu": ([r1, r2], y) => ((relu(r1) + relu(r2)) / 2 - y) ** 2 / 2,
};

/**
 * Plain SGF / gradient flow on the simulator's documented draws (Rng (seed, 0, 0): X, theta*, eps; (seed, 0, 1):
 * theta^0; (seed, 0, 2): noise), hand-written loss and l; train loss and Q (row-major) at every step.
 */
function plainRun(der: Derived, name: string, d: number, dt: number, steps: number, seed: number) {
  const { model, vec } = der;
  const { k, kTeacher: kT } = model;
  const { delta, tau, lambda } = model.parameters;
  const n = Math.round(delta * d);
  const data = new Rng(seed, 0, 0);
  const X = new Float64Array(n * d);
  data.fillNormal(X, 1 / Math.sqrt(d));
  const star = new Float64Array(kT * d);
  data.fillNormal(star, Math.sqrt(model.teacherVariance));
  const dot = (u: Float64Array, uo: number, v: Float64Array, vo: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += u[uo + j] * v[vo + j];
    return s;
  };
  const y = Array.from({ length: n }, (_, i) =>
    vec.label(
      Float64Array.from({ length: kT }, (_, c) => dot(X, i * d, star, c * d)),
      0,
      data.normal(),
    ),
  );
  let theta = new Float64Array(k * d);
  new Rng(seed, 0, 1).fillNormal(theta, model.initStd);
  const noise = new Rng(seed, 0, 2);
  const xi = new Float64Array(n);
  const train: number[] = [];
  const Q: number[][] = [];
  for (let s = 0; ; s++) {
    const r = Array.from({ length: n }, (_, i) =>
      Array.from({ length: k }, (_, a) => dot(X, i * d, theta, a * d)),
    );
    train.push(r.reduce((acc, ri, i) => acc + HAND_LOSS[name](ri, y[i]), 0) / n);
    Q.push(
      Array.from({ length: k * k }, (_, ab) => dot(theta, Math.floor(ab / k) * d, theta, (ab % k) * d) / d),
    );
    if (s === steps) break;
    if (tau > 0) noise.fillNormal(xi);
    const L = r.map((ri, i) => HAND[name](ri, y[i]));
    const amp = Math.sqrt((tau * dt) / delta);
    const next = Float64Array.from(theta);
    for (let a = 0; a < k; a++)
      for (let j = 0; j < d; j++) {
        let dr = 0;
        let nz = 0;
        for (let i = 0; i < n; i++) {
          dr += X[i * d + j] * L[i][a];
          nz += X[i * d + j] * L[i][a] * xi[i];
        }
        next[a * d + j] += -dt * lambda * theta[a * d + j] - (dt / delta) * dr + amp * nz;
      }
    theta = next;
  }
  return { train, Q };
}

describe("simulate: non-smooth models vs a plain run with hand-written l (d = 40, same draws)", () => {
  it.each(["hinge-svm", "lad-regression", "relu-neuron", "committee-relu"])(
    "%s (SGF, tau = 0.5)",
    async (name) => {
      const der = loadDerived(`models/${name}.yaml`);
      const res = await simulate(der, {
        d: 40,
        seeds: 1,
        seed: 5,
        dynamics: "sgf",
        dt: 0.1,
        T: 1,
        threads: 1,
      });
      const ref = plainRun(der, name, 40, 0.1, 10, 5);
      const k = der.model.k;
      res.t.forEach((_, s) => {
        const close = (a: number, b: number) =>
          expect(Math.abs(a - b)).toBeLessThan(1e-11 * (1 + Math.abs(b)));
        close(res.observables.train_loss![s], ref.train[s]);
        if (k === 1) close(res.observables.q![s], ref.Q[s][0]);
        else
          for (const [a, b] of [
            [0, 0],
            [0, 1],
            [1, 1],
          ])
            close(res.observables[`Q_${a + 1}_${b + 1}`]![s], ref.Q[s][a * k + b]);
      });
      // The run moved (the train loss changed by more than 5%).
      const tl = res.observables.train_loss!;
      expect(Math.abs(tl[tl.length - 1] - tl[0])).toBeGreaterThan(0.05 * tl[0]);
      if (name === "committee-relu") {
        expect(res.observables.test_error).toBeUndefined();
        expect(Object.keys(res.observables)).toContain("M_2_1");
      }
    },
  );
});

describe("test observables split at the kinks vs closed forms", () => {
  const [q, m, rho] = [0.8, 0.5, 1];
  it("LAD, ReLU neuron, hinge: within 1e-9 (the unsplit Gauss–Hermite rule misses by > 5e-7)", () => {
    for (const name of ["lad-regression", "relu-neuron", "hinge-svm"]) {
      const d = loadDerived(`models/${name}.yaml`);
      expect(d.fns.kinks).toBeDefined();
      const sig = d.model.parameters.sigma;
      let exact: number;
      if (name === "lad-regression") exact = Math.sqrt((2 * (q - 2 * m + rho + sig * sig)) / Math.PI);
      else if (name === "relu-neuron") {
        // E relu(g) relu(g*) by the arc-cosine kernel; E relu(g)^2 = q / 2; E y^2 = rho / 2 + sigma^2
        const c = m / Math.sqrt(q * rho);
        const th = Math.acos(c);
        const cross = (Math.sqrt(q * rho) / (2 * Math.PI)) * (Math.sin(th) + (Math.PI - th) * c);
        exact = q / 4 - cross + (rho / 2 + sig * sig) / 2;
      } else {
        // u = w* + sigma eps, y = sign(u); g | u normal: E max(0, 1 - y g) in closed form, then u by midpoints
        const vu = rho + sig * sig;
        const s = Math.sqrt(q - (m * m) / vu);
        const N = 200_000;
        const L = 10 * Math.sqrt(vu);
        exact = 0;
        for (let i = 0; i < N; i++) {
          const u = -L + (2 * L * (i + 0.5)) / N;
          const mu = 1 - Math.sign(u) * ((m * u) / vu);
          const e = mu * normalCdf(mu / s) + s * normalPdf(mu / s);
          exact += (e * normalPdf(u / Math.sqrt(vu))) / Math.sqrt(vu) / (N / (2 * L));
        }
      }
      const split = testObservables(d.fns, d.binaryLabels, q, m, rho).test_loss;
      const blind = testObservables({ ...d.fns, kinks: undefined }, d.binaryLabels, q, m, rho).test_loss;
      expect(Math.abs(split - exact), name).toBeLessThan(1e-9);
      expect(Math.abs(blind - exact), name).toBeGreaterThan(5e-7);
    }
  });

  it("the documented limit as q -> 0 (absolute loss): 1.1e-4 at q = 0, below 1e-9 from q = 0.01", () => {
    const d = loadDerived("models/lad-regression.yaml");
    const sig = d.model.parameters.sigma;
    const err = (q: number, m: number) =>
      testObservables(d.fns, false, q, m, 1).test_loss -
      Math.sqrt((2 * (q - 2 * m + 1 + sig * sig)) / Math.PI);
    expect(Math.abs(err(0, 0))).toBeLessThan(2e-4);
    expect(Math.abs(err(1e-3, 5e-4))).toBeLessThan(1e-6);
    expect(Math.abs(err(0.01, 0.008))).toBeLessThan(1e-9);
  });

  it("ReLU committee test loss vs the arc-cosine closed form (QMC rule: within 2e-4, measured 1.1e-4)", () => {
    const d = loadDerived("models/committee-relu.yaml");
    const sig = d.model.parameters.sigma;
    const K = (c: number, v1: number, v2: number) => {
      const s = Math.sqrt(v1 * v2);
      const cs = Math.max(-1, Math.min(1, c / s));
      const th = Math.acos(cs);
      return (s / (2 * Math.PI)) * (Math.sin(th) + (Math.PI - th) * cs);
    };
    for (const [Q, M] of [
      [
        [1, 0.2, 0.2, 0.6],
        [0.5, 0.1, 0.05, 0.4],
      ],
      [
        [0.25, 0, 0, 0.25],
        [0, 0, 0, 0],
      ],
    ]) {
      let e = 0;
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++) e += K(Q[a * 2 + b], Q[a * 3], Q[b * 3]) / 4 + K(+(a === b), 1, 1) / 4;
      for (let a = 0; a < 2; a++) for (let c = 0; c < 2; c++) e -= K(M[a * 2 + c], Q[a * 3], 1) / 2;
      const exact = (e + sig * sig) / 2;
      const got = vectorTestObservables(
        d.vec,
        Float64Array.from(Q),
        Float64Array.from(M),
        1,
        false,
      ).test_loss;
      expect(Math.abs(got - exact)).toBeLessThan(2e-4);
    }
  });
});

describe("online ODEs of non-smooth models", () => {
  it("LAD: moments split at the kink equal the closed forms; the ODE follows the closed-form ODE", () => {
    const der = loadDerived("models/lad-regression.yaml");
    const { sigma, lambda, tau } = der.model.parameters;
    const rho = 1;
    const v = (q: number, m: number) => q - 2 * m + rho + sigma * sigma;
    // l = sign(w - y): E[w l] = (q - m) c, E[l w*] = (m - rho) c, c = sqrt(2 / (pi v)); E[l^2] = 1
    const mom = onlineMoments(der.vec, Float64Array.of(0.8), Float64Array.of(0.5), rho, true);
    const c = Math.sqrt(2 / (Math.PI * v(0.8, 0.5)));
    expect(mom.wl[0]).toBeCloseTo((0.8 - 0.5) * c, 10);
    expect(mom.lws[0]).toBeCloseTo((0.5 - rho) * c, 10);
    expect(mom.ll[0]).toBeCloseTo(1, 10);
    // From q = 0.04, m = 0.02: at q -> 0 the step of l becomes a jump in the label noise, which the pair rule
    // does not split (E[l w*] off by 2.5e-3 at q = 0, 2e-8 at q = 0.01: see docs/models.md).
    const res = solveOnline(der, { T: 0.6, dt: 0.1, maxStep: 0.1, init: { Q: [0.04], M: [0.02] } });
    // RK4 (the same steps) of dm/dt = -lambda m - (m - rho) c, dq/dt = -2 lambda q - 2 (q - m) c + tau
    const f = ([q, m]: number[]) => {
      const cc = Math.sqrt(2 / (Math.PI * v(q, m)));
      return [-2 * lambda * q - 2 * (q - m) * cc + tau, -lambda * m - (m - rho) * cc];
    };
    let x = [0.04, 0.02];
    const h = 0.1;
    for (let i = 0; i < 6; i++) {
      const k1 = f(x);
      const k2 = f(x.map((xi, j) => xi + (h / 2) * k1[j]));
      const k3 = f(x.map((xi, j) => xi + (h / 2) * k2[j]));
      const k4 = f(x.map((xi, j) => xi + h * k3[j]));
      x = x.map((xi, j) => xi + (h / 6) * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]));
    }
    const last = res.t.length - 1;
    expect(res.observables.q![last]).toBeCloseTo(x[0], 9);
    expect(res.observables.m![last]).toBeCloseTo(x[1], 9);
  });

  it("the ReLU committee (loss in r1, r2, no activation) runs online; no test error", () => {
    const res = solveOnline(loadDerived("models/committee-relu.yaml"), { T: 0.4, dt: 0.1 });
    expect(res.observables.test_error).toBeUndefined();
    const tl = res.observables.train_loss!;
    expect(tl.every(Number.isFinite)).toBe(true);
    expect(tl[tl.length - 1]).toBeLessThan(tl[0]);
  });
});
