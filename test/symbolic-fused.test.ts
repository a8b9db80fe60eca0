// The fused source VectorFns.lossGradHess (loss, gradient and Hessian in one generated function): bit for bit
// equal to the separate loss, grad and hess for every shipped model and the vector test models on a grid
// reaching |r| = 1e3 with +-0, writing only its own slots; rebuilt from Derived.sources it passes
// checkSource; sigmoid and softplus of +-u share one exp; sigmoidE/softplusE equal the helpers bit for bit.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseModel } from "../src/model/load.js";
import {
  checkSource,
  fusedMismatches,
  rebuildVectorFns,
  sigmoid,
  sigmoidE,
  softplus,
  softplusE,
} from "../src/symbolic/compile.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import type { Derived, VectorFns } from "../src/types.js";
import { Rng } from "../src/util/rng.js";

const SHIPPED = readdirSync("models").filter((f) => f.endsWith(".yaml"));
const GRID = [
  -1000, -300, -37.5, -30, -5, -1, -0.3, -1e-3, -1e-300, -0, 0, 1e-300, 1e-3, 0.3, 1, 5, 30, 37.5, 300, 1000,
];
const LABELS = [-1, 1, -0, 0, 0.37, -2.5, 3];

function model(fields: Record<string, string>): Derived {
  const lines = ["name: t", "description: test"];
  for (const [key, v] of Object.entries(fields)) lines.push(`${key}: ${/^\d+$/.test(v) ? v : `"${v}"`}`);
  lines.push("parameters: { delta: 2, tau: 0.5, sigma: 0.1 }");
  return derive(parseModel(`${lines.join("\n")}\n`, "t.yaml"));
}
const ERF = (k: number) => `sum(erf(r_a / sqrt(2)), a) / ${k}`;
/** Vector (and extra scalar) models of the symbolic tests, plus sigmoid/softplus pairs of u and -u. */
const EXTRA: Record<string, Record<string, string>> = {
  "erf committee k = 2, k* = 2": {
    k: "2",
    k_teacher: "2",
    activation: ERF(2),
    loss: "(yhat - y)^2 / 2",
    label: "sum(erf(wstar_a / sqrt(2)), a) / 2 + sigma * eps",
  },
  "erf committee k = 8": { k: "8", activation: ERF(8), loss: "(yhat - y)^2 / 2", label: "wstar" },
  "quadratic k = 2": {
    k: "2",
    activation: "sum(sum(r_a * r_b, b), a) + sum(a * r_a, a)",
    loss: "(yhat - y)^2",
    label: "wstar",
  },
  "k = 1, k* = 3": { loss: "(r1 - y)^2 / 2", label: "sum(wstar_a, a) / 2", k_teacher: "3" },
  "tanh units, logistic loss, k = 2": {
    k: "2",
    activation: "sum(tanh(r_a), a)",
    loss: "log(1 + exp(-y * yhat))",
    label: "sign(wstar)",
  },
  "softplus of u and -u (k = 1)": { loss: "log(1 + exp(r - y)) + log(1 + exp(y - r))", label: "wstar" },
  "logistic through tanh (k = 1)": {
    activation: "tanh(r)",
    loss: "log(1 + exp(-y * yhat))",
    label: "sign(wstar)",
  },
};
const derived: Array<[string, Derived]> = [
  ...SHIPPED.map((f): [string, Derived] => [f, loadDerived(`models/${f}`)]),
  ...Object.entries(EXTRA).map(([name, f]): [string, Derived] => [name, model(f)]),
];

/** Points r (k entries): the full grid product for k <= 2, else axes, diagonal and random grid picks. */
function points(k: number): Float64Array[] {
  if (k === 1) return GRID.map((x) => Float64Array.of(x));
  if (k === 2) return GRID.flatMap((x) => GRID.map((z) => Float64Array.of(x, z)));
  const rng = new Rng(5);
  const out = GRID.map((x) => new Float64Array(k).fill(x));
  for (let a = 0; a < k; a++)
    for (const x of GRID) out.push(new Float64Array(k).map((_, b) => (a === b ? x : 0.5)));
  for (let i = 0; i < 400; i++) out.push(new Float64Array(k).map(() => GRID[rng.int(GRID.length)]));
  return out;
}

/** Mismatches (Object.is: -0 != 0, NaN == NaN) of lossGradHess against loss/grad/hess; slots at offsets. */
function mismatches(vec: VectorFns): string[] {
  const { k } = vec;
  const [ro, go, ho] = [3, 5, 2];
  const bad: string[] = [];
  const r = new Float64Array(ro + k + 2);
  const g = new Float64Array(k);
  const h = new Float64Array(k * k);
  const gf = new Float64Array(go + k + 3);
  const hf = new Float64Array(ho + k * k + 3);
  for (const p of points(k))
    for (const y of LABELS) {
      r.fill(Number.NaN).set(p, ro);
      gf.fill(7.5);
      hf.fill(7.5);
      gf.fill(Number.NaN, go, go + k);
      hf.fill(Number.NaN, ho, ho + k * k);
      const lossF = vec.lossGradHess(r, ro, y, gf, go, hf, ho);
      const loss = vec.loss(r, ro, y);
      vec.grad(r, ro, y, g, 0);
      vec.hess(r, ro, y, h, 0);
      const want = [loss, ...g, ...h];
      const got = [lossF, ...gf.subarray(go, go + k), ...hf.subarray(ho, ho + k * k)];
      want.forEach((w, i) => {
        if (!Object.is(w, got[i])) bad.push(`r = [${p}], y = ${y}, value ${i}: ${got[i]} != ${w}`);
      });
      const outside = [
        ...gf.subarray(0, go),
        ...gf.subarray(go + k),
        ...hf.subarray(0, ho),
        ...hf.subarray(ho + k * k),
      ];
      if (outside.some((v) => v !== 7.5)) bad.push(`r = [${p}], y = ${y}: wrote outside its slots`);
    }
  return bad;
}

