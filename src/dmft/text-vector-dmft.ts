// Document sections 5–8 for vector models (theory note §6, the matrix version of §3–5): the DMFT system
// with K x K kernels, the kernels, the discrete scheme with Hessian tangents, and the special cases
// (gradient flow, the online matrix ODEs with the model's gradient substituted).

import { overlapNames } from "../observables/names.js";
import type { Dynamics, ObservableName } from "../types.js";
import { aligned, display, p } from "./blocks.js";
import { crossTermNote, kernelSpecs } from "./text-dmft.js";
import { jumpBlocks } from "./text-jumps.js";
import { initTex, texNum } from "./text-model.js";
import { INCREMENTS, responseUpdate } from "./text-scheme.js";
import type { VCtx } from "./text-vector.js";
import type { Section } from "./types.js";
import { pair } from "./vector-tex.js";

const E = "\\mathbb{E}";
const T = "^\\top";

export const VECTOR_KERNELS = kernelSpecs(true);

const SIZES: Record<string, string> = {
  C_theta: "K \\times K",
  m: "K \\times K^*",
  R_theta: "K \\times K",
  R_l_loc: "K \\times K",
  R_l: "K \\times K",
  Gamma: "K \\times K^*",
};

const PAIR_COV = "\\begin{pmatrix} Q(t) & M(t) \\\\ M(t)^\\top & \\rho^* I_{K^*} \\end{pmatrix}";

/** Observables: the document lines (matrix form) and the reported names (entry by entry). */
export function vectorObservables(c: VCtx): {
  lines: string[];
  list: { name: ObservableName; tex: string }[];
} {
  const test = `${E}\\,L\\big(g; \\varphi(g^*, \\varepsilon)\\big), \\qquad (g, g^*) \\sim \\mathcal{N}\\Big(0, ${PAIR_COV}\\Big)`;
  const err = "\\mathbb{P}\\big(\\operatorname{sign}(\\hat{y}(g)) \\ne \\varphi(g^*, \\varepsilon)\\big)";
  const list: { name: ObservableName; tex: string }[] = [
    { name: "train_loss", tex: `\\mathcal{L}_{\\mathrm{train}}(t) = ${E}\\,L(r^t; y)` },
  ];
  for (const o of overlapNames(c.vt.k, c.vt.kT)) {
    const ij = pair(o.a + 1, o.b + 1);
    const rhs =
      o.matrix === "Q" ? `C_\\theta(t,t)_{${ij}}` : `${E}[\\theta^t_{${o.a + 1}}\\,\\theta^*_{${o.b + 1}}]`;
    list.push({ name: o.name, tex: `${o.matrix}_{${ij}}(t) = ${rhs}` });
  }
  list.push({ name: "test_loss", tex: `\\mathcal{L}_{\\mathrm{test}}(t) = ${test}` });
  if (c.derived.binaryLabels)
    list.push({ name: "test_error", tex: `\\mathcal{E}_{\\mathrm{test}}(t) = ${err}` });
  const lines = [
    `\\mathcal{L}_{\\mathrm{train}}(t) &= ${E}\\,L(r^t; y),`,
    `Q(t) &= C_\\theta(t,t) \\in \\mathbb{R}^{K \\times K}, \\qquad M(t) = m(t) \\in \\mathbb{R}^{K \\times K^*},`,
    `\\mathcal{L}_{\\mathrm{test}}(t) &= ${E}\\,L\\big(g; \\varphi(g^*, \\varepsilon)\\big),`,
    `(g, g^*) &\\sim \\mathcal{N}\\Big(0, ${PAIR_COV}\\Big)${c.derived.binaryLabels ? "," : "."}`,
  ];
  if (c.derived.binaryLabels) lines.push(`\\mathcal{E}_{\\mathrm{test}}(t) &= ${err}.`);
  return { lines, list };
}

