// Document sections 5–6 (scalar and vector models alike, through a Notation): the continuous-time DMFT
// system (prediction side, parameter side, covariance of Y with its noise cross term, observables) and the
// kernels with their defining expectations.
import { aligned, display, p, section } from "./blocks.js";
import { type Ctx, initTex, type Notation, texNum } from "./notation.js";
import { jumpBlocks } from "./text-jumps.js";
import { tauTex } from "./text-model.js";
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

function crossTermNote(tau: number): string {
  return tau === 0
    ? "For this model $\\tau = 0$: only the first term remains."
    : `For this model $\\tau = ${texNum(tau)}$, so the cross term is present.`;
}

export function dmftSection(c: Ctx, n: Notation): Section {
  const d = n.dmft;
  return section("dmft", "The DMFT system", 1, [
    p(
      `As $n, d \\to \\infty$ with $\\delta = n/d$${d.fixed} fixed, one sample and one coordinate${d.coordinate} ` +
        `decouple into two effective processes coupled through the ${n.matrix}kernels of the next section. One ` +
        `scalar Brownian motion $B$ per prediction-side sample${d.sharedBy} drives`,
    ),
    display(`d\\xi^t = -\\frac{1}{\\delta}\\,dt + \\sqrt{\\frac{${tauTex(c)}}{\\delta}}\\,dB^t.`),
    p(`Prediction side (one sample${d.sampleDims}):`),
    aligned([
      "r^t &= w^t + \\int_0^t R_\\theta(t,s)\\,\\ell(r^s; y)\\,d\\xi^s, \\qquad y = \\varphi(w^*, \\varepsilon),",
      d.fieldCovariances,
    ]),
    p(
      "with $(w^*, w^\\cdot)$ centred Gaussian, $\\varepsilon \\sim \\mathcal{N}(0,1)$ independent, " +
        `${d.responseActs}and for this model`,
    ),
    d.modelBlock,
    p(`Parameter side (one coordinate${d.coordinateDims}):`),
    display(
      "d\\theta^t = -\\Big[h(\\theta^t) + R_\\ell^{\\mathrm{loc}}(t)\\,\\theta^t + \\int_0^t R_\\ell(t,s)\\,\\theta^s\\,ds " +
        "+ \\Gamma(t)\\,\\theta^*\\Big]dt + dY^t,",
    ),
    p(
      `with ${d.hAt}, ${initTex(c, n.initCov)}, $\\theta^* \\sim \\mathcal{N}(0, ${n.rhoCov})$, and $Y$ a centred ` +
        `Gaussian process${d.inRKText} independent of $(\\theta^0, \\theta^*)$ with ${d.covariance}`,
    ),
    display(`C_Y(t,s) = \\operatorname{Cov}(Y^t, Y^s) = ${n.kernels[6].definition}.`),
    p("Expanding $d\\xi$ and writing $\\ell^u = \\ell(r^u; y)$:"),
    aligned(d.cyExpansion),
    p(
      "The last term is the noise cross term. A sample's later gradient $\\ell^u$ depends on its own earlier kicks " +
        "$dB^v$ ($v < u$), so it does not vanish; modelling $Y$ as an independent drift field plus independent " +
        `white noise drops it and is wrong by 5–30% in ${d.overlapsWord} and the train loss at ` +
        "$\\tau \\approx 0.5$–$1$. The solvers estimate " +
        `$\\delta\\,\\mathbb{E}[(\\ell\\,d\\xi)(\\ell\\,d\\xi)${n.T}]$ directly on the prediction side, which includes it. `,
      crossTermNote(c.tau),
    ),
    p("Observables:"),
    aligned(n.observables.lines),
    p(
      "where the test pair $(g, g^*)$ is fresh (no memory terms): the test loss and error are functions of " +
        `$(${n.q}(t), ${n.m}(t))$ only.${d.entryNote}`,
    ),
  ]);
}

export function kernelsSection(c: Ctx, n: Notation): Section {
  const rows = n.kernels
    .slice(0, 6)
    .map((k) => `${k.symbol} &= ${k.definition} && ${n.kernelNote(k.name, k.side)}`);
  return section("kernels", "Kernels", 1, [
    p(`Each kernel is ${n.expectation} over the side named:`),
    aligned(rows),
    ...n.localResponse,
    ...jumpBlocks(c.derived),
    p(
      `Labels may be discontinuous in $w^*$${n.steinExample}, so $\\Gamma$ is obtained from Stein's identity` +
        `${n.steinForm} rather than by differentiating:`,
    ),
    display(
      `${E}[${n.steinPair("r^t")}] = \\rho^*\\,\\Gamma(t) + R_\\ell^{\\mathrm{loc}}(t)\\,m(t) + \\int_0^t R_\\ell(t,s)\\,m(s)\\,ds.`,
    ),
    p(
      `The tangent $\\partial r^t / \\partial w^s$${n.size("K \\times K")} contains the white noise $dB$; its average ` +
        `against $${n.curv("r^t")}$ leaves a finite (Malliavin) contribution involving ${n.thirdDerivative}. The ` +
        "exact discrete tangent of the scheme includes it without special treatment. ",
      n.malliavinNote,
    ),
  ]);
}
