// Document sections 1–4 (scalar and vector models alike, through a Notation): notation, the model, its
// derivatives, and the SGF with its relation to SGD.
import { aligned, display, eqLines, p, section, table } from "./blocks.js";
import { type Ctx, type Notation, type SymbolRow, texNum } from "./notation.js";
import type { Block, Section } from "./types.js";

/** The table of symbols (`meaning`: prose with $...$ inline math): shared rows and the notation's own. */
export function symbolTable(n: Notation): SymbolRow[] {
  const row = (tex: string, meaning: string): SymbolRow => ({ tex, meaning });
  const s = n.symbols;
  const KK = "K \\times K";
  return [
    row("n,\\ d,\\ \\delta = n/d", "samples, dimension, samples per dimension"),
    ...s.units,
    row("x_i \\sim \\mathcal{N}(0, I_d/d)", "data rows"),
    ...s.parameters,
    row("y = \\varphi(w^*, \\varepsilon)", "label, with noise $\\varepsilon \\sim \\mathcal{N}(0, 1)$"),
    row("L(r; y)", `per-sample loss (through the ${s.lossThrough})`),
    ...s.derivatives,
    row("\\tau = \\eta / B", "SGF noise level (learning rate over batch size)"),
    row("B^t,\\ d\\xi^t", `per-sample ${n.scalar}Brownian motion and increment`),
    row(`w^t,\\ Y^t${n.inRK}`, "Gaussian fields of the two effective processes"),
    row(
      "C_\\theta,\\ m,\\ R_\\theta",
      `parameter-side correlation${n.size(KK)}, overlap${n.size("K \\times K^*")}, response${n.size(KK)}`,
    ),
    row(
      "R_\\ell^{\\mathrm{loc}},\\ R_\\ell,\\ \\Gamma",
      `prediction-side responses${n.size(KK, KK, "K \\times K^*")}`,
    ),
    ...s.overlaps,
    row("D,\\ t_k = kD,\\ N", "time step, grid, number of steps"),
  ];
}

export function notationSection(n: Notation): Section {
  return section("notation", "Notation", 1, [
    table(
      ["Symbol", "Meaning"],
      symbolTable(n).map((s) => [`$${s.tex}$`, s.meaning]),
    ),
    ...n.notationNotes,
  ]);
}

const ROLES: Record<string, string> = {
  delta: "samples per dimension $n/d$",
  tau: "SGF noise level $\\tau = \\eta/B$",
};

/** The model's parameters with their values (or schedules, issue 16) and roles. */
export function parameterTable(c: Ctx): Block {
  const sched = c.derived.schedule;
  const params = Object.entries(c.derived.model.parameters).map(([k, v]) => [
    `$${c.mt.param(k)}${sched?.names.includes(k) ? "(t)" : ""}$`,
    sched?.names.includes(k) ? `$${sched.latex[k]}$` : `$${texNum(v)}$`,
    ROLES[k] ?? "model parameter",
  ]);
  return table(["Symbol", "Value", "Role"], params);
}

/** "\tau(t)" when tau is scheduled (issue 16), else "\tau". */
export function tauTex(c: Ctx): string {
  return c.derived.schedule?.names.includes("tau") ? "\\tau(t)" : "\\tau";
}

/** "h_t" when a penalty parameter is scheduled (the seed paper's h_t), else "h". */
function hTex(c: Ctx): string {
  const s = c.derived.schedule;
  return s?.names.some((n) => n !== "tau" && !s.inLoss.includes(n)) ? "h_t" : "h";
}

/**
 * Schedules (issue 16): the equations hold with every scheduled parameter replaced by its value at the left
 * end of the step (the seed paper's time-dependent h_t and l_t); empty without schedules.
 */
function scheduleBlocks(c: Ctx): Block[] {
  const sched = c.derived.schedule;
  if (!sched) return [];
  const names = sched.names.map((n) => `$${c.mt.param(n)}(t)$`).join(", ");
  return [
    p(
      `Schedules: ${names} change with time (the seed paper's time-dependent $h_t$, $l_t$). Every equation ` +
        "below holds with each scheduled parameter at its current value: in continuous time at $t$, in the " +
        "discrete scheme at the left end $t_k = k\\,D$ of step $k$ (a switch point counts as after the switch, " +
        "and must lie on the grid). The noise increments have variance $\\tau(t_k)\\,D/\\delta$.",
    ),
  ];
}

