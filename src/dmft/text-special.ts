// Document section 8 (scalar and vector models alike, through a Notation): the special cases as
// specialisations of the system — gradient flow (tau = 0), linear models (closed equations, spectral oracle)
// and the online limit (delta -> infinity ODEs written out with the model's own l and h).
import { aligned, display, p, section } from "./blocks.js";
import { type Ctx, type Notation, texNum } from "./notation.js";
import type { Block, Section } from "./types.js";

const E = "\\mathbb{E}";

/** Gradient flow (tau = 0). */
export function gradientFlowSection(c: Ctx, n: Notation): Section {
  const applies =
    c.tau === 0
      ? "Applies to this model at its parameters ($\\tau = 0$)."
      : `Applies with dynamics gd; this model has $\\tau = ${texNum(c.tau)}$ by default.`;
  return section("special-gf", "Gradient flow ($\\tau = 0$)", 2, [
    p(
      "With $\\tau = 0$ there is no Brownian motion: $d\\xi^t = -dt/\\delta$, the responses carry no noise, and " +
        `$Y$ has ${n.gfCovariance}. This is the gradient-flow DMFT of Celentano, Cheng and Montanari ` +
        "(arXiv 2112.07572). ",
      applies,
    ),
    display(
      `C_Y(t,s) = \\frac{1}{\\delta}\\int_0^t\\!\\!\\int_0^s ${E}[\\ell(r^u; y)\\,\\ell(r^v; y)${n.T}]\\,du\\,dv.`,
    ),
  ]);
}

export function linearSection(c: Ctx, n: Notation): Section {
  const head = (blocks: Block[]) => section("special-linear", "Linear models: closed equations", 2, blocks);
  const lin = n.linear;
  if (!lin) return head([p(n.linearAbsent)]);
  const lamTex = c.derived.latex.dh;
  const lam = lamTex === "\\lambda" || lamTex === texNum(lin.lambda) ? "" : `${lamTex} = `;
  return head([
    p("Applies to this model:"),
    aligned([
      `\\ell(r; y) &= a\\,r + b(y), \\qquad a = ${lin.aTex}, \\quad b(y) = \\ell(0; y) = ${lin.bTex},`,
      `h(\\theta) &= \\lambda\\theta, \\qquad \\lambda = ${lam}${texNum(lin.lambda)}.`,
    ]),
    p(
      "The responses are deterministic and independent of $\\tau$: the mean tangent $\\bar J^{(s)}_k = \\mathbb{E} J^{(s)}_k$ " +
        "obeys a closed recursion, because $J^{(s)}_u$ depends only on increments before step $u$:",
    ),
    aligned([
      `\\bar J^{(s)}_s &= 1, \\qquad \\bar J^{(s)}_k = -a\\,\\frac{D}{\\delta}\\sum_{s\\le u<k} R_\\theta[k,u]\\,\\bar J^{(s)}_u,`,
      `\\rho[k,s] &= a\\,\\bar J^{(s)}_k \\ (s<k), \\qquad \\rho[k,k] = a,`,
      `R_\\theta[k+1,s] &= (1 - D\\lambda)\\,R_\\theta[k,s] - D\\sum_{s<u\\le k}\\rho[k,u]\\,R_\\theta[u,s].`,
    ]),
    p(
      "Every prediction $r_k$ is multilinear in the increments $d\\xi_s$, so the two-time second moments " +
        "$C_\\theta[k,j]$, $\\mathbb{E}[r_k r_j]$ and $\\operatorname{Cov}(\\nu_k, \\nu_j)$ close into deterministic causal " +
        "recursions that involve the labels only through $\\mathbb{E}\\,b(y)^2$, $\\mathbb{E}[w^* b(y)]$ and " +
        "$\\mathbb{E}\\,L(0; y)$, and the increments only through their mean $-D/\\delta$ and variance $\\tau D/\\delta$. " +
        "The toolkit solves them exactly (no Monte Carlo, $O(N^3)$), and the sgd-limit system equals the SGF one.",
    ),
    p(
      "Gradient-flow oracle. For $\\tau = 0$ the curves are also spectral integrals over the law $\\nu_\\delta$ of " +
        "the eigenvalues of $S = X^\\top X/\\delta$: Marchenko–Pastur with ratio $1/\\delta$, support " +
        "$[(1 - \\delta^{-1/2})^2, (1 + \\delta^{-1/2})^2]$ and an atom of mass $1 - \\delta$ at $0$ when $\\delta < 1$. " +
        "Write $b(y) = \\beta w^* + \\zeta$ with $\\beta = \\mathbb{E}[w^* b(y)]/\\rho^*$, $\\mathbb{E}[w^*\\zeta] = 0$, " +
        "$\\sigma_b^2 = \\mathbb{E}\\,b(y)^2 - \\beta^2\\rho^*$, and $f_t(s) = (1 - e^{-(\\lambda + a s)t})/(\\lambda + a s)$. Then",
    ),
    aligned([
      `m(t) &= -\\beta\\rho^*\\int s\\,f_t(s)\\,\\nu_\\delta(ds),`,
      `q(t) &= s_0^2\\int e^{-2(\\lambda + a s)t}\\,\\nu_\\delta(ds) + \\beta^2\\rho^*\\int s^2 f_t(s)^2\\,\\nu_\\delta(ds)`,
      `&\\qquad + \\frac{\\sigma_b^2}{\\delta}\\int s\\,f_t(s)^2\\,\\nu_\\delta(ds),`,
      `\\mathcal{L}_{\\mathrm{train}}(t) &= \\mathbb{E}\\,L(0; y) - \\beta^2\\rho^*\\int s^2 f_t(s)\\,\\nu_\\delta(ds) - \\frac{\\sigma_b^2}{\\delta}\\int s\\,f_t(s)\\,\\nu_\\delta(ds)`,
      `&\\qquad + \\frac{a}{2}\\int s\\,\\Big[s_0^2 e^{-2(\\lambda + a s)t} + f_t(s)^2\\Big(\\beta^2\\rho^* s^2 + \\frac{\\sigma_b^2}{\\delta}s\\Big)\\Big]\\,\\nu_\\delta(ds),`,
    ]),
    p(
      "and the test loss follows from $(q, m)$. For Euler steps of size $D$ replace $e^{-(\\lambda + a s)t_k}$ by " +
        "$(1 - D(\\lambda + a s))^k$ (in $f$ as well): the oracle is then exact for the discrete scheme.",
      c.m0 === 0
        ? ""
        : " These formulas are for a cold start; this model's warm start ($m_0 \\ne 0$) is covered by the closed equations above.",
    ),
  ]);
}

