// Document sections 1–4: notation, the model, its derivatives, and the SGF with its relation to SGD.
import type { Derived } from "../types.js";
import { aligned, display, eqLines, p, table } from "./blocks.js";
import type { ModelTex } from "./model-tex.js";
import type { Block, Section } from "./types.js";

export interface Ctx {
  derived: Derived;
  mt: ModelTex;
  delta: number;
  tau: number;
  rhoStar: number;
  s0: number;
  /** Warm start m0 (init_overlap): theta^0 = m0 theta* + s0 xi. */
  m0: number;
  /** lambda when h(theta) = lambda theta. */
  ridge: number | null;
}

/** A number as LaTeX (scientific notation as a power of ten). */
export function texNum(v: number): string {
  const s = String(Math.abs(v));
  const m = /^(\d+(?:\.\d+)?)e([+-]\d+)$/.exec(s);
  const body = m ? `${m[1]} \\times 10^{${Number(m[2])}}` : s;
  return v < 0 ? `-${body}` : body;
}

/** The law of theta^0 inline (`cov`: the covariance of the cold start, s_0^2 or s_0^2 I_K). */
export function initTex(c: Ctx, cov = "s_0^2"): string {
  return c.m0 === 0
    ? `$\\theta^0 \\sim \\mathcal{N}(0, ${cov})$`
    : `$\\theta^0 = m_0\\theta^* + \\xi$, $\\xi \\sim \\mathcal{N}(0, ${cov})$ independent of $\\theta^*$`;
}

/** The table of symbols; `meaning` is prose with $...$ inline math. */
export const SYMBOLS: Array<{ tex: string; meaning: string }> = [
  { tex: "n,\\ d,\\ \\delta = n/d", meaning: "samples, dimension, samples per dimension" },
  { tex: "x_i \\sim \\mathcal{N}(0, I_d/d)", meaning: "data rows" },
  { tex: "\\theta,\\ \\theta^*", meaning: "parameters and teacher (one coordinate on the parameter side)" },
  { tex: "\\rho^* = \\mathbb{E}(\\theta^*_j)^2", meaning: "teacher variance" },
  { tex: "r = \\theta^\\top x,\\ w^* = \\theta^{*\\top} x", meaning: "prediction and teacher field" },
  {
    tex: "y = \\varphi(w^*, \\varepsilon)",
    meaning: "label, with noise $\\varepsilon \\sim \\mathcal{N}(0, 1)$",
  },
  { tex: "L(r; y)", meaning: "per-sample loss (through the activation)" },
  { tex: "\\ell = \\partial_r L,\\ \\ell' = \\partial_r^2 L", meaning: "loss gradient and curvature" },
  { tex: "\\mathrm{pen},\\ h = \\mathrm{pen}'", meaning: "per-coordinate penalty and its gradient" },
  { tex: "\\tau = \\eta / B", meaning: "SGF noise level (learning rate over batch size)" },
  { tex: "B^t,\\ d\\xi^t", meaning: "per-sample Brownian motion and increment" },
  { tex: "w^t,\\ Y^t", meaning: "Gaussian fields of the two effective processes" },
  { tex: "C_\\theta,\\ m,\\ R_\\theta", meaning: "parameter-side correlation, overlap, response" },
  { tex: "R_\\ell^{\\mathrm{loc}},\\ R_\\ell,\\ \\Gamma", meaning: "prediction-side responses" },
  { tex: "q(t) = C_\\theta(t,t)", meaning: "squared norm per coordinate" },
  { tex: "D,\\ t_k = kD,\\ N", meaning: "time step, grid, number of steps" },
];

