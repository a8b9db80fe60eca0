// Document section 8 for vector models: why the closed linear equations are not used, and the online limit
// (delta -> infinity) as matrix ODEs for Q and M (Saad–Solla type) with the model's gradient written out at
// r = w. (Gradient flow is gradientFlowSection of text-special.ts with vector = true.)
import { aligned, p } from "./blocks.js";
import { factor } from "./model-tex.js";
import type { VCtx } from "./text-vector.js";
import type { OnlineCase, Section } from "./types.js";

const E = "\\mathbb{E}";
const L = "\\ell(w; y)";

export function vectorLinearSection(): Section {
  return {
    id: "special-linear",
    title: "Linear models: closed equations",
    level: 2,
    blocks: [
      p(
        "Not used for this model: the toolkit's closed second-moment equations (and the Marchenko–Pastur oracle) " +
          "are written for $K = K^* = 1$; vector models are solved by Monte Carlo.",
      ),
    ],
  };
}

/** The online matrix ODEs (dm: dM/dt, dq: dQ/dt) with the ridge coefficient substituted when h is linear. */
export function vectorOnlineCase(c: VCtx): OnlineCase {
  const noise = `\\tau\\,${E}\\big[${L}\\,${L}^\\top\\big]`;
  const drift = `${E}\\big[w\\,${L}^\\top\\big] - ${E}\\big[${L}\\,w^\\top\\big]`;
  const lam = c.ridge;
  if (lam !== null) {
    const lt = factor(c.derived.latex.dh);
    const twoLt = /^[\d.]/.test(lt) ? `2 \\cdot ${lt}` : `2${lt}`;
    return {
      closed: true,
      lambda: lam,
      dm: `${lam === 0 ? "" : `-${lt}\\,M `}- ${E}\\big[${L}\\,(w^*)^\\top\\big]`,
      dq: `${lam === 0 ? "" : `-${twoLt}\\,Q `}- ${drift} + ${noise}`,
    };
  }
  return {
    closed: false,
    lambda: null,
    dm: `-${E}\\big[h(\\theta)\\,(\\theta^*)^\\top\\big] - ${E}\\big[${L}\\,(w^*)^\\top\\big]`,
    dq: `-${E}\\big[\\theta\\,h(\\theta)^\\top\\big] - ${E}\\big[h(\\theta)\\,\\theta^\\top\\big] - ${drift} + ${noise}`,
  };
}

/** dQ_ab/dt and dM_ac/dt entry by entry (closed case), with l_a(w; y) the model's gradient at r = w. */
function entryLines(c: VCtx, on: OnlineCase): string[] {
  if (!on.closed) return [];
  const lt = factor(c.derived.latex.dh);
  const decay = (two: boolean, x: string) =>
    on.lambda === 0 ? "" : `-${two ? (/^[\d.]/.test(lt) ? `2 \\cdot ${lt}` : `2${lt}`) : lt}\\,${x} `;
  return [
    `\\frac{dQ_{ab}}{dt} &= ${decay(true, "Q_{ab}")}- ${E}\\big[w_a\\,\\ell_b(w; y) + \\ell_a(w; y)\\,w_b\\big] + \\tau\\,${E}\\big[\\ell_a(w; y)\\,\\ell_b(w; y)\\big],`,
    `\\frac{dM_{ac}}{dt} &= ${decay(false, "M_{ac}")}- ${E}\\big[\\ell_a(w; y)\\,w^*_c\\big],`,
  ];
}

export function vectorOnlineSection(c: VCtx, on: OnlineCase): Section {
  const { vt } = c;
  const pairCov = "\\begin{pmatrix} Q & M \\\\ M^\\top & \\rho^* I_{K^*} \\end{pmatrix}";
  const closure = on.closed
    ? "With $h(\\theta) = \\lambda\\theta$ the overlap matrices obey closed ODEs (Saad–Solla type; for erf units " +
      "these are the soft-committee-machine equations); for this model"
    : "This model's penalty gradient is not linear, so the moment equations below involve the law of $\\theta$ " +
      "from the parameter-side SDE and do not close in $(Q, M)$; for this model";
  return {
    id: "special-online",
    title: "Online limit ($\\delta \\to \\infty$)",
    level: 2,
    blocks: [
      p(
        "At fixed $\\tau$ and $t$, as $\\delta \\to \\infty$ almost every sample is used at most once: the memory terms " +
          "vanish, $r = w$, $R_\\ell \\to 0$, and the parameter side becomes " +
          "$d\\theta = -[h(\\theta) + R_\\ell^{\\mathrm{loc}}\\theta + \\Gamma\\theta^*]\\,dt + dW_\\tau$ with " +
          "$\\operatorname{Cov}(dW_\\tau) = \\tau\\,\\mathbb{E}[\\ell(w; y)\\ell(w; y)^\\top]\\,dt$. " +
          closure,
      ),
      aligned([`\\frac{dM}{dt} &= ${on.dm},`, `\\frac{dQ}{dt} &= ${on.dq},`]),
      p(
        `with $(w, w^*) \\sim \\mathcal{N}\\big(0, ${pairCov}\\big)$, $w \\in \\mathbb{R}^K$, $w^* \\in \\mathbb{R}^{K^*}$, ` +
          "$y = \\varphi(w^*, \\varepsilon)$ as in the DMFT system, $\\varepsilon \\sim \\mathcal{N}(0, 1)$ independent." +
          (on.closed ? " Entry by entry ($a, b = 1, \\dots, K$, $c = 1, \\dots, K^*$):" : ""),
      ),
      ...(on.closed ? [aligned(entryLines(c, on))] : []),
      p(
        on.closed
          ? "where, for this model, the gradient at $r = w$ is"
          : "For this model, the gradient at $r = w$ is",
      ),
      aligned(vt.gradientAtW()),
    ],
  };
}
