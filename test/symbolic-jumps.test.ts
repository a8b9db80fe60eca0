// Non-smooth models (issue 14): the jumps of l = dL/dr found from the expression tree (location, size, the
// generated jumps source), dl as the absolutely continuous part, writing-independence, kinks without jumps,
// vector models (ReLU committee: jumps per unit, sizes depending on r), stable Gaussian CDF functions.
import { describe, expect, it } from "vitest";
import { parseModel } from "../src/model/load.js";
import { erf, erfc, invmills, logncdf, ncdf, rebuildJumps } from "../src/symbolic/compile.js";
import { derive } from "../src/symbolic/index.js";
import type { Derived } from "../src/types.js";

function scalar(loss: string, label = "wstar + sigma * eps", activation = "r"): Derived {
  return derive(
    parseModel(
      `name: t\ndescription: t\nactivation: "${activation}"\nloss: "${loss}"\nlabel: "${label}"\nparameters: { delta: 2, tau: 1, sigma: 0.3 }\n`,
      "t.yaml",
    ),
  );
}

/** (c, J) pairs of the generated jumps source at label y. */
function jumpsAt(d: Derived, y: number): number[][] {
  const out = new Float64Array(16);
  const n = rebuildJumps(d.sources.jumps!)(y, out);
  return Array.from({ length: n }, (_, j) => [out[2 * j], out[2 * j + 1]]);
}

describe("jumps of l from the expression tree", () => {
  it("hinge max(0, 1 - y r): c = y and J = +1 for y = +-1; dl = 0 (ac part); d2l does not block", () => {
    const d = scalar("max(0, 1 - y * yhat)", "sign(wstar + sigma * eps)");
    expect(d.jumps).toEqual([
      { unit: 0, loc: "1 / y", size: "abs(y)", latex: { loc: "\\frac{1}{y}", size: "\\left|y\\right|" } },
    ]);
    expect(jumpsAt(d, 1)).toEqual([[1, 1]]);
    expect(jumpsAt(d, -1)).toEqual([[-1, 1]]);
    expect(d.text.dl).toBe("0");
    expect(d.text.d2l).toMatch(/^unsupported: .*l jumps/);
    expect(d.linear).toBe(false);
    expect(d.checks.some((c) => /^jumps: 1 size\(s\) match one-sided limits of l at 24 points/.test(c))).toBe(
      true,
    );
    // one-sided limits of the compiled l at the kink
    expect(d.fns.l(1 + 1e-9, 1) - d.fns.l(1 - 1e-9, 1)).toBe(1);
  });

  it("ReLU neuron (max(0, r) - y)^2 / 2: c = 0, J = -y; absolute loss |r - y|: c = y, J = 2", () => {
    const relu = scalar("(yhat - y)^2 / 2", "max(0, wstar) + sigma * eps", "max(0, r)");
    expect(relu.jumps!.map((j) => [j.unit, j.loc, j.size])).toEqual([[0, "0", "-y"]]);
    expect(jumpsAt(relu, 0.7)).toEqual([[0, -0.7]]);
    expect(relu.fns.dl(0.5, 0.2)).toBe(1);
    expect(relu.fns.dl(-0.5, 0.2)).toBe(0);
    const lad = scalar("abs(r - y)");
    expect(lad.jumps!.map((j) => [j.loc, j.size])).toEqual([["y", "2"]]);
    expect(jumpsAt(lad, -0.3)).toEqual([[-0.3, 2]]);
  });

  it("comparisons and step() are steps: (r > y) (r - y) = max(0, r - y) jumps by 1 at y", () => {
    for (const loss of ["(r > y) * (r - y)", "step(r - y) * (r - y)", "(y < r) * (r - y)"]) {
      const d = scalar(loss);
      expect(d.jumps!.map((j) => [j.loc, j.size])).toEqual([["y", "1"]]);
    }
  });

  it("squared hinge and a Huber loss: kinks without jumps (l continuous), however written", () => {
    const a = scalar("max(0, y - yhat - 1)^2 / 2");
    const b = scalar("min(0, yhat - y + 1)^2 / 2");
    expect(a.jumps).toEqual([]);
    expect(b.jumps).toEqual([]);
    expect(a.sources.jumps).toBeUndefined();
    for (const r of [-2, -0.3, 0.4, 1.7])
      for (const y of [-1, 0.2, 1.5]) {
        expect(a.fns.l(r, y) + 0).toBe(b.fns.l(r, y) + 0);
        expect(a.fns.dl(r, y) + 0).toBe(b.fns.dl(r, y) + 0);
      }
    const huber = scalar("(abs(r - y) < 1) * (r - y)^2 / 2 + (abs(r - y) >= 1) * (abs(r - y) - 1 / 2)");
    expect(huber.jumps).toEqual([]);
    expect(huber.fns.l(3, 0.5)).toBe(1);
    expect(huber.fns.l(0.9, 0.5)).toBeCloseTo(0.4, 14);
  });

  it("several kinks: each jump found, sizes checked against one-sided limits", () => {
    // l = sign(r - y) + (1 + sign(r + 1)) / 2 * 3
    const d = scalar("abs(r - y) + 3 * max(0, r + 1)");
    const js = d.jumps!.map((j) => [j.loc, j.size]).sort();
    expect(js).toEqual([
      ["-1", "3"],
      ["y", "2"],
    ]);
    expect(jumpsAt(d, 0.5).sort((x, z) => x[0] - z[0])).toEqual([
      [-1, 3],
      [0.5, 2],
    ]);
  });

  it("a step not affine in r: location 'roots of u = 0', size as a function of r, checked at the roots", () => {
    const d = scalar("abs(r^2 - y)", "wstar^2 + 0.1 * eps");
    expect(d.jumps!.map((j) => [j.loc, j.size])).toEqual([["roots of r^2 - y = 0", "4 * r * sign(2 * r)"]]);
    expect(d.sources.jumps).toBeUndefined();
    expect(
      d.checks.some((c) => /^jumps: 1 size\(s\) match one-sided limits of l at \d+ points/.test(c)),
    ).toBe(true);
  });

  it("ReLU committee: one jump per unit, its size depends on the other unit's r", () => {
    const d = derive(
      parseModel(
        "name: t\ndescription: t\nk: 2\nk_teacher: 2\nactivation: (max(0, r1) + max(0, r2)) / 2\nloss: (yhat - y)^2 / 2\nlabel: (max(0, wstar1) + max(0, wstar2)) / 2\nparameters: { delta: 2, tau: 1 }\n",
        "t.yaml",
      ),
    );
    expect(d.jumps!.map((j) => [j.unit, j.loc, j.size])).toEqual([
      [0, "0", "(max(0, r2) / 2 - y) / 2"],
      [1, "0", "(max(0, r1) / 2 - y) / 2"],
    ]);
    expect(d.sources.jumps).toBeUndefined();
    expect(d.checks.some((c) => /^jumps: 2 size\(s\) match one-sided limits/.test(c))).toBe(true);
  });
});