describe("fused loss, gradient and Hessian", () => {
  it.each(derived)(
    "%s: lossGradHess equals loss, grad, hess bit for bit, also rebuilt from sources",
    (_, d) => {
      const src = d.sources.lossGradHess!;
      expect(() => checkSource(src)).not.toThrow();
      expect(src).not.toMatch(/lambda|sigma|delta/);
      expect(mismatches(d.vec)).toEqual([]);
      expect(mismatches(rebuildVectorFns(d.sources, d.model.k, d.model.kTeacher))).toEqual([]);
    },
  );

  it("derive checks the fused source at 300 points; that check sees one ulp and the sign of a zero", () => {
    const tampered = (vec: VectorFns, edit: (g: Float64Array, h: Float64Array) => void): VectorFns => ({
      ...vec,
      lossGradHess: (r, ro, y, g, go, h, ho) => {
        const loss = vec.lossGradHess(r, ro, y, g, go, h, ho);
        edit(g.subarray(go), h.subarray(ho));
        return loss;
      },
    });
    for (const name of ["logistic-regression", "linear-regression"]) {
      const d = loadDerived(`models/${name}.yaml`);
      expect(d.checks).toContain(
        "lossGradHess: bit-identical to loss, grad, hess at 300 points (|r| up to 1e3, +-0)",
      );
      expect(fusedMismatches(d.vec)).toEqual([]);
      expect(fusedMismatches(tampered(d.vec, (_, h) => (h[0] *= 1 + 2 ** -52))).length).toBeGreaterThan(0);
    }
    // linear regression: l = r - y is an exact zero wherever r = y (e.g. r = y = 0)
    const zeroSign = tampered(loadDerived("models/linear-regression.yaml").vec, (g) => {
      if (g[0] === 0) g[0] = -g[0];
    });
    expect(fusedMismatches(zeroSign)).toContain("r = [0], y = 0");
  });

  it("one exp for sigmoid and softplus of the same |argument|", () => {
    const exps = (name: string) =>
      derived.find(([n]) => n === name)![1].sources.lossGradHess!.match(/Math\.exp/g);
    const logistic = loadDerived("models/logistic-regression.yaml").sources.lossGradHess!;
    expect(logistic.match(/Math\.exp/g)).toHaveLength(1);
    expect(logistic).not.toMatch(/\b(sigmoid|softplus)\(/);
    expect(logistic).toMatch(/sigmoidE\(/);
    expect(logistic).toMatch(/softplusE\(/);
    expect(exps("committee-softplus.yaml")).toHaveLength(2);
    expect(exps("softplus of u and -u (k = 1)")).toHaveLength(1);
    // the separate sources keep the plain helpers
    expect(loadDerived("models/logistic-regression.yaml").sources.loss).toMatch(/softplus\(/);
  });

  it("sigmoidE and softplusE with e = exp(-|x|) equal sigmoid and softplus bit for bit", () => {
    const rng = new Rng(3);
    const xs = [...GRID, Number.NaN, Infinity, -Infinity, 5e-324, -5e-324, 709.8, -745.2, 36.7, -36.7];
    for (let i = 0; i < 20000; i++) xs.push((rng.uniform() - 0.5) * 10 ** (8 * rng.uniform() - 4));
    const bad = xs.filter((x) => {
      const e = Math.exp(-Math.abs(x));
      return ![
        [sigmoidE(x, e), sigmoid(x)],
        [sigmoidE(-x, e), sigmoid(-x)],
        [softplusE(x, e), softplus(x)],
        [softplusE(-x, e), softplus(-x)],
      ].every(([a, b]) => Object.is(a, b));
    });
    expect(bad).toEqual([]);
    // the shared e of a - b serves b - a: |fl(b - a)| = |fl(a - b)|
    const diffs = xs.slice(0, 2000).map((a, i) => [a, xs[xs.length - 1 - i]]);
    expect(diffs.filter(([a, b]) => !Object.is(Math.abs(a - b), Math.abs(b - a)))).toEqual([]);
  });

  it("checkSource accepts g[go + i] and h[ho + i] writes only", () => {
    expect(() => checkSource("(r, ro, y, g, go, h, ho) => { g[go + 1] = h[ho]; return 0; }")).not.toThrow();
    expect(() => checkSource("(r, ro, y, g, go, h, ho) => { g[ho] = 1; return 0; }")).toThrow(/index/);
    expect(() => checkSource("(r, ro, y, g, go, h, ho) => { h[go] = 1; return 0; }")).toThrow(/index/);
    expect(() => checkSource("(r, ro, y, g, go, h, ho) => { ro[0] = 1; return 0; }")).toThrow(/indexing/);
  });
});
