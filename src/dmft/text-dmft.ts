// Document sections 5–6: the continuous-time DMFT system (prediction side, parameter side, covariance of
// Y with its noise cross term, observables) and the kernels with their defining expectations.
import { aligned, display, eqLines, expectChunks, p } from "./blocks.js";
import { jumpBlocks } from "./text-jumps.js";
import { type Ctx, initTex, tauTex, texNum } from "./text-model.js";
import type { KernelSpec, Section } from "./types.js";

const E = "\\mathbb{E}";

/**
 * The seven kernels with their defining expectations. Vector models (K > 1 or K* > 1) use the matrix forms:
 * outer products with a transpose, the Hessian H for the curvature l', the identity I_K for R_theta(s+, s).
 */
export function kernelSpecs(vector: boolean): KernelSpec[] {
  const T = vector ? "^\\top" : "";
  const outer = (a: string, b: string) => (vector ? `${a}(${b})${T}` : `${a}${b}`);
  const curv = (r: string) => (vector ? `H(${r}; y)` : `\\ell'(${r}; y)`);
  const noiseProduct = vector
    ? `(\\ell_k\\,d\\xi_k)(\\ell_j\\,d\\xi_j)${T}`
    : "\\ell_k\\,d\\xi_k\\,\\ell_j\\,d\\xi_j";
  return [
    {
      name: "C_theta",
      symbol: "C_\\theta(t,s)",
      side: "parameter",
      times: 2,
      definition: `${E}[${outer("\\theta^t", "\\theta^s")}]`,
      discrete: `C_\\theta[k,j] = ${E}[\\theta_k\\theta_j${T}]`,
    },
    {
      name: "m",
      symbol: "m(t)",
      side: "parameter",
      times: 1,
      definition: `${E}[${outer("\\theta^t", "\\theta^*")}]`,
      discrete: `m_k = ${E}[${outer("\\theta_k", "\\theta^*")}]`,
    },
    {
      name: "R_theta",
      symbol: "R_\\theta(t,s)",
      side: "parameter",
      times: 2,
      definition: `${E}\\Big[\\frac{\\partial\\theta^t}{\\partial(dY^s)}\\Big],\\ R_\\theta(s^+,s) = ${vector ? "I_K" : "1"}`,
      discrete: `R_\\theta[k,s] = ${E}\\Big[\\frac{\\partial\\theta_k}{\\partial\\nu_s}\\Big]`,
    },
    {
      name: "R_l_loc",
      symbol: "R_\\ell^{\\mathrm{loc}}(t)",
      side: "prediction",
      times: 1,
      definition: `${E}[${curv("r^t")}]`,
      discrete: `\\rho[k,k] = ${E}[${curv("r_k")}]`,
    },
    {
      name: "R_l",
      symbol: "R_\\ell(t,s)",
      side: "prediction",
      times: 2,
      definition: `${E}\\Big[\\frac{\\partial\\ell(r^t; y)}{\\partial w^s}\\Big],\\ s < t`,
      discrete: `\\rho[k,s] = ${E}[${curv("r_k")}\\,J^{(s)}_k] \\approx R_\\ell(t_k, t_s)\\,D`,
    },
    {
      name: "Gamma",
      symbol: "\\Gamma(t)",
      side: "prediction",
      times: 1,
      definition: `${E}\\Big[\\frac{\\partial\\ell(r^t; y)}{\\partial w^*}\\Big]_{w\\ \\mathrm{fixed}}`,
      discrete: `\\Gamma_k`,
    },
    {
      name: "C_Y",
      symbol: "C_Y(t,s)",
      side: "prediction",
      times: 2,
      definition: `\\delta\\,${E}\\Big[\\Big(\\int_0^t \\ell(r^u; y)\\,d\\xi^u\\Big)\\Big(\\int_0^s \\ell(r^v; y)\\,d\\xi^v\\Big)${T}\\Big]`,
      discrete: `\\operatorname{Cov}(\\nu_k, \\nu_j) = \\delta\\,${E}[${noiseProduct}]`,
    },
  ];
}

export const KERNELS = kernelSpecs(false);

/** Whether the noise cross term of C_Y is present for this model (shared by scalar and vector documents). */
export function crossTermNote(tau: number): string {
  return tau === 0
    ? "For this model $\\tau = 0$: only the first term remains."
    : `For this model $\\tau = ${texNum(tau)}$, so the cross term is present.`;
}