describe("stable Gaussian CDF functions", () => {
  it("erfc, ncdf, logncdf, invmills: accurate in the tails", () => {
    expect(erfc(0.3)).toBeCloseTo(1 - erf(0.3), 15);
    expect(erfc(10) / 2.088487583762545e-45).toBeCloseTo(1, 12);
    expect(ncdf(-30) / 4.906713927148187e-198).toBeCloseTo(1, 12);
    expect(logncdf(-40)).toBeCloseTo(-804.6084420137538, 9);
    expect(logncdf(3)).toBeCloseTo(Math.log(0.9986501019683699), 15);
    expect(invmills(-1e3) / 1000.000999994).toBeCloseTo(1, 9);
    expect(invmills(0)).toBeCloseTo(2 / Math.sqrt(2 * Math.PI), 15);
    // continuity across the branch point a = 2.5
    const x0 = -2.5 * Math.SQRT2;
    expect(logncdf(x0 + 1e-12)).toBeCloseTo(logncdf(x0 - 1e-12), 10);
    expect(invmills(x0 + 1e-12)).toBeCloseTo(invmills(x0 - 1e-12), 10);
  });

  it("the probit loss -log((1 + erf(y r / sqrt(2))) / 2) stays finite at any r", () => {
    const d = scalar("-log((1 + erf(y * yhat / sqrt(2))) / 2)", "sign(wstar + sigma * eps)");
    expect(d.text.l).toBe("-y * invmills(y * r)");
    for (const r of [-1e3, -40, -8, 0, 8, 40, 1e3]) {
      const v = [d.fns.loss(r, 1), d.fns.l(r, 1), d.fns.dl(r, 1)];
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(d.fns.loss(-40, 1)).toBeCloseTo(804.6084420137538, 9);
    expect(d.fns.l(-1e3, 1)).toBeCloseTo(-1000.000999994, 6);
    expect(d.checks).toContain("loss, l, dl finite for |r| up to 1e3");
  });
});

describe("finiteness far out (scalar models as vector ones)", () => {
  it("an unstable form gets a note naming the point; the stable probit form does not", () => {
    const bad = scalar("-log(sigmoid(y * yhat) * 0 + exp(-r^2))", "sign(wstar + sigma * eps)");
    expect(bad.checks.some((c) => /^note: loss, l or dl is not finite at r = -?1000/.test(c))).toBe(true);
    const probit = scalar("-log((1 + erf(y * yhat / sqrt(2))) / 2)", "sign(wstar + sigma * eps)");
    expect(probit.checks.some((c) => c.startsWith("note: loss"))).toBe(false);
  });
});
