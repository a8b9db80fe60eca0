// k = 1 is the 1 x 1 case (issue 20): a k = 1 model derived as usual (scalar functions, scalar checks, the
// k = 1 specialisations) and derived as a 1 x 1 vector model (derive's asVector: the k > 1 way, scalar
// loss-side functions that throw) gives bit-identical functions, Monte-Carlo solves and simulations.
import { describe, expect, it } from "vitest";
import { loadModel } from "../src/model/load.js";
import { simulate } from "../src/simulate/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { derive } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";

/** Everything of a Result but meta (timings, the response's reason). */
const numbers = (r: Result) => ({ t: r.t, observables: r.observables, stderr: r.stderr, kernels: r.kernels });

describe("a k = 1 model through the scalar and the vector path", () => {
  const models = ["logistic-regression", "relu-neuron", "hinge-svm", "phase-retrieval", "tanh-regression"];

  it.each(models)("%s: the scalar functions equal the 1 x 1 vector functions bit for bit", (name) => {
    const model = loadModel(`models/${name}.yaml`);
    const d = derive(model);
    const v = derive(model, { asVector: true });
    expect(d.vector).toBeUndefined();
    expect(v.vector?.rNames).toEqual(["r"]);
    expect(() => v.fns.l(0.5, 1)).toThrow(/vector model/);
    const [r, g, h, g2, h2] = [1, 1, 1, 1, 1].map(() => new Float64Array(1));
    const w = new Float64Array(1);
    for (const x of [-7.5, -1, -0.25, -0, 0, 1e-3, 0.5, 2, 30]) {
      r[0] = x;
      for (const y of [-1, 1, 0, 0.3, -2.5]) {
        d.vec.grad(r, 0, y, g, 0);
        d.vec.hess(r, 0, y, h, 0);
        const loss = v.vec.lossGradHess(r, 0, y, g2, 0, h2, 0);
        for (const [a, b] of [
          [d.fns.loss(x, y), d.vec.loss(r, 0, y)],
          [d.fns.l(x, y), g[0]],
          [d.fns.dl(x, y), h[0]],
          [d.fns.loss(x, y), loss],
          [g[0], g2[0]],
          [h[0], h2[0]],
          [x, v.vec.predict(r, 0)],
        ])
          expect(Object.is(a, b)).toBe(true);
      }
      w[0] = x;
      for (const eps of [-1, 0.2, 1.7])
        expect(Object.is(d.fns.label(x, eps), v.vec.label(w, 0, eps))).toBe(true);
    }
  });

  // Small M, fixed seed; relu-neuron with the Stein response (what the vector path picks for jumps: the
  // branching estimator is a k = 1 specialisation reading the scalar l).
  const solves: Array<[string, "auto" | "stein"]> = [
    ["logistic-regression", "auto"],
    ["relu-neuron", "stein"],
  ];
  it.each(solves)(
    "%s: Monte-Carlo solve and simulation are bit-identical",
    async (name, response) => {
      const model = loadModel(`models/${name}.yaml`);
      const scalar = derive(model);
      const vector = derive(model, { asVector: true });
      const opts = {
        dynamics: "sgf" as const,
        T: 1,
        samples: 400,
        groups: 2,
        seed: 3,
        threads: 1,
        kernels: true,
      };
      const a = await solveMc(scalar, { ...opts, response });
      const b = await solveMc(vector, opts);
      const estimator = (r: Result) =>
        (r.meta as unknown as { response: { estimator: string } }).response.estimator;
      expect(estimator(b)).toBe(estimator(a));
      expect(Object.keys(a.observables)).toEqual(
        expect.arrayContaining(["m", "q", "test_loss", "train_loss"]),
      );
      expect(a.kernels?.R_theta.shape).toEqual([11, 11]);
      expect(numbers(b)).toEqual(numbers(a));
      const sim = { d: 100, seeds: 2, dynamics: "sgf" as const, T: 1, seed: 3, threads: 1 };
      expect(numbers(await simulate(vector, sim))).toEqual(numbers(await simulate(scalar, sim)));
    },
    60_000,
  );
});