export function vectorDmftSection(c: VCtx, observables: string[]): Section {
  const { mt } = c;
  return {
    id: "dmft",
    title: "The DMFT system",
    level: 1,
    blocks: [
      p(
        "As $n, d \\to \\infty$ with $\\delta = n/d$ and $K, K^*$ fixed, one sample and one coordinate (a row of " +
          "$\\Theta$, as a column $\\theta \\in \\mathbb{R}^K$) decouple into two effective processes coupled through the " +
          "matrix kernels of the next section. One scalar Brownian motion $B$ per prediction-side sample, shared by " +
          "the $K$ components, drives",
      ),
      display("d\\xi^t = -\\frac{1}{\\delta}\\,dt + \\sqrt{\\frac{\\tau}{\\delta}}\\,dB^t."),
      p("Prediction side (one sample, $r^t, w^t \\in \\mathbb{R}^K$, $w^* \\in \\mathbb{R}^{K^*}$):"),
      aligned([
        "r^t &= w^t + \\int_0^t R_\\theta(t,s)\\,\\ell(r^s; y)\\,d\\xi^s, \\qquad y = \\varphi(w^*, \\varepsilon),",
        `${E}[w^t (w^s)${T}] &= C_\\theta(t,s), \\quad ${E}[w^t (w^*)${T}] = m(t), \\quad ${E}[w^* (w^*)${T}] = \\rho^* I_{K^*},`,
      ]),
      p(
        "with $(w^*, w^\\cdot)$ centred Gaussian, $\\varepsilon \\sim \\mathcal{N}(0,1)$ independent, the $K \\times K$ " +
          "response $R_\\theta(t,s)$ acting on the gradient $\\ell \\in \\mathbb{R}^K$ of Derivatives, and for this model",
      ),
      display(`y = ${c.vt.forms.latex.label}.`),
      p(
        "Parameter side (one coordinate, $\\theta^t \\in \\mathbb{R}^K$, $\\theta^* \\in \\mathbb{R}^{K^*}$):",
      ),
      display(
        "d\\theta^t = -\\Big[h(\\theta^t) + R_\\ell^{\\mathrm{loc}}(t)\\,\\theta^t + \\int_0^t R_\\ell(t,s)\\,\\theta^s\\,ds " +
          "+ \\Gamma(t)\\,\\theta^*\\Big]dt + dY^t,",
      ),
      p(
        `with $h$ entry by entry, $h(\\theta_a) = ${mt.at("h", "\\theta_a")}$, ${initTex(c, "s_0^2 I_K")}, ` +
          "$\\theta^* \\sim \\mathcal{N}(0, \\rho^* I_{K^*})$, and $Y$ a centred Gaussian process in $\\mathbb{R}^K$ " +
          "independent of $(\\theta^0, \\theta^*)$ with the $K \\times K$ matrix covariance",
      ),
      display(`C_Y(t,s) = \\operatorname{Cov}(Y^t, Y^s) = ${VECTOR_KERNELS[6].definition}.`),
      p("Expanding $d\\xi$ and writing $\\ell^u = \\ell(r^u; y)$:"),
      aligned([
        `C_Y(t,s) &= \\frac{1}{\\delta}\\int_0^t\\!\\!\\int_0^s ${E}[\\ell^u(\\ell^v)${T}]\\,du\\,dv + \\tau\\int_0^{t \\wedge s} ${E}[\\ell^u(\\ell^u)${T}]\\,du`,
        `&\\quad - \\sqrt{\\frac{\\tau}{\\delta}}\\Big(${E}\\Big[\\int_0^t \\ell^u\\,du \\Big(\\int_0^s \\ell^v\\,dB^v\\Big)${T}\\Big]`,
        `&\\qquad + ${E}\\Big[\\int_0^t \\ell^u\\,dB^u \\Big(\\int_0^s \\ell^v\\,dv\\Big)${T}\\Big]\\Big).`,
      ]),
      p(
        "The last term is the noise cross term. A sample's later gradient $\\ell^u$ depends on its own earlier kicks " +
          "$dB^v$ ($v < u$), so it does not vanish; modelling $Y$ as an independent drift field plus independent " +
          "white noise drops it and is wrong by 5–30% in the overlaps and the train loss at $\\tau \\approx 0.5$–$1$. " +
          "The solvers estimate $\\delta\\,\\mathbb{E}[(\\ell\\,d\\xi)(\\ell\\,d\\xi)^\\top]$ directly on the prediction side, " +
          "which includes it. ",
        crossTermNote(c.tau),
      ),
      p("Observables:"),
      aligned(observables),
      p(
        "where the test pair $(g, g^*)$ is fresh (no memory terms): the test loss and error are functions of " +
          "$(Q(t), M(t))$ only. The overlaps are reported entry by entry: $Q_{ab}$ for $a \\le b$ ($Q$ is symmetric) " +
          "and every $M_{ac}$.",
      ),
    ],
  };
}