export function dmftSection(c: Ctx, observables: string[]): Section {
  const { derived, mt } = c;
  return {
    id: "dmft",
    title: "The DMFT system",
    level: 1,
    blocks: [
      p(
        "As $n, d \\to \\infty$ with $\\delta = n/d$ fixed, one sample and one coordinate decouple into two effective " +
          "processes coupled through the kernels of the next section. One scalar Brownian motion $B$ per " +
          "prediction-side sample drives",
      ),
      display(`d\\xi^t = -\\frac{1}{\\delta}\\,dt + \\sqrt{\\frac{${tauTex(c)}}{\\delta}}\\,dB^t.`),
      p("Prediction side (one sample):"),
      aligned([
        "r^t &= w^t + \\int_0^t R_\\theta(t,s)\\,\\ell(r^s; y)\\,d\\xi^s, \\qquad y = \\varphi(w^*, \\varepsilon),",
        `${E}[w^t w^s] &= C_\\theta(t,s), \\quad ${E}[w^t w^*] = m(t), \\quad ${E}[(w^*)^2] = \\rho^*,`,
      ]),
      p(
        "with $(w^*, w^\\cdot)$ centred Gaussian, $\\varepsilon \\sim \\mathcal{N}(0,1)$ independent, and for this model",
      ),
      aligned([`\\ell(r^s; y) &= ${mt.at("l", "r^{s}")},`, `y &= ${derived.latex.label}.`]),
      p("Parameter side (one coordinate):"),
      display(
        "d\\theta^t = -\\Big[h(\\theta^t) + R_\\ell^{\\mathrm{loc}}(t)\\,\\theta^t + \\int_0^t R_\\ell(t,s)\\,\\theta^s\\,ds " +
          "+ \\Gamma(t)\\,\\theta^*\\Big]dt + dY^t,",
      ),
      p(
        `with $h(\\theta^t) = ${mt.at("h", "\\theta^{t}")}$, ${initTex(c)}, ` +
          "$\\theta^* \\sim \\mathcal{N}(0, \\rho^*)$, and $Y$ a centred Gaussian process independent of " +
          "$(\\theta^0, \\theta^*)$ with covariance",
      ),
      display(`C_Y(t,s) = \\operatorname{Cov}(Y^t, Y^s) = ${KERNELS[6].definition}.`),
      p("Expanding $d\\xi$ and writing $\\ell^u = \\ell(r^u; y)$:"),
      aligned([
        `C_Y(t,s) &= \\frac{1}{\\delta}\\int_0^t\\!\\!\\int_0^s ${E}[\\ell^u\\ell^v]\\,du\\,dv + \\tau\\int_0^{t \\wedge s} ${E}[(\\ell^u)^2]\\,du`,
        `&\\quad - \\sqrt{\\frac{\\tau}{\\delta}}\\Big(${E}\\Big[\\int_0^t \\ell^u\\,du \\int_0^s \\ell^v\\,dB^v\\Big] + ` +
          `${E}\\Big[\\int_0^s \\ell^v\\,dv \\int_0^t \\ell^u\\,dB^u\\Big]\\Big).`,
      ]),
      p(
        "The last term is the noise cross term. A sample's later gradient $\\ell^u$ depends on its own earlier kicks " +
          "$dB^v$ ($v < u$), so it does not vanish; modelling $Y$ as an independent drift field plus independent " +
          "white noise drops it and is wrong by 5–30% in $q$ and the train loss at $\\tau \\approx 0.5$–$1$. The solvers " +
          "estimate $\\delta\\,\\mathbb{E}[(\\ell\\,d\\xi)(\\ell\\,d\\xi)]$ directly on the prediction side, which includes it. ",
        crossTermNote(c.tau),
      ),
      p("Observables:"),
      aligned(observables),
      p(
        "where the test pair $(g, g^*)$ is fresh (no memory terms): the test loss and error are functions of " +
          "$(q(t), m(t))$ only.",
      ),
    ],
  };
}

export function kernelsSection(c: Ctx): Section {
  const { derived, mt } = c;
  const rows = KERNELS.slice(0, 6).map((k) => `${k.symbol} &= ${k.definition} && \\text{(${k.side} side)}`);
  const malliavin = derived.linear
    ? "For this model $\\ell'' = 0$, so this contribution vanishes and the responses are deterministic."
    : (derived.jumps ?? []).length > 0
      ? "For this model $\\ell$ itself jumps, so the jump terms above are the leading correction."
      : mt.expr("d2l") === null
        ? "For this model $\\ell'$ jumps in $r$, so $\\ell''$ contains a Dirac delta (see Derivatives)."
        : "For this model $\\ell''(r; y) \\ne 0$ (see Derivatives), so it is present.";
  return {
    id: "kernels",
    title: "Kernels",
    level: 1,
    blocks: [
      p("Each kernel is an expectation over the side named:"),
      aligned(rows),
      p("For this model the local response is"),
      aligned(eqLines("R_\\ell^{\\mathrm{loc}}(t)", expectChunks(mt.split("dl", "r^{t}")), ".")),
      ...jumpBlocks(derived),
      p(
        "Labels may be discontinuous in $w^*$ (for example a sign teacher), so $\\Gamma$ is obtained from Stein's " +
          "identity rather than by differentiating:",
      ),
      display(
        `${E}[w^*\\,\\ell(r^t; y)] = \\rho^*\\,\\Gamma(t) + R_\\ell^{\\mathrm{loc}}(t)\\,m(t) + \\int_0^t R_\\ell(t,s)\\,m(s)\\,ds.`,
      ),
      p(
        "The tangent $\\partial r^t / \\partial w^s$ contains the white noise $dB$; its average against $\\ell'(r^t; y)$ " +
          "leaves a finite (Malliavin) contribution involving $\\ell''$. The exact discrete tangent of the scheme " +
          "includes it without special treatment. ",
        malliavin,
      ),
    ],
  };
}
