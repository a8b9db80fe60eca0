// Document sections 1–4 for vector models (k > 1 or kTeacher > 1: two-layer nets with fixed read-out,
// theory note §6): notation, the model, its gradient vector and Hessian, and the SGF with its relation to SGD.
import { aligned, display, eqLines, p, table } from "./blocks.js";
import { type Ctx, parameterTable, texNum } from "./text-model.js";
import type { Section } from "./types.js";
import type { VectorTex } from "./vector-tex.js";

export interface VCtx extends Ctx {
  vt: VectorTex;
}

/** The table of symbols of the matrix form; `meaning` is prose with $...$ inline math. */
export const VECTOR_SYMBOLS: Array<{ tex: string; meaning: string }> = [
  { tex: "n,\\ d,\\ \\delta = n/d", meaning: "samples, dimension, samples per dimension" },
  { tex: "K,\\ K^*", meaning: "hidden units of the network and of the teacher" },
  { tex: "x_i \\sim \\mathcal{N}(0, I_d/d)", meaning: "data rows" },
  { tex: "\\Theta \\in \\mathbb{R}^{d \\times K},\\ \\Theta^*", meaning: "parameters and teacher" },
  {
    tex: "\\theta \\in \\mathbb{R}^{K},\\ \\theta^* \\in \\mathbb{R}^{K^*}",
    meaning: "one coordinate: a row of $\\Theta$ and of $\\Theta^*$",
  },
  { tex: "\\rho^* = \\mathbb{E}(\\theta^*_{c})^2", meaning: "teacher variance (entries independent)" },
  { tex: "r = \\Theta^\\top x \\in \\mathbb{R}^K", meaning: "pre-activations" },
  { tex: "w^* = \\Theta^{*\\top} x \\in \\mathbb{R}^{K^*}", meaning: "teacher fields" },
  { tex: "\\hat{y}(r)", meaning: "prediction of the network (fixed read-out)" },
  {
    tex: "y = \\varphi(w^*, \\varepsilon)",
    meaning: "label, with noise $\\varepsilon \\sim \\mathcal{N}(0, 1)$",
  },
  { tex: "L(r; y)", meaning: "per-sample loss (through the prediction)" },
  {
    tex: "\\ell = \\nabla_r L \\in \\mathbb{R}^K,\\ H = \\nabla_r^2 L",
    meaning: "loss gradient and Hessian ($K \\times K$)",
  },
  {
    tex: "\\mathrm{pen},\\ h = \\mathrm{pen}'",
    meaning: "penalty on each entry of $\\theta$ and its gradient (entry by entry)",
  },
  { tex: "\\tau = \\eta / B", meaning: "SGF noise level (learning rate over batch size)" },
  { tex: "B^t,\\ d\\xi^t", meaning: "per-sample scalar Brownian motion and increment" },
  { tex: "w^t,\\ Y^t \\in \\mathbb{R}^K", meaning: "Gaussian fields of the two effective processes" },
  {
    tex: "C_\\theta,\\ m,\\ R_\\theta",
    meaning:
      "parameter-side correlation ($K \\times K$), overlap ($K \\times K^*$), response ($K \\times K$)",
  },
  {
    tex: "R_\\ell^{\\mathrm{loc}},\\ R_\\ell,\\ \\Gamma",
    meaning: "prediction-side responses ($K \\times K$, $K \\times K$, $K \\times K^*$)",
  },
  { tex: "Q(t) = C_\\theta(t,t),\\ M(t) = m(t)", meaning: "overlap matrices" },
  { tex: "D,\\ t_k = kD,\\ N", meaning: "time step, grid, number of steps" },
];

export function vectorNotationSection(): Section {
  return {
    id: "notation",
    title: "Notation",
    level: 1,
    blocks: [
      table(
        ["Symbol", "Meaning"],
        VECTOR_SYMBOLS.map((s) => [`$${s.tex}$`, s.meaning]),
      ),
      p(
        "Vectors are columns; $a, b = 1, \\dots, K$ index hidden units and $c = 1, \\dots, K^*$ teacher units. " +
          "The step index of the discrete scheme is $k$.",
      ),
    ],
  };
}

export function vectorModelSection(c: VCtx): Section {
  const { derived, vt } = c;
  const m = derived.model;
  return {
    id: "model",
    title: "Model",
    level: 1,
    blocks: [
      p("Model ", { user: m.name }, ": ", { user: m.description }, "."),
      p(
        `A two-layer network with $K = ${vt.k}$ trained hidden units and a fixed read-out, taught by a teacher with ` +
          `$K^* = ${vt.kT}$ units. Rows $x_i \\sim \\mathcal{N}(0, I_d/d)$, $i = 1, \\dots, n$, parameters ` +
          "$\\Theta \\in \\mathbb{R}^{d \\times K}$, teacher $\\Theta^* \\in \\mathbb{R}^{d \\times K^*}$ with independent " +
          "$\\mathcal{N}(0, \\rho^*)$ entries, label noise $\\varepsilon_i \\sim \\mathcal{N}(0, 1)$, pre-activations " +
          "$r_i = \\Theta^\\top x_i \\in \\mathbb{R}^K$ and teacher fields $w^*_i = \\Theta^{*\\top} x_i \\in \\mathbb{R}^{K^*}$. " +
          "Prediction, loss, label and penalty (the penalty acts on every entry of $\\Theta$):",
      ),
      aligned([
        `\\hat{y}(r) &= ${vt.forms.latex.predict}`,
        ...vt.lossLines(""),
        `y = \\varphi(w^*, \\varepsilon) &= ${vt.forms.latex.label}`,
        `\\mathrm{pen}(\\theta) &= ${derived.latex.pen}`,
      ]),
      p(
        c.m0 === 0
          ? `Initialisation: independent $\\mathcal{N}(0, s_0^2)$ entries with $s_0 = ${texNum(c.s0)}$, independent of ` +
              `$\\Theta^*$; teacher variance $\\rho^* = ${texNum(c.rhoStar)}$. Parameters:`
          : `Warm initialisation $\\Theta^0 = m_0\\Theta^* + s_0\\Xi$ with independent $\\mathcal{N}(0, 1)$ entries of $\\Xi$, ` +
              `$m_0 = ${texNum(c.m0)}$, $s_0 = ${texNum(c.s0)}$ (so $M(0) = m_0\\rho^* I$, $Q(0) = (m_0^2\\rho^* + s_0^2) I$); ` +
              `teacher variance $\\rho^* = ${texNum(c.rhoStar)}$. Parameters:`,
      ),
      parameterTable(c),
    ],
  };
}

