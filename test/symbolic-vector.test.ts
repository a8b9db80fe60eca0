// Symbolic stage for vector models (k > 1 or k_teacher > 1, issue 7): the shipped committee models derive
// and pass their checks; gradient and Hessian against 4th-order finite differences and a hand-written
// reference; the compact sum(..., a) form and the loss written in r1, r2 compile to the same functions;
// variable-family errors name the file line; scalar functions of vector models throw; codegen whitelist.
import { describe, expect, it } from "vitest";
import { loadModel, parseModel } from "../src/model/load.js";
import { checkSource, erf, rebuildVectorFns } from "../src/symbolic/compile.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import type { Derived, VectorFns } from "../src/types.js";
import { UsageError } from "../src/util/errors.js";
import { Rng } from "../src/util/rng.js";

const COMMITTEES = ["committee-erf", "committee-softplus"];

function model(fields: Record<string, string>, params = "{ delta: 2, tau: 0.5, sigma: 0.1 }") {
  const lines = ["name: t", "description: test"];
  for (const [key, v] of Object.entries(fields)) lines.push(`${key}: ${/^\d+$/.test(v) ? v : `"${v}"`}`);
  lines.push(`parameters: ${params}`);
  return parseModel(`${lines.join("\n")}\n`, "t.yaml");
}
const ERF2 = {
  k: "2",
  k_teacher: "2",
  activation: "(erf(r1 / sqrt(2)) + erf(r2 / sqrt(2))) / 2",
  loss: "(yhat - y)^2 / 2",
  label: "(erf(wstar1 / sqrt(2)) + erf(wstar2 / sqrt(2))) / 2 + sigma * eps",
};
function usage(fields: Record<string, string>, params?: string): string {
  try {
    derive(model(fields, params));
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
}

/** Random evaluation points: r uniform in [-3, 3]^k, y from the model's label. */
function points(vec: VectorFns, n: number, seed: number) {
  const rng = new Rng(seed);
  const w = new Float64Array(vec.kTeacher);
  return Array.from({ length: n }, () => {
    const r = Float64Array.from({ length: vec.k }, () => 3 * (2 * rng.uniform() - 1));
    rng.fillNormal(w);
    return { r, y: vec.label(w, 0, rng.normal()), w: Float64Array.from(w), eps: rng.normal() };
  });
}

/** Values of every vector function at the points, for comparing two derivations. */
function values(vec: VectorFns, pts: ReturnType<typeof points>): number[] {
  const g = new Float64Array(vec.k);
  const h = new Float64Array(vec.k * vec.k);
  return pts.flatMap((p) => {
    vec.grad(p.r, 0, p.y, g, 0);
    vec.hess(p.r, 0, p.y, h, 0);
    return [vec.loss(p.r, 0, p.y), ...g, ...h, vec.predict(p.r, 0), vec.label(p.w, 0, p.eps)];
  });
}

const fd4 = (f: (x: number) => number, x: number, h: number) =>
  (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h);

describe("shipped committee models", () => {
  const derived: Record<string, Derived> = Object.fromEntries(
    COMMITTEES.map((name) => [name, loadDerived(`models/${name}.yaml`)]),
  );

  it.each(COMMITTEES)("%s derives, passes its checks, and has vector forms", (name) => {
    const d = derived[name];
    expect([d.model.k, d.model.kTeacher, d.vec.k, d.vec.kTeacher]).toEqual([2, 2, 2, 2]);
    for (const prefix of [
      "grad: l_a = dL/dr_a matches finite difference",
      "hess: H_ab = dl_a/dr_b matches",
      "hess: symmetric",
    ])
      expect(d.checks.some((c) => c.startsWith(prefix))).toBe(true);
    expect(d.checks.some((c) => c.startsWith("loss, grad, hess finite for |r| up to 1e3"))).toBe(true);
    expect(d.checks.some((c) => c.startsWith("h = pen' matches finite difference"))).toBe(true);
    const v = d.vector!;
    expect([v.rNames, v.wstarNames]).toEqual([
      ["r1", "r2"],
      ["wstar1", "wstar2"],
    ]);
    expect([v.text.grad.length, v.text.hess.length, v.latex.grad.length, v.latex.hess.length]).toEqual([
      2, 4, 2, 4,
    ]);
    expect(v.text.hess[1]).toBe(v.text.hess[2]);
    expect(d.binaryLabels).toBe(false);
    expect(d.linear).toBe(false);
    // the sources rebuild into the same functions and contain the parameters as literals only
    const pts = points(d.vec, 8, 1);
    expect(values(rebuildVectorFns(d.sources, 2, 2), pts)).toEqual(values(d.vec, pts));
    expect(Object.values(d.sources).join(" ")).not.toMatch(/lambda|sigma|delta/);
  });

  it.each(COMMITTEES)("%s: gradient and Hessian match 4th-order finite differences", (name) => {
    const { vec } = derived[name];
    const g = new Float64Array(2);
    const h = new Float64Array(4);
    let worst = 0;
    for (const p of points(vec, 50, 2)) {
      vec.grad(p.r, 0, p.y, g, 0);
      vec.hess(p.r, 0, p.y, h, 0);
      expect(h[1]).toBe(h[2]);
      for (let a = 0; a < 2; a++) {
        const at = (x: number, f: (r: Float64Array) => number) => {
          const r = Float64Array.from(p.r);
          r[a] = x;
          return f(r);
        };
        const fdGrad = fd4((x) => at(x, (r) => vec.loss(r, 0, p.y)), p.r[a], 1e-3);
        worst = Math.max(worst, Math.abs(g[a] - fdGrad) / (1 + Math.abs(g[a])));
        for (let b = 0; b < 2; b++) {
          const gb = (r: Float64Array) => {
            const out = new Float64Array(2);
            vec.grad(r, 0, p.y, out, 0);
            return out[b];
          };
          const fdHess = fd4((x) => at(x, gb), p.r[a], 1e-3);
          worst = Math.max(worst, Math.abs(h[b * 2 + a] - fdHess) / (1 + Math.abs(h[b * 2 + a])));
        }
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("committee-erf: gradient equals the hand-written formula", () => {
    const { vec } = derived["committee-erf"];
    const g = new Float64Array(2);
    for (const p of points(vec, 20, 3)) {
      vec.grad(p.r, 0, p.y, g, 0);
      const yhat = (erf(p.r[0] / Math.SQRT2) + erf(p.r[1] / Math.SQRT2)) / 2;
      expect(vec.predict(p.r, 0)).toBeCloseTo(yhat, 15);
      for (let a = 0; a < 2; a++) {
        const want = ((yhat - p.y) * Math.exp(-(p.r[a] ** 2) / 2)) / Math.sqrt(2 * Math.PI);
        expect(Math.abs(g[a] - want)).toBeLessThan(1e-15);
      }
    }
  });

  it("scalar loss-side functions throw clearly; penalty functions are real", () => {
    const d = derived["committee-erf"];
    for (const name of ["loss", "l", "dl", "d2l"] as const)
      expect(() => d.fns[name](0.1, 0.2)).toThrow(/not defined for a vector model.*Derived\.vec/);
    expect(() => d.fns.label(0.1, 0.2)).toThrow(/vector model/);
    expect(d.fns.h(2)).toBeCloseTo(0.02, 15);
    expect(d.text.l).toMatch(/^vector model \(k = 2, k_teacher = 2\)/);
    expect(d.latex.dl).toContain("\\nabla_r^2 L");
  });
});

describe("model forms", () => {
  it("sum(..., a) and the loss written in r1, r2 compile to the same functions as the explicit form", () => {
    const explicit = derive(model(ERF2)).vec;
    const compact = derive(
      model({
        ...ERF2,
        activation: "sum(erf(r_a / sqrt(2)), a) / 2",
        label: "sum(erf(wstar_c / sqrt(2)), c) / 2 + sigma * eps",
      }),
    ).vec;
    const direct = derive(
      model({ ...ERF2, loss: "((erf(r1 / sqrt(2)) + erf(r2 / sqrt(2))) / 2 - y)^2 / 2" }),
    ).vec;
    const pts = points(explicit, 30, 4);
    const want = values(explicit, pts);
    for (const got of [values(compact, pts), values(direct, pts)])
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-14);
  });

  it("expands nested sums and the bare index; k = 1 accepts r1 for r; k_teacher > 1 with k = 1", () => {
    const d = derive(
      model({
        k: "2",
        activation: "sum(sum(r_a * r_b, b), a) + sum(a * r_a, a)",
        loss: "(yhat - y)^2",
        label: "wstar",
      }),
    );
    expect(d.vector!.text.predict).toBe("r1 * r1 + r1 * r2 + r2 * r1 + r2 * r2 + 1 * r1 + 2 * r2");
    const one = derive(model({ loss: "(r1 - y)^2 / 2", label: "sum(wstar_a, a) / 2", k_teacher: "3" }));
    expect([one.vec.k, one.vec.kTeacher, one.vector!.rNames, one.vector!.wstarNames]).toEqual([
      1,
      3,
      ["r"],
      ["wstar1", "wstar2", "wstar3"],
    ]);
    expect(one.vector!.text.grad).toEqual(["r - y"]);
    expect(one.vec.label(Float64Array.of(1, 2, 3), 0, 0)).toBe(3);
    expect(derive(model({ loss: "(r1 - y)^2", label: "wstar1" })).vector).toBeUndefined();
  });

  it("binary labels of a vector teacher; mathjs cross-checks a tanh committee", () => {
    const d = derive(
      model({
        k: "2",
        k_teacher: "3",
        activation: "sum(tanh(r_a), a)",
        loss: "log(1 + exp(-y * yhat))",
        label: "sign(sum(wstar_a^3, a) + sigma * eps)",
      }),
    );
    expect(d.binaryLabels).toBe(true);
    const t = derive(model({ ...ERF2, activation: "(tanh(r1) + tanh(r2)) / 2", label: "wstar1 * wstar2" }));
    expect(t.checks.some((c) => c.startsWith("grad matches mathjs derivative at 48 points"))).toBe(true);
    expect(t.checks.some((c) => c.startsWith("hess matches mathjs derivative at 96 points"))).toBe(true);
  });

  it("derives a k = 8 committee in sum form", () => {
    const d = derive(
      model({
        k: "8",
        k_teacher: "8",
        activation: "sum(erf(r_a / sqrt(2)), a) / 8",
        loss: "(yhat - y)^2 / 2",
        label: "sum(erf(wstar_a / sqrt(2)), a) / 8",
      }),
    );
    expect(d.vector!.text.hess).toHaveLength(64);
  });
});

describe("errors name the file line", () => {
  it("rejects unknown symbols, out-of-range and misused family variables", () => {
    expect(usage({ ...ERF2, loss: "(yhat - y)^2 * foo" })).toMatch(
      /^t\.yaml:6: loss: unknown symbol 'foo' \(allowed here: yhat, r1, r2, y, delta/,
    );
    expect(usage({ ...ERF2, activation: "erf(r1) + erf(r3)" })).toMatch(
      /^t\.yaml:5: activation: 'r3' is out of range: this model has r1\.\.r2/,
    );
    expect(usage({ ...ERF2, label: "wstar3" })).toMatch(/^t\.yaml:7: label: 'wstar3' is out of range/);
    expect(usage({ ...ERF2, activation: "erf(r)" })).toMatch(/^t\.yaml:5: activation: unknown symbol 'r'/);
    expect(usage({ ...ERF2, label: "wstar" })).toMatch(/unknown symbol 'wstar'/);
    expect(usage({ ...ERF2, activation: "erf(r_a)" })).toMatch(/'r_a' outside sum\(\.\.\., a\)/);
    expect(usage({ ...ERF2, activation: "sum(r1, a)" })).toMatch(/use sum\(expression, a\) with an index a/);
    expect(usage({ ...ERF2, activation: "sum(r_a)" })).toMatch(/use sum\(expression, a\)/);
    expect(usage({ ...ERF2, activation: "sum(r_sigma, sigma)" })).toMatch(/index 'sigma' is already a name/);
    expect(usage({ ...ERF2, activation: "sum(sum(r_a, a), a)" })).toMatch(/index 'a' is already a name/);
    expect(usage({ ...ERF2, activation: "sum(r_e, e)" })).toMatch(/index 'e' is already a name/);
    expect(usage({ ...ERF2, label: "sum(r_a, a)" })).toMatch(
      /^t\.yaml:7: label: 'sum\(r_a, a\)': use sum\(expression, a\) with an index a and wstar_a inside/,
    );
    expect(usage({ ...ERF2, penalty: "sum(theta, a)" })).toMatch(/penalty: unknown function 'sum'/);
    expect(usage({ ...ERF2, loss: "(yhat - y)^2 / 2 + (r2 > 1)" })).toMatch(
      /^t\.yaml:6: loss: L jumps where r2 - 1 = 0 \(size 1\), so l = dL\/dr2 has a Dirac delta/,
    );
    const deep = "sum(sum(sum(sum(sum(sum(r_a * r_b * r_c * r_d * r_f * r_g, g), f), d), c), b), a)";
    expect(usage({ ...ERF2, k: "8", activation: deep })).toMatch(/too large after expanding sum/);
  });

  it("k out of range is a UsageError with the line; k > 1 without an activation has no prediction", () => {
    const err = (fields: Record<string, string>) => {
      try {
        model(fields);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error("expected a UsageError");
    };
    expect(err({ ...ERF2, k: "9" })).toMatch(/^t\.yaml:3: 'k' must be an integer from 1 to 8, got 9/);
    expect(err({ ...ERF2, k_teacher: "0" })).toMatch(
      /^t\.yaml:4: 'k_teacher' must be an integer from 1 to 8/,
    );
    const { activation: _, ...noActivation } = ERF2;
    expect(model(noActivation).activation).toBe("");
    expect(usage({ ...noActivation, loss: "(yhat - y)^2" })).toMatch(
      /loss: unknown symbol 'yhat' \(allowed here: r1, r2, y,/,
    );
    const d = derive(
      model({ ...noActivation, loss: "(erf(r1) + erf(r2) - y)^2 / 2", label: "sign(wstar1 + wstar2)" }),
    );
    expect(d.binaryLabels).toBe(false);
    expect(d.checks).toContain(
      "note: labels are +-1 but the model has no activation (no scalar prediction yhat): test error skipped",
    );
    expect(d.vector!.text.predict).toMatch(/^none/);
    expect(() => d.vec.predict(new Float64Array(2), 0)).toThrow(/no activation/);
    expect(loadModel("models/committee-softplus.yaml").activation).toBe("sum(softplus(r_a), a) / 2");
  });
});

describe("codegen whitelist for vector sources", () => {
  it("allows r[ro + i], w[wo + i], out[oo + i] only", () => {
    expect(() => checkSource("(r, ro, y, out, oo) => {\n  out[oo + 1] = r[ro];\n}")).not.toThrow();
    expect(() => checkSource('(r, ro) => r["constructor"]')).toThrow(/index/);
    expect(() => checkSource("(r, ro) => r[y]")).toThrow(/index/);
    expect(() => checkSource("(y, out) => {\n  out[3] = y;\n  return 2;\n}")).not.toThrow();
    expect(() => checkSource("(r, ro) => r[1e3]")).toThrow(/index/);
    expect(() => checkSource("(r, ro) => (r)[ro]")).toThrow(/indexing/);
    expect(() => checkSource("(r, ro) => [ro]")).toThrow(/indexing/);
    expect(() => checkSource("(w, wo) => w[wo].constructor")).toThrow(/property access|identifier/);
  });
});
