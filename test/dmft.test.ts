// The DmftSystem of every shipped model: which special cases and dynamics apply, the model's own
// derivatives substituted into the equations, and every display / inline formula rendering with KaTeX;
// the matrix form for vector models (k > 1) on hand-built Derived values (test/fixtures/vector-derived.ts).
import { readFileSync } from "node:fs";
import katex from "katex";
import { describe, expect, it } from "vitest";
import { buildDmftSystem, type DmftSystem } from "../src/dmft/index.js";
import { parseModel } from "../src/model/load.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import { UsageError } from "../src/util/errors.js";
import {
  COMMITTEE_ERF,
  COMMITTEE_LINEAR,
  COMMITTEE_LOGISTIC,
  STUDENT1_TEACHER2,
  vectorDerived,
} from "./fixtures/vector-derived.js";
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
  for (const f of Object.values(s.functions)) if (f) out.push({ tex: f.latex, display: true });
  if (s.vector) {
    const v = s.vector.latex;
    for (const t of [v.loss, v.predict, v.label, ...v.grad, ...v.hess]) out.push({ tex: t, display: true });
  }
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
    expect(s.functions.l?.latex).toBe("-y \\operatorname{sigmoid}\\left(-y r\\right)");
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

  it("non-smooth models: the kernels section writes l = l_ac + sum J H(r - c) and the response's jump term", () => {
    const hinge = JSON.stringify(systems.get("hinge-svm")!.sections.find((x) => x.id === "kernels")!.blocks);
    expect(hinge).toContain(
      "\\\\ell(r; y) &= \\\\ell^{\\\\mathrm{ac}}(r; y) + J_{1}\\\\,H\\\\big(r - c_{1}\\\\big)",
    );
    expect(hinge).toContain("c_{1} &= \\\\frac{1}{y}, \\\\qquad J_{1} = \\\\left|y\\\\right|");
    expect(hinge).toContain("J_{1}\\\\,p_{r^t}\\\\big(c_{1} \\\\mid y\\\\big)");
    const committee = JSON.stringify(
      systems.get("committee-relu")!.sections.find((x) => x.id === "kernels")!.blocks,
    );
    expect(committee).toContain(
      "\\\\ell_{2}(r; y) &= \\\\ell_{2}^{\\\\mathrm{ac}}(r; y) + J_{2}\\\\,H\\\\big(r_{2} - c_{2}\\\\big)",
    );
    const smooth = JSON.stringify(systems.get("logistic-regression")!.sections);
    expect(smooth).not.toContain("mathrm{ac}");
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

  it("refuses k > 1 without the symbolic stage's vector forms (UsageError)", () => {
    const d = loadDerived("models/linear-regression.yaml");
    expect(() => buildDmftSystem({ ...d, model: { ...d.model, k: 2 } })).toThrow(UsageError);
  });
});