export function vectorDerivativesSection(c: VCtx): Section {
  const { derived, mt, vt } = c;
  const defs: Record<string, string> = {
    sigmoid: "$\\operatorname{sigmoid}(x) = 1/(1 + e^{-x})$",
    softplus: "$\\operatorname{softplus}(x) = \\log(1 + e^{x})$",
  };
  const helpers = mt.helpers();
  const helperText = helpers.length > 0 ? ` Here ${helpers.map((f) => defs[f]).join(" and ")}.` : "";
  const random = vt.hessianConstant()
    ? "Here $H$ does not depend on $r$; the toolkit's closed equations are written for $K = 1$ only, so the " +
      "responses are still estimated by Monte Carlo."
    : "Here $H$ depends on $r$: the responses are random and the solver estimates them by Monte Carlo.";
  const labels = derived.binaryLabels
    ? "The labels take values in $\\{-1, +1\\}$, so the test error (the sign of $\\hat{y}$ against $y$) is reported."
    : "The labels are real-valued (no test error).";
  return {
    id: "derivatives",
    title: "Derivatives",
    level: 1,
    blocks: [
      p(
        "Computed symbolically from the model and cross-checked numerically by the symbolic stage: the gradient " +
          "$\\ell = \\nabla_r L$ (a column in $\\mathbb{R}^K$), the Hessian $H = \\nabla_r^2 L$ (symmetric, $K \\times K$) " +
          "and $h = \\mathrm{pen}'$, applied entry by entry, so that $h(\\theta) = (h(\\theta_1), \\dots, h(\\theta_K))^\\top$ " +
          "and $\\nabla h(\\theta) = \\operatorname{diag}(h'(\\theta_1), \\dots, h'(\\theta_K))$." +
          helperText,
      ),
      ...vt.gradientBlocks(),
      ...vt.hessianBlocks(),
      aligned([...eqLines("h(\\theta)", mt.split("h")), ...eqLines("h'(\\theta)", mt.split("dh"))]),
      p(random, " ", labels),
    ],
  };
}

export function vectorSgfSection(c: VCtx): Section {
  const { mt, vt } = c;
  const relation = vt.hessianConstant()
    ? "For this model $\\ell$ is affine in $r$, so the predictions are multilinear in the noise increments and " +
      "only their first two moments matter: SGF and the SGD limit have the same DMFT."
    : "For this model $\\ell$ is nonlinear in $r$, so SGF and the SGD limit differ at larger $\\tau$; the toolkit " +
      "solves both (dynamics sgf and sgd-limit).";
  const gf = c.tau === 0 ? " Here $\\tau = 0$: the dynamics is gradient flow (no noise)." : "";
  return {
    id: "sgf",
    title: "Stochastic gradient flow and SGD",
    level: 1,
    blocks: [
      p(
        "The stochastic gradient flow (Itô) of $\\Theta \\in \\mathbb{R}^{d \\times K}$, with one scalar Brownian motion " +
          "$B_i$ per sample shared by its $K$ gradient entries:",
      ),
      aligned([
        "d\\Theta^t &= -\\Big(h(\\Theta^t) + \\frac{1}{\\delta}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)^\\top\\Big)dt",
        "&\\qquad + \\sqrt{\\frac{\\tau}{\\delta}}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)^\\top dB_i^t, \\qquad r_i^t = \\Theta^{t\\top} x_i,",
      ]),
      p(
        `with $h$ applied entry by entry, $h(\\theta) = ${mt.at("h", "\\theta")}$ for this model, ` +
          `$\\delta = ${texNum(c.delta)}$, $\\tau = ${texNum(c.tau)}$.${gf}`,
      ),
      p(
        "Minibatch SGD on $\\frac{1}{n}\\sum_i L(r_i; y_i) + \\frac{1}{d}\\sum_{j,a} \\mathrm{pen}(\\Theta_{ja})$ with " +
          "learning rate $\\eta$ and batches $\\mathcal{B}$ of size $B$ drawn uniformly,",
      ),
      display(
        "\\Theta \\leftarrow \\Theta - \\frac{\\eta}{d}\\,h(\\Theta) - \\frac{\\eta}{B}\\sum_{i \\in \\mathcal{B}} x_i\\,\\ell(r_i; y_i)^\\top,",
      ),
      p(
        "runs $d/\\eta$ steps per unit of SGF time, and $\\tau = \\eta/B$. SGF is its diffusion approximation: each " +
          "sample is picked at rate $1/(\\tau\\delta)$ per unit time and each pick moves its own pre-activation by about " +
          "$-\\tau\\ell$. At fixed $\\tau$ with $B \\ll n$ the SGD limit is a Poisson jump process (Fan and Wang, " +
          "arXiv 2601.21093) with the same first two noise moments as SGF. ",
        relation,
      ),
    ],
  };
}
