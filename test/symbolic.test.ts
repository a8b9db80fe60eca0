// Symbolic core: shipped models derive and pass their cross-checks; stability of the compiled logistic
// gradient far out; whitelist and anti-smuggling errors; kink conventions; code generation and rebuild.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel, parseModel } from "../src/model/load.js";
import { checkSource, compileSource, erf, rebuildFns, sigmoid, softplus } from "../src/symbolic/compile.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import { math } from "../src/symbolic/mathjs.js";
import { RunError, UsageError } from "../src/util/errors.js";
import { SHIPPED_MODELS } from "./helpers/shared.js";

const ALL_MODELS = readdirSync("models").filter((f) => f.endsWith(".yaml"));
/** The k = kTeacher = 1 models; vector models (k > 1) are covered by symbolic-vector.test.ts. */
const MODELS = ALL_MODELS.filter((f) => {
  const m = loadModel(`models/${f}`);
  return m.k === 1 && m.kTeacher === 1;
});

function model(loss: string, extra = "", label = "wstar + sigma * eps") {
  return parseModel(
    `name: t\ndescription: test\nloss: "${loss}"\nlabel: "${label}"\n${extra}parameters: { delta: 2, tau: 1, sigma: 0.3 }\n`,
    "t.yaml",
  );
}
function usage(loss: string, extra = "", label?: string): string {
  try {
    derive(model(loss, extra, label));
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("shipped models", () => {
  it("ships the k = 1 models of issues 3, 14 and 16 (+ the committees of issues 7, 14); the shared list names the folder", () => {
    expect([...ALL_MODELS].sort()).toEqual(SHIPPED_MODELS.map((name) => `${name}.yaml`).sort());
    expect(MODELS).toHaveLength(10);
  });

  it.each(MODELS)("%s derives and passes the finite-difference and stability checks", (file) => {
    const d = loadDerived(`models/${file}`);
    // Non-smooth models (l jumps): d2l is not derived (no solver needs it); mathjs lacks max/sign.
    const smooth = (d.jumps ?? []).length === 0;
    const derivs = smooth ? (["l", "dl", "d2l"] as const) : (["l", "dl"] as const);
    for (const name of derivs)
      expect(d.checks.some((c) => c.startsWith(`${name} = `) && c.includes("finite difference"))).toBe(true);
    expect(d.checks).toContain("loss, l, dl finite for |r| up to 1e3");
    expect(d.checks.some((c) => c.startsWith("h = pen'"))).toBe(true);
    // every model here is supported by mathjs's derivative as well
    expect(d.checks.filter((c) => c.includes("matches mathjs derivative")).length).toBeGreaterThanOrEqual(
      smooth ? 5 : 2,
    );
    // the sources rebuild into the same functions, and contain the parameters as literals only
    const again = rebuildFns(d.sources);
    for (const [r, y] of [
      [0.3, 1],
      [-1.7, -0.4],
    ])
      for (const name of ["loss", ...derivs] as const) expect(again[name](r, y)).toBe(d.fns[name](r, y));
    expect(Object.values(d.sources).join(" ")).not.toMatch(/lambda|sigma|delta/);
  });

  it("classifies binary labels and linear models", () => {
    const props = Object.fromEntries(
      MODELS.map((f) => {
        const d = loadDerived(`models/${f}`);
        return [d.model.name, [d.binaryLabels, d.linear]];
      }),
    );
    expect(props["logistic-regression"]).toEqual([true, false]);
    expect(props["linear-regression"]).toEqual([false, true]);
    expect(props["phase-retrieval"]).toEqual([false, false]);
    expect(props["pseudo-huber-regression"]).toEqual([false, false]);
    expect(props["tanh-regression"]).toEqual([false, false]);
  });

  it("derives the expected closed forms", () => {
    const lin = loadDerived("models/linear-regression.yaml");
    expect([lin.text.l, lin.text.dl, lin.text.d2l, lin.text.h, lin.text.dh]).toEqual([
      "r - y",
      "1",
      "0",
      "lambda * theta",
      "lambda",
    ]);
    const log = loadDerived("models/logistic-regression.yaml");
    expect(log.text.l).toBe("-y * sigmoid(-y * r)");
    expect(log.sources.h).toContain("0.05");
    const pr = loadDerived("models/phase-retrieval.yaml");
    expect([pr.text.l, pr.text.dl, pr.text.d2l]).toEqual(["r * (r^2 - y)", "3 * r^2 - y", "6 * r"]);
  });
});

describe("numerical stability", () => {
  const d = loadDerived("models/logistic-regression.yaml");
  // reference: l = -y sigmoid(-y r), written in the form that does not overflow for each sign
  const ref = (r: number, y: number) => {
    const z = -y * r;
    return -y * (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
  };

  it("logistic l, dl, loss are finite and accurate for |r| up to 1e3", () => {
    for (const r of [-1000, -300, -30, -1, 0, 1e-3, 1, 30, 300, 1000])
      for (const y of [-1, 1]) {
        const l = d.fns.l(r, y);
        expect(Number.isFinite(l)).toBe(true);
        expect(Math.abs(l - ref(r, y))).toBeLessThanOrEqual(1e-14 * Math.abs(ref(r, y)) + 1e-300);
        expect(Number.isFinite(d.fns.dl(r, y))).toBe(true);
        expect(d.fns.dl(r, y)).toBeGreaterThanOrEqual(0);
        expect(Math.abs(d.fns.loss(r, y) - softplus(-y * r))).toBe(0);
      }
    expect(d.fns.loss(-1000, 1)).toBe(1000);
    expect(d.fns.l(30, 1)).toBeCloseTo(-9.357622968839299e-14, 27);
    // the naive symbolic form overflows where the rewritten one does not
    const naive = math.derivative("log(1 + exp(-y * r))", "r").compile();
    expect(Number.isNaN(naive.evaluate({ r: -1000, y: 1 }))).toBe(true);
  });

  it("helpers: erf to 1e-14 against mathjs, sigmoid/softplus without overflow", () => {
    for (let x = -7; x <= 7; x += 0.0625)
      expect(Math.abs(erf(x) - (math.erf(x) as number))).toBeLessThan(1e-14);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
  });
});

describe("whitelist and safety", () => {
  it("names unknown symbols and functions with the file line", () => {
    expect(usage("log(1 + exp(-y * r * foo))")).toMatch(
      /^t\.yaml:3: loss: unknown symbol 'foo' \(allowed here: yhat, r, y, delta, tau, sigma/,
    );
    expect(usage("cos(r)")).toMatch(/unknown function 'cos'/);
    expect(usage("(r - y)^2", "", "wstar + theta")).toMatch(/^t\.yaml:4: label: unknown symbol 'theta'/);
    expect(usage("(r - y)^2", "penalty: r^2\n")).toMatch(/^t\.yaml:5: penalty: unknown symbol 'r'/);
    expect(usage("(r - y)^2", "activation: tanh(y)\n")).toMatch(/activation: unknown symbol 'y'/);
  });

  it("rejects misused whitelisted functions", () => {
    expect(usage("exp(1, 2)")).toMatch(/exp takes 1 argument, got 2/);
    expect(usage("max(r)")).toMatch(/max takes 2 arguments, got 1/);
    expect(usage("log(r, 2)")).toMatch(/log takes 1 argument/);
    expect(usage("exp")).toMatch(/function 'exp' used without arguments/);
  });

  it("refuses attempts to smuggle JavaScript", () => {
    expect(usage("constructor")).toMatch(/unknown symbol 'constructor'/);
    expect(usage("process")).toMatch(/unknown symbol 'process'/);
    expect(usage("this")).toMatch(/unknown symbol 'this'/);
    expect(usage("__proto__")).toMatch(/unknown symbol '__proto__'/);
    expect(usage("r.constructor")).toMatch(/unsupported construct 'r.constructor'/);
    expect(usage("process.exit(1)")).toMatch(/unsupported call/);
    expect(usage("constructor(r)")).toMatch(/unknown function 'constructor'/);
    expect(usage("r[1]")).toMatch(/unsupported construct/);
    expect(usage("x = 3")).toMatch(/unsupported construct/);
    expect(usage("f(x) = x")).toMatch(/unsupported construct/);
    expect(usage("'abc'")).toMatch(/not a finite number/);
    expect(usage("r!")).toMatch(/operator '!' is not allowed/);
    expect(usage("r == y")).toMatch(/operator '==' is not allowed/);
    expect(usage("log(")).toMatch(/cannot parse/);
  });

  it("compiles only sources made of codegen's vocabulary", () => {
    expect(() => checkSource("(r, y) => { return process.exit(1); }")).toThrow(/identifier 'process'/);
    expect(() => checkSource("(r, y) => r.constructor")).toThrow(/identifier 'constructor'|property access/);
    expect(() => checkSource("(r, y) => `x`")).toThrow(/rejected/);
    expect(() => checkSource('(r, y) => "a" + r')).not.toThrow();
    expect(compileSource("(r, y) => {\n  const t0 = Math.exp(r);\n  return (t0 * y);\n}")(0, 3)).toBe(3);
  });
});

describe("kinks and Dirac deltas", () => {
  it("refuses only what cannot be handled: a loss that jumps (l has a Dirac delta), a jump in pen'", () => {
    expect(usage("sign(r - y)")).toMatch(
      /loss: L jumps where r - y = 0 \(size 2\), so l = dL\/dr has a Dirac delta/,
    );
    expect(usage("(r - y)^2", "penalty: abs(theta)\n")).toMatch(
      /penalty: h = pen' jumps where theta = 0 \(size 2\).*not supported/,
    );
    expect(usage("(r - y)^2", "penalty: (theta > 1)\n")).toMatch(/penalty: pen jumps/);
  });

  it("squared hinge: l and dl by the documented conventions, d2l throws only when called", () => {
    const d = derive(model("max(0, 1 - y * r)^2 / 2", "", "sign(wstar)"));
    expect(d.text.l).toBe("-y * max(0, 1 - y * r)");
    expect(d.text.dl).toBe("y^2 * (1 + sign(1 - y * r)) / 2");
    expect(d.text.d2l).toMatch(/^unsupported: .*Dirac delta/);
    expect(d.fns.dl(0.5, 1)).toBe(1);
    expect(d.fns.dl(1, 1)).toBe(0.5); // sign(0) = 0: the average at the kink
    expect(d.fns.dl(2, 1)).toBe(0);
    expect(() => d.fns.d2l(0.5, 1)).toThrow(RunError);
    expect(() => rebuildFns(d.sources).d2l(0.5, 1)).toThrow(/d2l of this model is unsupported/);
    expect(d.linear).toBe(false);
  });

  it("uses |u|' = sign(u) with u sign(u) = |u|", () => {
    const d = derive(model("(r - y) * abs(r - y) / 2"));
    expect(d.text.l).toBe("abs(r - y)");
    expect(d.text.dl).toBe("sign(r - y)");
    expect(d.fns.dl(1, 1)).toBe(0);
  });

  it("differentiates through the activation (chain rule) and every whitelisted function", () => {
    const d = derive(
      model(
        "softplus(yhat) - y * yhat + log1p(yhat^2) + sqrt(2 + cosh(yhat)) + sinh(yhat) / 9 + min(yhat, 0)^3 + sigma * erf(yhat) + sigmoid(yhat) + exp(-yhat^2) * pi + e^yhat / 9",
        "activation: tanh(2 * r) + r / 3\n",
      ),
    );
    // finite-difference checks ran for all three loss derivatives
    expect(d.checks.filter((c) => c.includes("finite difference"))).toHaveLength(5);
    expect(d.checks.some((c) => c.startsWith("loss: stable rewrite"))).toBe(true);
  });
});

describe("domain", () => {
  it("rejects a model that is not finite at typical points", () => {
    expect(usage("log(r - 10)")).toMatch(/^t\.yaml: loss is NaN at r = .*must be finite/);
    expect(usage("(r - y)^2", "", "sqrt(wstar)")).toMatch(/label is NaN/);
    expect(usage("(r - y)^2", "penalty: log(theta)\n")).toMatch(/pen is NaN at theta = /);
  });
});
