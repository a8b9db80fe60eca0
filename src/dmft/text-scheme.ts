// Document section 7 (scalar and vector models alike, through a Notation): the discrete-time scheme the
// solvers integrate (theory note §5), its increments for each dynamics (sgf, gd, sgd-limit), and the causal
// one-pass structure.
import type { Dynamics } from "../types.js";
import { aligned, p, section } from "./blocks.js";
import { factor } from "./model-tex.js";
import { type Ctx, type Notation, texNum } from "./notation.js";
import type { Section } from "./types.js";

const E = "\\mathbb{E}";

/** The increment d xi_k of each dynamics the DMFT solvers integrate. */
export const INCREMENTS: Partial<Record<Dynamics, string>> = {
  sgf: "d\\xi_k = -\\frac{D}{\\delta} + \\sqrt{\\frac{\\tau}{\\delta}}\\,\\Delta B_k, \\quad \\Delta B_k \\sim \\mathcal{N}(0, D)",
  gd: "d\\xi_k = -\\frac{D}{\\delta}",
  "sgd-limit":
    "d\\xi_k = -\\tau P_k, \\quad P_k \\sim \\operatorname{Poisson}\\Big(\\frac{D}{\\tau\\delta}\\Big)",
};

/** The R_theta recursion: deterministic for a ridge penalty, else averaged tangents (`hPrime`: h' or nabla h). */
export function responseUpdate(c: Ctx, hPrime: string): string {
  return c.ridge !== null
    ? `R_\\theta[k+1,s] &= (1 - D\\,${factor(c.derived.latex.dh)})\\,R_\\theta[k,s] - D\\sum_{s<u\\le k}\\rho[k,u]\\,R_\\theta[u,s]`
    : `R_\\theta[k+1,s] &= R_\\theta[k,s] - D\\Big(${E}\\Big[${hPrime}(\\theta_k)\\,\\frac{\\partial\\theta_k}{\\partial\\nu_s}\\Big] + \\sum_{s<u\\le k}\\rho[k,u]\\,R_\\theta[u,s]\\Big)`;
}

export function schemeSection(c: Ctx, n: Notation, dynamics: Dynamics[]): Section {
  const { T, dt } = c.derived.model.time;
  const s = n.scheme;
  const incLines = dynamics
    .filter((d) => INCREMENTS[d] !== undefined)
    .map((d) => `&\\text{${d}:} && ${INCREMENTS[d]}`);
  const sgdLimit = n.multilinear
    ? "For this model the predictions are multilinear in the increments, so the sgd-limit system coincides with the SGF one."
    : "For this model $\\ell$ is nonlinear in $r$, so the two systems differ at larger $\\tau$.";
  return section("scheme", "Discrete-time scheme", 1, [
    p(
      "The solvers integrate the exact DMFT of the Euler–Maruyama discretisation of the SGF with step $D$, times " +
        "$t_k = kD$, $k = 0, \\dots, N$, $N = \\operatorname{round}(T/D)$ (model defaults " +
        `$D = ${texNum(dt)}$, $T = ${texNum(T)}$)${s.blocks}. It matches a finite-$d$ simulation with the same ` +
        `step up to $O(d^{-1/2})$ and Monte-Carlo error. The ${n.scalar}increments of the dynamics available for ` +
        "this model:",
    ),
    aligned(incLines),
    p(`Prediction side and parameter side${s.sides}:`),
    aligned([
      `r_k &= w_k + \\sum_{s<k} R_\\theta[k,s]\\,\\ell(r_s; y)\\,d\\xi_s,`,
      `\\theta_{k+1} &= \\theta_k - D\\Big[h(\\theta_k) + \\sum_{s\\le k}\\rho[k,s]\\,\\theta_s + \\Gamma_k\\,\\theta^*\\Big] + \\nu_k,`,
      `\\operatorname{Cov}(\\nu_k, \\nu_j) &= \\delta\\,${E}${s.noiseCov},`,
    ]),
    p(
      `where $(w_k)$ is centred Gaussian with the covariances $C_\\theta[k,j]$, $m_k$, $${n.rhoCov}$ of the parameter ` +
        `side. Responses from the exact derivative of the discrete map (tangent $${s.tangent}$):`,
    ),
    aligned([
      `J^{(s)}_s &= ${n.id}, \\qquad J^{(s)}_k = \\sum_{s\\le u<k} R_\\theta[k,u]\\,${n.curv("r_u")}\\,J^{(s)}_u\\,d\\xi_u,`,
      `\\rho[k,s] &= ${E}\\big[${n.curv("r_k")}\\,J^{(s)}_k\\big], \\qquad \\rho[k,k] = ${E}\\,${n.curv("r_k")},`,
      `R_\\theta[s+1,s] &= ${n.id},`,
      `${responseUpdate(c, s.hPrime)},`,
      `${E}[${n.steinPair("r_k")}] &= \\rho^*\\,\\Gamma_k + \\sum_{s\\le k}\\rho[k,s]\\,m_s \\qquad \\text{(Stein; defines } \\Gamma_k\\text{)},`,
    ]),
    ...s.modelBlocks,
    p(
      "Causality: every kernel at step $k$ needs only steps $\\le k$. The system is solved in one forward pass over " +
        "a population of prediction-side and parameter-side samples: at step $k$, $w_k$ and $\\nu_k$ are drawn " +
        `conditionally on the past by extending a lower-triangular factor of the empirical covariance by one ${s.blockRow}` +
        `row; no fixed-point iteration or damping is needed. Tangents cost $O(MN^3${s.cost(3)})$ for $M$ samples, ` +
        `everything else $O(MN^2${s.cost(2)})$; the discretisation error is $O(D)$ and is removed by step halving ` +
        "(Richardson extrapolation).",
    ),
    ...s.gridObservables,
    p(
      "SGD limit. Replacing the SGF increment by $d\\xi_k = -\\tau P_k$ with $P_k \\sim \\operatorname{Poisson}(D/(\\tau\\delta))$, " +
        "all other formulas unchanged (including the noise covariance), gives the DMFT of small-batch SGD: each " +
        `sample is picked at rate $1/(\\tau\\delta)$ and each pick adds $-\\tau\\ell$ to its own ${n.prediction}. Both ` +
        "increments have mean $-D/\\delta$ and variance $\\tau D/\\delta$. ",
      sgdLimit,
    ),
  ]);
}