export function modelSection(c: Ctx, n: Notation): Section {
  const { derived } = c;
  const m = derived.model;
  return section("model", "Model", 1, [
    p("Model ", { user: m.name }, ": ", { user: m.description }, "."),
    p(n.modelSetup),
    aligned([
      ...n.modelLines,
      `y = \\varphi(w^*, \\varepsilon) &= ${n.label}`,
      `\\mathrm{pen}(\\theta) &= ${derived.latex.pen}`,
    ]),
    p(`${n.initText}; teacher variance $\\rho^* = ${texNum(c.rhoStar)}$. Parameters:`),
    parameterTable(c),
    ...scheduleBlocks(c),
  ]);
}

export function derivativesSection(c: Ctx, n: Notation): Section {
  const { derived, mt } = c;
  const defs: Record<string, string> = {
    sigmoid: "$\\operatorname{sigmoid}(x) = 1/(1 + e^{-x})$",
    softplus: "$\\operatorname{softplus}(x) = \\log(1 + e^{x})$",
  };
  const helpers = mt.helpers();
  const helperText = helpers.length > 0 ? ` Here ${helpers.map((f) => defs[f]).join(" and ")}.` : "";
  const labels = derived.binaryLabels
    ? `The labels take values in $\\{-1, +1\\}$, so the test error${n.testErrorNote} is reported.`
    : "The labels are real-valued (no test error).";
  return section("derivatives", "Derivatives", 1, [
    p(
      "Computed symbolically from the model and cross-checked numerically by the symbolic stage: " +
        n.derivativesList +
        helperText,
    ),
    ...n.derivativeBlocks,
    aligned([
      ...n.derivativeLines,
      ...eqLines("h(\\theta)", mt.split("h")),
      ...eqLines("h'(\\theta)", mt.split("dh")),
    ]),
    p(n.responsesNote, " ", labels),
  ]);
}

export function sgfSection(c: Ctx, n: Notation): Section {
  const relation = n.multilinear
    ? `For this model $\\ell$ is ${n.linearWord} in $r$, so the predictions are multilinear in the noise ` +
      "increments and only their first two moments matter: SGF and the SGD limit have the same DMFT."
    : "For this model $\\ell$ is nonlinear in $r$, so SGF and the SGD limit differ at larger $\\tau$; the toolkit " +
      "solves both (dynamics sgf and sgd-limit).";
  const gf = c.tau === 0 ? " Here $\\tau = 0$: the dynamics is gradient flow (no noise)." : "";
  const P = n.Theta;
  return section("sgf", "Stochastic gradient flow and SGD", 1, [
    p(
      `The stochastic gradient flow (Itô)${n.sgfOf}, with one scalar Brownian motion $B_i$ per sample` +
        `${n.sgfSharedBy}:`,
    ),
    n.sgfSde(hTex(c), tauTex(c)),
    p(
      `with ${n.sgfWith(hTex(c))} for this model, $\\delta = ${texNum(c.delta)}$, ` +
        (tauTex(c) === "\\tau"
          ? `$\\tau = ${texNum(c.tau)}$.${gf}`
          : `$\\tau(t)$ as in the parameter table.`),
    ),
    p(
      `Minibatch SGD on $\\frac{1}{n}\\sum_i L(r_i; y_i) + \\frac{1}{d}${n.penSum}$ with ` +
        "learning rate $\\eta$ and batches $\\mathcal{B}$ of size $B$ drawn uniformly,",
    ),
    display(
      `${P} \\leftarrow ${P} - \\frac{\\eta}{d}\\,h(${P}) - \\frac{\\eta}{B}\\sum_{i \\in \\mathcal{B}} x_i\\,\\ell(r_i; y_i)${n.T},`,
    ),
    p(
      "runs $d/\\eta$ steps per unit of SGF time, and $\\tau = \\eta/B$. SGF is its diffusion approximation: each " +
        `sample is picked at rate $1/(\\tau\\delta)$ per unit time and each pick moves its own ${n.prediction} by ` +
        "about $-\\tau\\ell$. At fixed $\\tau$ with $B \\ll n$ the SGD limit is a Poisson jump process (Fan and " +
        "Wang, arXiv 2601.21093) with the same first two noise moments as SGF. ",
      relation,
    ),
  ]);
}