describe("buildDmftSystem for vector models (k > 1, hand-built Derived)", () => {
  const erf = buildDmftSystem(vectorDerived(COMMITTEE_ERF));
  const logi = buildDmftSystem(vectorDerived(COMMITTEE_LOGISTIC));
  const texOf = (s: DmftSystem, id: string) => JSON.stringify(s.sections.find((x) => x.id === id)!.blocks);

  const lin = buildDmftSystem(vectorDerived(COMMITTEE_LINEAR));
  const k1 = buildDmftSystem(vectorDerived(STUDENT1_TEACHER2));

  it.each([
    ["erf committee K = K* = 2", erf],
    ["tanh committee K = 3, K* = 1, sign labels, pseudo-Huber penalty", logi],
    ["linear committee K = 2, K* = 1, tau = 0, lambda = 0", lin],
    ["K = 1 student, K* = 2 sign teacher", k1],
  ])("%s: every display and inline formula renders with KaTeX (throwOnError, strict)", (_, s) => {
    const frags = fragments(s);
    expect(frags.filter((f) => f.display).length).toBeGreaterThan(30);
    for (const f of frags)
      expect(() =>
        katex.renderToString(f.tex, { displayMode: f.display, throwOnError: true, strict: "error" }),
      ).not.toThrow();
  });

  it("same sections and kernels as k = 1, matrix definitions, Monte Carlo, no linear case", () => {
    for (const s of [erf, logi]) {
      expect(s.sections.map((x) => x.id)).toEqual(sys("logistic-regression").sections.map((x) => x.id));
      expect(s.kernels.map((k) => k.name)).toEqual(sys("logistic-regression").kernels.map((k) => k.name));
      expect(s.defaultSolver).toBe("mc");
      expect(s.special.linear).toBeNull();
      expect(s.special.spectralOracle).toBe(false);
      expect(s.special.sgdLimitEqualsSgf).toBe(false);
      expect(s.vector).toBeDefined();
      expect(s.functions.l).toBeUndefined();
      expect(s.functions.loss!.text).toBe(s.vector!.text.loss);
    }
    expect(erf.model).toMatchObject({ k: 2, kTeacher: 2 });
    expect(erf.kernels.find((k) => k.name === "C_theta")!.definition).toContain("(\\theta^s)^\\top");
    expect(erf.kernels.find((k) => k.name === "R_l_loc")!.definition).toBe("\\mathbb{E}[H(r^t; y)]");
  });

  it("observables are the overlap entries Q_a_b (a <= b) and M_a_c, test error only for sign labels", () => {
    expect(erf.observables.map((o) => o.name)).toEqual([
      "train_loss",
      "Q_1_1",
      "Q_1_2",
      "Q_2_2",
      "M_1_1",
      "M_1_2",
      "M_2_1",
      "M_2_2",
      "test_loss",
    ]);
    expect(erf.observables.find((o) => o.name === "M_2_1")!.tex).toBe(
      "M_{21}(t) = \\mathbb{E}[\\theta^t_{2}\\,\\theta^*_{1}]",
    );
    const names = logi.observables.map((o) => o.name);
    expect(names).toEqual([
      "train_loss",
      "Q_1_1",
      "Q_1_2",
      "Q_1_3",
      "Q_2_2",
      "Q_2_3",
      "Q_3_3",
      "M_1_1",
      "M_2_1",
      "M_3_1",
      "test_loss",
      "test_error",
    ]);
  });

  it("matrix DMFT: scalar dxi, K x K response on l, C_Y with the noise cross term, Stein in matrix form", () => {
    const dmft = texOf(erf, "dmft");
    expect(dmft).toContain("R_\\\\theta(t,s)\\\\,\\\\ell(r^s; y)\\\\,d\\\\xi^s");
    expect(dmft).toContain("- \\\\sqrt{\\\\frac{\\\\tau}{\\\\delta}}\\\\Big(");
    expect(dmft).toContain("\\\\rho^* I_{K^*}");
    expect(texOf(erf, "kernels")).toContain(
      "\\\\mathbb{E}[\\\\ell(r^t; y)\\\\,(w^*)^\\\\top] = \\\\rho^*\\\\,\\\\Gamma(t)",
    );
    const scheme = texOf(erf, "scheme");
    expect(scheme).toContain("J^{(s)}_s &= I_K");
    expect(scheme).toContain("R_\\\\theta[k,u]\\\\,H(r_u; y)\\\\,J^{(s)}_u\\\\,d\\\\xi_u");
    expect(scheme).toContain("(1 - D\\\\,\\\\lambda)\\\\,R_\\\\theta[k,s]");
    expect(texOf(logi, "scheme")).toContain("\\\\nabla h(\\\\theta_k)");
  });

  it("derivatives: the model's gradient vector and Hessian from Derived.vector, with pmatrix", () => {
    const d = vectorDerived(COMMITTEE_ERF);
    const der = erf.sections.find((x) => x.id === "derivatives")!.blocks;
    const displays = der.flatMap((b) => (b.kind === "display" ? [b.tex] : []));
    // The gradient entries are short enough to sit inside the pmatrix; the Hessian is listed entry by entry.
    expect(displays[0]).toBe(
      `\\ell(r; y) = \\nabla_r L(r; y) = \\begin{pmatrix} \\displaystyle ${d.vector!.latex.grad[0]} \\\\[2ex] \\displaystyle ${d.vector!.latex.grad[1]} \\end{pmatrix}.`,
    );
    expect(displays[1]).toContain("\\begin{pmatrix} H_{11} & H_{12} \\\\ H_{21} & H_{22} \\end{pmatrix}");
    expect(displays[2]).toContain(`H_{12} &= ${d.vector!.latex.hess[1]},`);
    expect(displays[2]).not.toContain("H_{21} &=");
  });

  it("H constant in r: full pmatrix, sgd-limit = sgf, no Malliavin term; K = 1 student: no 1 x 1 matrices", () => {
    expect(texOf(lin, "derivatives")).toContain(
      "\\\\begin{pmatrix} \\\\displaystyle \\\\frac{1}{4} & \\\\displaystyle \\\\frac{1}{4} \\\\\\\\[2ex]",
    );
    expect(lin.special).toMatchObject({ gradientFlow: true, sgdLimitEqualsSgf: true, linear: null });
    expect(lin.dynamics).toEqual(["gd", "online"]);
    expect(texOf(lin, "kernels")).toContain("so this contribution vanishes");
    expect(lin.special.online).toMatchObject({ closed: true, lambda: 0 });
    expect(k1.observables.map((o) => o.name)).toEqual([
      "train_loss",
      "Q_1_1",
      "M_1_1",
      "M_1_2",
      "test_loss",
      "test_error",
    ]);
    expect(texOf(k1, "derivatives")).not.toContain("pmatrix");
    expect(texOf(k1, "special-online")).toContain("\\\\tanh\\\\left(w\\\\right)");
  });

  it("a gradient entry too long to typeset stays a short note at r = w", () => {
    const d = vectorDerived(COMMITTEE_ERF);
    d.vector!.latex.grad[1] = "\\text{(too long to typeset: 12345 characters)}";
    const online = texOf(buildDmftSystem(d), "special-online");
    expect(online).toContain("\\\\ell_{2}(w; y) &= \\\\ell_{2}(r; y)\\\\big|_{r = w}.");
    expect(online).toContain("\\\\ell_{1}(w; y) &= \\\\frac{");
  });

  it("online limit: matrix Saad–Solla ODEs with the ridge and the model's gradient at r = w", () => {
    expect(erf.special.online).toMatchObject({ closed: true, lambda: 0.01 });
    expect(erf.special.online.dm).toBe("-\\lambda\\,M - \\mathbb{E}\\big[\\ell(w; y)\\,(w^*)^\\top\\big]");
    expect(erf.special.online.dq).toBe(
      "-2\\lambda\\,Q - \\mathbb{E}\\big[w\\,\\ell(w; y)^\\top\\big] - \\mathbb{E}\\big[\\ell(w; y)\\,w^\\top\\big] + " +
        "\\tau\\,\\mathbb{E}\\big[\\ell(w; y)\\,\\ell(w; y)^\\top\\big]",
    );
    const online = texOf(erf, "special-online");
    expect(online).toContain("\\\\ell_{1}(w; y) &= ");
    expect(online).toContain("\\\\operatorname{erf}\\\\left(\\\\frac{{w_{1}}}{\\\\sqrt{2}}\\\\right)");
    expect(online).not.toContain("{r_{1}}");
    expect(logi.special.online).toMatchObject({ closed: false, lambda: null });
    expect(logi.special.online.dm).toContain("h(\\theta)\\,(\\theta^*)^\\top");
  });
});

