// The DmftSystem of every shipped model: which special cases and dynamics apply, the model's own
// derivatives substituted into the equations, and every display / inline formula rendering with KaTeX.
import katex from "katex";
import { describe, expect, it } from "vitest";
import { buildDmftSystem, type DmftSystem } from "../src/dmft/index.js";
import { parseModel } from "../src/model/load.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import { UsageError } from "../src/util/errors.js";
import { SHIPPED_MODELS } from "./helpers/shared.js";

const MODELS = SHIPPED_MODELS;
const systems = new Map<string, DmftSystem>(
  MODELS.map((m) => [m, buildDmftSystem(loadDerived(`models/${m}.yaml`))]),
);
const sys = (m: string) => systems.get(m)!;

/** Every TeX fragment of a system with whether it is a display. */
function fragments(s: DmftSystem): Array<{ tex: string; display: boolean }> {
  const out: Array<{ tex: string; display: boolean }> = [];
  const inl = (parts: Array<string | { math: string } | { user: string }>) => {
    for (const x of parts)
      if (typeof x !== "string" && "math" in x) out.push({ tex: x.math, display: false });
  };
  for (const sec of s.sections) {
    for (const piece of sec.title.split("$").filter((_, i) => i % 2 === 1))
      out.push({ tex: piece, display: false });
    for (const b of sec.blocks) {
      if (b.kind === "display") out.push({ tex: b.tex, display: true });
      else if (b.kind === "p") inl(b.content);
      else for (const row of b.rows) for (const cell of row) inl(cell);
    }
  }
  for (const k of s.kernels)
    out.push({ tex: k.definition, display: true }, { tex: k.discrete, display: true });
  for (const o of s.observables) out.push({ tex: o.tex, display: true });
  for (const t of Object.values(s.increments)) out.push({ tex: t, display: true });
  for (const f of Object.values(s.functions)) out.push({ tex: f.latex, display: true });
  out.push({ tex: s.special.online.dm, display: true }, { tex: s.special.online.dq, display: true });
  for (const sym of s.symbols) out.push({ tex: sym.tex, display: false });
  return out;
}