export function onlineSection(n: Notation): Section {
  const on = n.online;
  const closure = on.closed
    ? `With $h(\\theta) = \\lambda\\theta$ the ${n.overlapsNoun} obey closed ODEs (Saad–Solla type${n.saadSolla}); ` +
      "for this model"
    : "This model's penalty gradient is not linear, so the moment equations below involve the law of $\\theta$ " +
      `from the parameter-side SDE and do not close in $(${n.q}, ${n.m})$; for this model`;
  return section("special-online", "Online limit ($\\delta \\to \\infty$)", 2, [
    p(
      "At fixed $\\tau$ and $t$, as $\\delta \\to \\infty$ almost every sample is used at most once: the memory terms " +
        "vanish, $r = w$, $R_\\ell \\to 0$, and the parameter side becomes " +
        `$d\\theta = -[h(\\theta) + R_\\ell^{\\mathrm{loc}}\\theta + \\Gamma\\theta^*]\\,dt + ${n.onlineNoise} ` +
        closure,
    ),
    aligned(n.onlineOdes),
    p(`with ${n.onlinePair}, $\\varepsilon \\sim \\mathcal{N}(0, 1)$ independent.${n.onlineEntries}`),
    ...n.onlineDetails,
  ]);
}

export function referencesSection(): Section {
  return section("references", "References", 1, [
    p(
      "K. Nishiyama, M. Imaizumi, High-dimensional limit of stochastic gradient flow via dynamical mean-field " +
        "theory, arXiv 2602.06320 (2026).",
    ),
    p(
      "M. Celentano, C. Cheng, A. Montanari, The high-dimensional asymptotics of first order methods with " +
        "random data, arXiv 2112.07572 (2021).",
    ),
    p(
      "C. Gerbelot, E. Troiani, F. Mignacco, F. Krzakala, L. Zdeborová, Rigorous dynamical mean field theory " +
        "for stochastic gradient descent methods, arXiv 2210.06591 (2022).",
    ),
    p(
      "Z. Fan, L. Wang, High-dimensional learning dynamics of multi-pass stochastic gradient descent in " +
        "multi-index models, arXiv 2601.21093 (2026).",
    ),
  ]);
}