export function vectorKernelsSection(c: VCtx): Section {
  const rows = VECTOR_KERNELS.slice(0, 6).map(
    (k) => `${k.symbol} &= ${k.definition} && (${SIZES[k.name]},\\ \\text{${k.side} side})`,
  );
  const malliavin = c.vt.hessianConstant()
    ? "For this model $H$ does not depend on $r$, so this contribution vanishes."
    : "For this model $H$ depends on $r$ (see Derivatives), so it is present.";
  return {
    id: "kernels",
    title: "Kernels",
    level: 1,
    blocks: [
      p("Each kernel is a matrix-valued expectation over the side named:"),
      aligned(rows),
      p("Entry by entry, with the Hessian $H$ of Derivatives in the local response:"),
      aligned([
        `R_\\ell^{\\mathrm{loc}}(t)_{ab} &= ${E}[H_{ab}(r^t; y)],`,
        `R_\\ell(t,s)_{ab} &= ${E}\\Big[\\frac{\\partial\\ell_a(r^t; y)}{\\partial w^s_b}\\Big], \\qquad ` +
          `\\Gamma(t)_{ac} = ${E}\\Big[\\frac{\\partial\\ell_a(r^t; y)}{\\partial w^*_c}\\Big].`,
      ]),
      ...jumpBlocks(c.derived),
      p(
        "Labels may be discontinuous in $w^*$, so $\\Gamma$ is obtained from Stein's identity in matrix form rather " +
          "than by differentiating:",
      ),
      display(
        `${E}[\\ell(r^t; y)\\,(w^*)${T}] = \\rho^*\\,\\Gamma(t) + R_\\ell^{\\mathrm{loc}}(t)\\,m(t) + \\int_0^t R_\\ell(t,s)\\,m(s)\\,ds.`,
      ),
      p(
        "The tangent $\\partial r^t / \\partial w^s$ ($K \\times K$) contains the white noise $dB$; its average against " +
          "$H(r^t; y)$ leaves a finite (Malliavin) contribution involving the third derivatives " +
          "$\\partial^3 L / \\partial r_a \\partial r_b \\partial r_c$. The exact discrete tangent of the scheme includes " +
          "it without special treatment. ",
        malliavin,
      ),
    ],
  };
}