describe("buildDmftSystem", () => {
  it.each(MODELS)("%s: every display and inline formula renders with KaTeX (throwOnError, strict)", (m) => {
    const frags = fragments(sys(m));
    expect(frags.filter((f) => f.display).length).toBeGreaterThan(30);
    for (const f of frags) {
      expect(() =>
        katex.renderToString(f.tex, { displayMode: f.display, throwOnError: true, strict: "error" }),
      ).not.toThrow();
    }
  });

  it("linear regression: closed equations, exact solver, sgd-limit = sgf, b(y) substituted", () => {
    const s = sys("linear-regression");
    expect(s.special.linear).toEqual({ a: 1, aTex: "1", bTex: "-y", lambda: 0.05 });
    expect(s.defaultSolver).toBe("exact-linear");
    expect(s.special.sgdLimitEqualsSgf).toBe(true);
    expect(s.special.spectralOracle).toBe(true);
    expect(s.special.binaryLabels).toBe(false);
    expect(s.observables.map((o) => o.name)).toEqual(["train_loss", "q", "m", "test_loss"]);
    expect(s.special.online.closed).toBe(true);
    expect(s.special.online.dm).toBe("-\\lambda\\,m - \\mathbb{E}\\Big[w^*\\,\\left(w - y\\right)\\Big]");
    expect(s.special.online.dq).toBe(
      "-2\\lambda\\,q - 2\\,\\mathbb{E}\\Big[w\\,\\left(w - y\\right)\\Big] + \\tau\\,\\mathbb{E}\\Big[\\left(w - y\\right)^2\\Big]",
    );
  });

  it("logistic regression: Monte Carlo, test error, the model's l substituted in the online ODEs", () => {
    const s = sys("logistic-regression");
    expect(s.special.linear).toBeNull();
    expect(s.defaultSolver).toBe("mc");
    expect(s.special.sgdLimitEqualsSgf).toBe(false);
    expect(s.special.binaryLabels).toBe(true);
    expect(s.observables.map((o) => o.name)).toContain("test_error");
    expect(s.special.online).toMatchObject({ closed: true, lambda: 0.05 });
    expect(s.special.online.dm).toContain("\\operatorname{sigmoid}\\left(-y w\\right)");
    expect(s.special.online.dq).toContain("\\tau\\,\\mathbb{E}");
    expect(s.functions.l.latex).toBe("-y \\operatorname{sigmoid}\\left(-y r\\right)");
    expect(s.dynamics).toEqual(["sgf", "gd", "sgd-limit", "sgd", "online"]);
    expect(Object.keys(s.increments)).toEqual(["sgf", "gd", "sgd-limit"]);
  });

  it("every shipped model has the seven kernels, and the noise cross term in C_Y", () => {
    for (const m of MODELS) {
      const s = sys(m);
      expect(s.kernels.map((k) => k.name)).toEqual([
        "C_theta",
        "m",
        "R_theta",
        "R_l_loc",
        "R_l",
        "Gamma",
        "C_Y",
      ]);
      const dmft = s.sections.find((x) => x.id === "dmft")!;
      const tex = dmft.blocks.map((b) => (b.kind === "display" ? b.tex : "")).join("\n");
      expect(tex).toContain("- \\sqrt{\\frac{\\tau}{\\delta}}\\Big(");
      expect(s.sections.map((x) => x.id)).toEqual([
        "notation",
        "model",
        "derivatives",
        "sgf",
        "dmft",
        "kernels",
        "scheme",
        "special",
        "special-gf",
        "special-linear",
        "special-online",
        "references",
      ]);
    }
  });

  it("tau = 0: gradient flow, only gd and online dynamics", () => {
    const s = buildDmftSystem(loadDerived("models/logistic-regression.yaml", { tau: 0 }));
    expect(s.special.gradientFlow).toBe(true);
    expect(s.dynamics).toEqual(["gd", "online"]);
    expect(Object.keys(s.increments)).toEqual(["gd"]);
    expect(sys("logistic-regression").special.gradientFlow).toBe(false);
  });

  it("a non-quadratic penalty: online moment equations written with h, not closed", () => {
    const yaml = [
      "name: soft-penalty",
      "description: logistic loss with a pseudo-Huber penalty",
      "loss: log(1 + exp(-y * yhat))",
      "label: sign(wstar)",
      "penalty: lambda * (sqrt(1 + theta^2) - 1)",
      "parameters: { delta: 2, tau: 0.5, lambda: 0.1 }",
    ].join("\n");
    const s = buildDmftSystem(derive(parseModel(yaml, "mem.yaml")));
    expect(s.special.online.closed).toBe(false);
    expect(s.special.online.lambda).toBeNull();
    expect(s.special.online.dm).toContain("\\mathbb{E}\\Big[\\theta^*\\,");
    expect(s.special.linear).toBeNull();
    for (const f of fragments(s))
      expect(() => katex.renderToString(f.tex, { throwOnError: true })).not.toThrow();
  });

  it("a loss whose third derivative is a Dirac delta (squared hinge) is written out without it", () => {
    const yaml = [
      "name: squared-hinge",
      "description: squared hinge loss",
      "loss: max(0, 1 - y * yhat)^2 / 2",
      "label: sign(wstar)",
      "penalty: lambda / 2 * theta^2",
      "parameters: { delta: 2, tau: 0.5, lambda: 0.1 }",
    ].join("\n");
    const s = buildDmftSystem(derive(parseModel(yaml, "mem.yaml")));
    expect(s.special.linear).toBeNull();
    const derivs = s.sections.find((x) => x.id === "derivatives")!;
    expect(JSON.stringify(derivs.blocks)).toContain("\\\\text{not representable (a Dirac delta)}");
    for (const f of fragments(s))
      expect(() => katex.renderToString(f.tex, { throwOnError: true })).not.toThrow();
  });

  it("refuses k > 1 with a UsageError", () => {
    const d = loadDerived("models/linear-regression.yaml");
    expect(() => buildDmftSystem({ ...d, model: { ...d.model, k: 2 } })).toThrow(UsageError);
  });
});