export function notationSection(): Section {
  return {
    id: "notation",
    title: "Notation",
    level: 1,
    blocks: [
      table(
        ["Symbol", "Meaning"],
        SYMBOLS.map((s) => [`$${s.tex}$`, s.meaning]),
      ),
    ],
  };
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

export function modelSection(c: Ctx): Section {
  const { derived, mt } = c;
  const m = derived.model;
  const act = mt.activation();
  const lossY = mt.lossInYhat();
  const lossLines =
    lossY === derived.latex.loss
      ? [`L(r; y) &= ${derived.latex.loss}`]
      : [
          `\\hat{y}(r) &= ${act}`,
          `L(r; y) &= ${lossY}\\,\\Big|_{\\hat{y} = \\hat{y}(r)} = ${derived.latex.loss}`,
        ];
  return {
    id: "model",
    title: "Model",
    level: 1,
    blocks: [
      p("Model ", { user: m.name }, ": ", { user: m.description }, "."),
      p(
        "Rows $x_i \\sim \\mathcal{N}(0, I_d/d)$, $i = 1, \\dots, n$, teacher $\\theta^*_j \\sim \\mathcal{N}(0, \\rho^*)$, " +
          "label noise $\\varepsilon_i \\sim \\mathcal{N}(0, 1)$, predictions $r_i = \\theta^\\top x_i$ and teacher fields " +
          "$w^*_i = \\theta^{*\\top} x_i$. Loss, label and penalty:",
      ),
      aligned([
        ...lossLines,
        `y = \\varphi(w^*, \\varepsilon) &= ${derived.latex.label}`,
        `\\mathrm{pen}(\\theta) &= ${derived.latex.pen}`,
      ]),
      p(
        c.m0 === 0
          ? `Initialisation $\\theta^0_j \\sim \\mathcal{N}(0, s_0^2)$ with $s_0 = ${texNum(c.s0)}$, independent of ` +
              `$\\theta^*$; teacher variance $\\rho^* = ${texNum(c.rhoStar)}$. Parameters:`
          : `Warm initialisation $\\theta^0_j = m_0\\theta^*_j + s_0\\xi_j$, $\\xi_j \\sim \\mathcal{N}(0, 1)$ independent of ` +
              `$\\theta^*$, with $m_0 = ${texNum(c.m0)}$ and $s_0 = ${texNum(c.s0)}$, so $m(0) = m_0\\rho^*$ and ` +
              `$q(0) = m_0^2\\rho^* + s_0^2$; teacher variance $\\rho^* = ${texNum(c.rhoStar)}$. Parameters:`,
      ),
      parameterTable(c),
      ...scheduleBlocks(c),
    ],
  };
}

export function derivativesSection(c: Ctx): Section {
  const { derived, mt } = c;
  const L = derived.latex;
  const why = L.d2l === "0" ? "the penalty is not quadratic" : "$\\ell'$ depends on $r$";
  const linear = derived.linear
    ? "Here $\\ell'$ does not depend on $r$ and the penalty is quadratic: the responses are deterministic and " +
      "the second moments close (see Special cases)."
    : `Here ${why}: the responses are random and the solver estimates them by Monte Carlo.`;
  const defs: Record<string, string> = {
    sigmoid: "$\\operatorname{sigmoid}(x) = 1/(1 + e^{-x})$",
    softplus: "$\\operatorname{softplus}(x) = \\log(1 + e^{x})$",
  };
  const helpers = c.mt.helpers();
  const helperText = helpers.length > 0 ? ` Here ${helpers.map((f) => defs[f]).join(" and ")}.` : "";
  const labels = derived.binaryLabels
    ? "The labels take values in $\\{-1, +1\\}$, so the test error is reported."
    : "The labels are real-valued (no test error).";
  return {
    id: "derivatives",
    title: "Derivatives",
    level: 1,
    blocks: [
      p(
        "Computed symbolically from the model and cross-checked numerically by the symbolic stage: " +
          "$\\ell = \\partial_r L$, $\\ell' = \\partial_r^2 L$, $\\ell'' = \\partial_r^3 L$ and $h = \\mathrm{pen}'$." +
          helperText,
      ),
      aligned([
        ...eqLines("\\ell(r; y)", mt.split("l")),
        ...eqLines("\\ell'(r; y)", mt.split("dl")),
        ...eqLines("\\ell''(r; y)", mt.split("d2l")),
        ...eqLines("h(\\theta)", mt.split("h")),
        ...eqLines("h'(\\theta)", mt.split("dh")),
      ]),
      p(linear, " ", labels),
    ],
  };
}

export function sgfSection(c: Ctx): Section {
  const { derived, mt } = c;
  const relation = derived.linear
    ? "For this model $\\ell$ is linear in $r$, so the predictions are multilinear in the noise increments and only " +
      "their first two moments matter: SGF and the SGD limit have the same DMFT."
    : "For this model $\\ell$ is nonlinear in $r$, so SGF and the SGD limit differ at larger $\\tau$; the toolkit " +
      "solves both (dynamics sgf and sgd-limit).";
  const gf = c.tau === 0 ? " Here $\\tau = 0$: the dynamics is gradient flow (no noise)." : "";
  return {
    id: "sgf",
    title: "Stochastic gradient flow and SGD",
    level: 1,
    blocks: [
      p("The stochastic gradient flow (Itô), with one scalar Brownian motion $B_i$ per sample:"),
      display(
        `d\\theta^t = -\\Big(${hTex(c)}(\\theta^t) + \\frac{1}{\\delta}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)\\Big)dt + ` +
          `\\sqrt{\\frac{${tauTex(c)}}{\\delta}}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)\\,dB_i^t, \\qquad r^t = X\\theta^t,`,
      ),
      p(
        `with $${hTex(c)}(\\theta) = ${mt.at("h", "\\theta")}$ and $\\ell(r; y) = ${mt.at("l", "r")}$ for this model, ` +
          `$\\delta = ${texNum(c.delta)}$, ` +
          (tauTex(c) === "\\tau"
            ? `$\\tau = ${texNum(c.tau)}$.${gf}`
            : `$\\tau(t)$ as in the parameter table.`),
      ),
      p(
        "Minibatch SGD on $\\frac{1}{n}\\sum_i L(r_i; y_i) + \\frac{1}{d}\\sum_j \\mathrm{pen}(\\theta_j)$ with " +
          "learning rate $\\eta$ and batches $\\mathcal{B}$ of size $B$ drawn uniformly,",
      ),
      display(
        "\\theta \\leftarrow \\theta - \\frac{\\eta}{d}\\,h(\\theta) - \\frac{\\eta}{B}\\sum_{i \\in \\mathcal{B}} x_i\\,\\ell(r_i; y_i),",
      ),
      p(
        "runs $d/\\eta$ steps per unit of SGF time, and $\\tau = \\eta/B$. SGF is its diffusion approximation: each " +
          "sample is picked at rate $1/(\\tau\\delta)$ per unit time and each pick moves its own prediction by about " +
          "$-\\tau\\ell$. At fixed $\\tau$ with $B \\ll n$ the SGD limit is a Poisson jump process (Fan and Wang, " +
          "arXiv 2601.21093) with the same first two noise moments as SGF. ",
        relation,
      ),
    ],
  };
}