export function vectorSchemeSection(c: VCtx, dynamics: Dynamics[]): Section {
  const { derived } = c;
  const { T: horizon, dt } = derived.model.time;
  const incLines = dynamics
    .filter((d) => INCREMENTS[d] !== undefined)
    .map((d) => `&\\text{${d}:} && ${INCREMENTS[d]}`);
  const rUpdate = responseUpdate(c, "\\nabla h");
  const sgdLimit = c.vt.hessianConstant()
    ? "For this model the predictions are multilinear in the increments, so the sgd-limit system coincides with the SGF one."
    : "For this model $\\ell$ is nonlinear in $r$, so the two systems differ at larger $\\tau$.";
  return {
    id: "scheme",
    title: "Discrete-time scheme",
    level: 1,
    blocks: [
      p(
        "The solvers integrate the exact DMFT of the Euler–Maruyama discretisation of the SGF with step $D$, times " +
          "$t_k = kD$, $k = 0, \\dots, N$, $N = \\operatorname{round}(T/D)$ (model defaults " +
          `$D = ${texNum(dt)}$, $T = ${texNum(horizon)}$), with $K \\times K$ blocks. It matches a finite-$d$ ` +
          "simulation with the same step up to $O(d^{-1/2})$ and Monte-Carlo error. The scalar increments of the " +
          "dynamics available for this model:",
      ),
      aligned(incLines),
      p("Prediction side and parameter side (matrix products):"),
      aligned([
        `r_k &= w_k + \\sum_{s<k} R_\\theta[k,s]\\,\\ell(r_s; y)\\,d\\xi_s,`,
        `\\theta_{k+1} &= \\theta_k - D\\Big[h(\\theta_k) + \\sum_{s\\le k}\\rho[k,s]\\,\\theta_s + \\Gamma_k\\,\\theta^*\\Big] + \\nu_k,`,
        `\\operatorname{Cov}(\\nu_k, \\nu_j) &= \\delta\\,${E}\\big[(\\ell(r_k; y)\\,d\\xi_k)(\\ell(r_j; y)\\,d\\xi_j)${T}\\big],`,
      ]),
      p(
        "where $(w_k)$ is centred Gaussian with the covariances $C_\\theta[k,j]$, $m_k$, $\\rho^* I_{K^*}$ of the parameter " +
          "side. Responses from the exact derivative of the discrete map (tangent $J^{(s)}_k = \\partial r_k/\\partial w_s$, $K \\times K$):",
      ),
      aligned([
        `J^{(s)}_s &= I_K, \\qquad J^{(s)}_k = \\sum_{s\\le u<k} R_\\theta[k,u]\\,H(r_u; y)\\,J^{(s)}_u\\,d\\xi_u,`,
        `\\rho[k,s] &= ${E}\\big[H(r_k; y)\\,J^{(s)}_k\\big], \\qquad \\rho[k,k] = ${E}\\,H(r_k; y),`,
        "R_\\theta[s+1,s] &= I_K,",
        `${rUpdate},`,
        `${E}[\\ell(r_k; y)\\,(w^*)${T}] &= \\rho^*\\,\\Gamma_k + \\sum_{s\\le k}\\rho[k,s]\\,m_s \\qquad \\text{(Stein; defines } \\Gamma_k\\text{)},`,
      ]),
      p(
        `with $H$ the model's Hessian (Derivatives), $\\nabla h(\\theta) = \\operatorname{diag}(h'(\\theta_a))$ and ` +
          `$h'(\\theta) = ${derived.latex.dh}$.`,
      ),
      p(
        "Causality: every kernel at step $k$ needs only steps $\\le k$. The system is solved in one forward pass over " +
          "a population of prediction-side and parameter-side samples: at step $k$, $w_k$ and $\\nu_k$ are drawn " +
          "conditionally on the past by extending a lower-triangular factor of the empirical covariance by one block " +
          "row; no fixed-point iteration or damping is needed. Tangents cost $O(MN^3K^3)$ for $M$ samples, everything " +
          "else $O(MN^2K^2)$; the discretisation error is $O(D)$ and is removed by step halving (Richardson extrapolation).",
      ),
      p(
        "Observables on the grid: $Q_k = C_\\theta[k,k]$, $M_k = m_k$, and the train loss " +
          "$\\mathcal{L}_{\\mathrm{train}}(t_k) = \\mathbb{E}\\,L(r_k; y)$ with $L$ as in Model.",
      ),
      p(
        "SGD limit. Replacing the SGF increment by $d\\xi_k = -\\tau P_k$ with $P_k \\sim \\operatorname{Poisson}(D/(\\tau\\delta))$, " +
          "all other formulas unchanged (including the noise covariance), gives the DMFT of small-batch SGD: each " +
          "sample is picked at rate $1/(\\tau\\delta)$ and each pick adds $-\\tau\\ell$ to its own pre-activation. Both " +
          "increments have mean $-D/\\delta$ and variance $\\tau D/\\delta$. ",
        sgdLimit,
      ),
    ],
  };
}