describe("one document for scalar and vector models (issue 20: one Notation interface)", () => {
  const texOfSection = (s: DmftSystem, id: string) =>
    JSON.stringify(s.sections.find((x) => x.id === id)!.blocks);
  /** A section's shape: its block kinds in order (paragraph, display, table). */
  const skeleton = (sec: DmftSystem["sections"][number]) => sec.blocks.map((b) => b.kind);
  /** Sections the shared builder writes with no notation-owned blocks (kernels: models without jumps in l). */
  const SHARED = ["model", "sgf", "dmft", "kernels", "special", "special-gf", "references"];
  const pairs: Array<[string, DmftSystem, DmftSystem]> = [
    ["logistic-regression ~ committee-erf", sys("logistic-regression"), sys("committee-erf")],
    ["linear-regression ~ committee-softplus", sys("linear-regression"), sys("committee-softplus")],
    [
      "tanh-regression ~ K = 1 student, K* = 2",
      sys("tanh-regression"),
      buildDmftSystem(vectorDerived(STUDENT1_TEACHER2)),
    ],
  ];

  it.each(pairs)("%s: same sections, titles and levels; same block skeleton", (_, a, b) => {
    expect(a.vector).toBeUndefined();
    expect(b.vector).toBeDefined();
    const head = (s: DmftSystem) => s.sections.map((x) => [x.id, x.title, x.level]);
    expect(head(b)).toEqual(head(a));
    for (const [sa, sb] of a.sections.map((x, i) => [x, b.sections[i]])) {
      const [ka, kb] = [skeleton(sa), skeleton(sb)];
      if (SHARED.includes(sa.id)) expect(kb, sa.id).toEqual(ka);
      // Notation-owned blocks follow (derivative displays, the scheme's model lines, the online details);
      // the closed linear equations are the scalar notation's only.
      else if (sa.id !== "special-linear") expect(kb[0], sa.id).toBe(ka[0]);
    }
    expect(b.kernels.map((k) => [k.name, k.side, k.times])).toEqual(
      a.kernels.map((k) => [k.name, k.side, k.times]),
    );
    const rows = (s: DmftSystem) => [s.symbols[0], ...s.symbols.slice(-1)];
    expect(rows(b)).toEqual(rows(a));
  });

  it("schedules (issue 16) are written the same way: the schedule paragraph and tau(t) in a committee model too", () => {
    const text = readFileSync("models/committee-erf.yaml", "utf8").replace(
      "tau: 0.5",
      'tau: "t < 3 ? 1 : 0.1"',
    );
    const scheduled = [
      buildDmftSystem(derive(parseModel(text, "committee-erf-scheduled.yaml"))),
      sys("logistic-lr-drop"),
    ];
    for (const s of scheduled) {
      expect(texOfSection(s, "model")).toContain("Schedules: ");
      expect(texOfSection(s, "sgf")).toContain("\\\\sqrt{\\\\frac{\\\\tau(t)}{\\\\delta}}");
      expect(texOfSection(s, "sgf")).toContain(" as in the parameter table");
      expect(texOfSection(s, "dmft")).toContain("\\\\frac{\\\\tau(t)}{\\\\delta}");
    }
    expect(scheduled[0].vector).toBeDefined();
  });
});
