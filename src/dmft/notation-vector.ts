// The matrix notation of the DMFT document for vector models (k > 1 or kTeacher > 1: two-layer nets with a
// fixed read-out, theory note §6): columns in R^K, K x K kernels with transposes, the Hessian H for the
// curvature, the gradient vector and Hessian of Derivatives (vector-tex.ts), and the online (Q, M) ODEs.
import { overlapNames } from "../observables/names.js";
import type { ObservableName } from "../types.js";
import { aligned, display, p } from "./blocks.js";
import { type Ctx, functionsOf, type Notation, ridgeDecay, texNum } from "./notation.js";
import { kernelSpecs } from "./text-dmft.js";
import type { KernelName, OnlineCase } from "./types.js";
import { pair, VectorTex } from "./vector-tex.js";

const E = "\\mathbb{E}";
const T = "^\\top";
const L = "\\ell(w; y)";

const SIZES: Partial<Record<KernelName, string>> = {
  C_theta: "K \\times K",
  m: "K \\times K^*",
  R_theta: "K \\times K",
  R_l_loc: "K \\times K",
  R_l: "K \\times K",
  Gamma: "K \\times K^*",
};

const PAIR_COV = "\\begin{pmatrix} Q(t) & M(t) \\\\ M(t)^\\top & \\rho^* I_{K^*} \\end{pmatrix}";

/** Observables: the document lines (matrix form) and the reported names (entry by entry). */
function observables(c: Ctx, vt: VectorTex): Notation["observables"] {
  const test = `${E}\\,L\\big(g; \\varphi(g^*, \\varepsilon)\\big), \\qquad (g, g^*) \\sim \\mathcal{N}\\Big(0, ${PAIR_COV}\\Big)`;
  const err = "\\mathbb{P}\\big(\\operatorname{sign}(\\hat{y}(g)) \\ne \\varphi(g^*, \\varepsilon)\\big)";
  const list: { name: ObservableName; tex: string }[] = [
    { name: "train_loss", tex: `\\mathcal{L}_{\\mathrm{train}}(t) = ${E}\\,L(r^t; y)` },
  ];
  for (const o of overlapNames(vt.k, vt.kT)) {
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

/** The online matrix ODEs (dm: dM/dt, dq: dQ/dt) with the ridge coefficient substituted when h is linear. */
function onlineCase(c: Ctx): OnlineCase {
  const noise = `\\tau\\,${E}\\big[${L}\\,${L}^\\top\\big]`;
  const drift = `${E}\\big[w\\,${L}^\\top\\big] - ${E}\\big[${L}\\,w^\\top\\big]`;
  if (c.ridge !== null)
    return {
      closed: true,
      lambda: c.ridge,
      dm: `${ridgeDecay(c, "M", false)}- ${E}\\big[${L}\\,(w^*)^\\top\\big]`,
      dq: `${ridgeDecay(c, "Q", true)}- ${drift} + ${noise}`,
    };
  return {
    closed: false,
    lambda: null,
    dm: `-${E}\\big[h(\\theta)\\,(\\theta^*)^\\top\\big] - ${E}\\big[${L}\\,(w^*)^\\top\\big]`,
    dq: `-${E}\\big[\\theta\\,h(\\theta)^\\top\\big] - ${E}\\big[h(\\theta)\\,\\theta^\\top\\big] - ${drift} + ${noise}`,
  };
}

/** dQ_ab/dt and dM_ac/dt entry by entry (closed case), then the model's gradient l_a(w; y) at r = w. */
function onlineDetails(c: Ctx, vt: VectorTex, closed: boolean) {
  const entries = [
    `\\frac{dQ_{ab}}{dt} &= ${ridgeDecay(c, "Q_{ab}", true)}- ${E}\\big[w_a\\,\\ell_b(w; y) + \\ell_a(w; y)\\,w_b\\big] + \\tau\\,${E}\\big[\\ell_a(w; y)\\,\\ell_b(w; y)\\big],`,
    `\\frac{dM_{ac}}{dt} &= ${ridgeDecay(c, "M_{ac}", false)}- ${E}\\big[\\ell_a(w; y)\\,w^*_c\\big],`,
  ];
  return [
    ...(closed ? [aligned(entries)] : []),
    p(
      closed
        ? "where, for this model, the gradient at $r = w$ is"
        : "For this model, the gradient at $r = w$ is",
    ),
    aligned(vt.gradientAtW()),
  ];
}

export function vectorNotation(c: Ctx): Notation {
  const { derived, mt } = c;
  const vt = new VectorTex(derived, mt);
  const constantH = vt.hessianConstant();
  const online = onlineCase(c);
  const s0 = texNum(c.s0);
  const size = (...xs: string[]) => ` (${xs.map((x) => `$${x}$`).join(", ")})`;
  const functions = functionsOf(derived, ["pen", "h", "dh"]);
  functions.loss = { text: vt.forms.text.loss, latex: vt.forms.latex.loss };
  functions.label = { text: vt.forms.text.label, latex: vt.forms.latex.label };
  return {
    T,
    id: "I_K",
    Theta: "\\Theta",
    q: "Q",
    m: "M",
    rhoCov: "\\rho^* I_{K^*}",
    initCov: "s_0^2 I_K",
    curv: (r) => `H(${r}; y)`,
    size,
    inRK: " \\in \\mathbb{R}^K",
    scalar: "scalar ",
    matrix: "matrix ",
    prediction: "pre-activation",
    symbols: {
      units: [{ tex: "K,\\ K^*", meaning: "hidden units of the network and of the teacher" }],
      parameters: [
        { tex: "\\Theta \\in \\mathbb{R}^{d \\times K},\\ \\Theta^*", meaning: "parameters and teacher" },
        {
          tex: "\\theta \\in \\mathbb{R}^{K},\\ \\theta^* \\in \\mathbb{R}^{K^*}",
          meaning: "one coordinate: a row of $\\Theta$ and of $\\Theta^*$",
        },
        { tex: "\\rho^* = \\mathbb{E}(\\theta^*_{c})^2", meaning: "teacher variance (entries independent)" },
        { tex: "r = \\Theta^\\top x \\in \\mathbb{R}^K", meaning: "pre-activations" },
        { tex: "w^* = \\Theta^{*\\top} x \\in \\mathbb{R}^{K^*}", meaning: "teacher fields" },
        { tex: "\\hat{y}(r)", meaning: "prediction of the network (fixed read-out)" },
      ],
      lossThrough: "prediction",
      derivatives: [
        {
          tex: "\\ell = \\nabla_r L \\in \\mathbb{R}^K,\\ H = \\nabla_r^2 L",
          meaning: "loss gradient and Hessian ($K \\times K$)",
        },
        {
          tex: "\\mathrm{pen},\\ h = \\mathrm{pen}'",
          meaning: "penalty on each entry of $\\theta$ and its gradient (entry by entry)",
        },
      ],
      overlaps: [{ tex: "Q(t) = C_\\theta(t,t),\\ M(t) = m(t)", meaning: "overlap matrices" }],
    },
    notationNotes: [
      p(
        "Vectors are columns; $a, b = 1, \\dots, K$ index hidden units and $c = 1, \\dots, K^*$ teacher units. " +
          "The step index of the discrete scheme is $k$.",
      ),
    ],
    modelSetup:
      `A two-layer network with $K = ${vt.k}$ trained hidden units and a fixed read-out, taught by a teacher with ` +
      `$K^* = ${vt.kT}$ units. Rows $x_i \\sim \\mathcal{N}(0, I_d/d)$, $i = 1, \\dots, n$, parameters ` +
      "$\\Theta \\in \\mathbb{R}^{d \\times K}$, teacher $\\Theta^* \\in \\mathbb{R}^{d \\times K^*}$ with independent " +
      "$\\mathcal{N}(0, \\rho^*)$ entries, label noise $\\varepsilon_i \\sim \\mathcal{N}(0, 1)$, pre-activations " +
      "$r_i = \\Theta^\\top x_i \\in \\mathbb{R}^K$ and teacher fields $w^*_i = \\Theta^{*\\top} x_i \\in \\mathbb{R}^{K^*}$. " +
      "Prediction, loss, label and penalty (the penalty acts on every entry of $\\Theta$):",
    modelLines: [`\\hat{y}(r) &= ${vt.forms.latex.predict}`, ...vt.lossLines("")],
    label: vt.forms.latex.label,
    initText:
      c.m0 === 0
        ? `Initialisation: independent $\\mathcal{N}(0, s_0^2)$ entries with $s_0 = ${s0}$, independent of $\\Theta^*$`
        : `Warm initialisation $\\Theta^0 = m_0\\Theta^* + s_0\\Xi$ with independent $\\mathcal{N}(0, 1)$ entries of $\\Xi$, ` +
          `$m_0 = ${texNum(c.m0)}$, $s_0 = ${s0}$ (so $M(0) = m_0\\rho^* I$, $Q(0) = (m_0^2\\rho^* + s_0^2) I$)`,
    derivativesList:
      "the gradient $\\ell = \\nabla_r L$ (a column in $\\mathbb{R}^K$), the Hessian $H = \\nabla_r^2 L$ (symmetric, " +
      "$K \\times K$) and $h = \\mathrm{pen}'$, applied entry by entry, so that $h(\\theta) = (h(\\theta_1), \\dots, " +
      "h(\\theta_K))^\\top$ and $\\nabla h(\\theta) = \\operatorname{diag}(h'(\\theta_1), \\dots, h'(\\theta_K))$.",
    derivativeBlocks: [...vt.gradientBlocks(), ...vt.hessianBlocks()],
    derivativeLines: [],
    multilinear: constantH,
    responsesNote: constantH
      ? "Here $H$ does not depend on $r$; the toolkit's closed equations are written for $K = 1$ only, so the " +
        "responses are still estimated by Monte Carlo."
      : "Here $H$ depends on $r$: the responses are random and the solver estimates them by Monte Carlo.",
    testErrorNote: " (the sign of $\\hat{y}$ against $y$)",
    linearWord: "affine",
    sgfOf: " of $\\Theta \\in \\mathbb{R}^{d \\times K}$",
    sgfSharedBy: " shared by its $K$ gradient entries",
    sgfSde: (h, tau) =>
      aligned([
        `d\\Theta^t &= -\\Big(${h}(\\Theta^t) + \\frac{1}{\\delta}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)^\\top\\Big)dt`,
        `&\\qquad + \\sqrt{\\frac{${tau}}{\\delta}}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)^\\top dB_i^t, \\qquad r_i^t = \\Theta^{t\\top} x_i,`,
      ]),
    sgfWith: (h) => `$${h}$ applied entry by entry, $${h}(\\theta) = ${mt.at("h", "\\theta")}$`,
    penSum: "\\sum_{j,a} \\mathrm{pen}(\\Theta_{ja})",
    dmft: {
      fixed: " and $K, K^*$",
      coordinate: " (a row of $\\Theta$, as a column $\\theta \\in \\mathbb{R}^K$)",
      sharedBy: ", shared by the $K$ components,",
      sampleDims: ", $r^t, w^t \\in \\mathbb{R}^K$, $w^* \\in \\mathbb{R}^{K^*}$",
      fieldCovariances: `${E}[w^t (w^s)${T}] &= C_\\theta(t,s), \\quad ${E}[w^t (w^*)${T}] = m(t), \\quad ${E}[w^* (w^*)${T}] = \\rho^* I_{K^*},`,
      responseActs:
        "the $K \\times K$ response $R_\\theta(t,s)$ acting on the gradient $\\ell \\in \\mathbb{R}^K$ of Derivatives, ",
      modelBlock: display(`y = ${vt.forms.latex.label}.`),
      coordinateDims: ", $\\theta^t \\in \\mathbb{R}^K$, $\\theta^* \\in \\mathbb{R}^{K^*}$",
      hAt: `$h$ entry by entry, $h(\\theta_a) = ${mt.at("h", "\\theta_a")}$`,
      inRKText: " in $\\mathbb{R}^K$",
      covariance: "the $K \\times K$ matrix covariance",
      cyExpansion: [
        `C_Y(t,s) &= \\frac{1}{\\delta}\\int_0^t\\!\\!\\int_0^s ${E}[\\ell^u(\\ell^v)${T}]\\,du\\,dv + \\tau\\int_0^{t \\wedge s} ${E}[\\ell^u(\\ell^u)${T}]\\,du`,
        `&\\quad - \\sqrt{\\frac{\\tau}{\\delta}}\\Big(${E}\\Big[\\int_0^t \\ell^u\\,du \\Big(\\int_0^s \\ell^v\\,dB^v\\Big)${T}\\Big]`,
        `&\\qquad + ${E}\\Big[\\int_0^t \\ell^u\\,dB^u \\Big(\\int_0^s \\ell^v\\,dv\\Big)${T}\\Big]\\Big).`,
      ],
      overlapsWord: "the overlaps",
      entryNote:
        " The overlaps are reported entry by entry: $Q_{ab}$ for $a \\le b$ ($Q$ is symmetric) and every $M_{ac}$.",
    },
    observables: observables(c, vt),
    kernels: kernelSpecs(true),
    kernelNote: (name, side) => `(${SIZES[name]},\\ \\text{${side} side})`,
    expectation: "a matrix-valued expectation",
    localResponse: [
      p("Entry by entry, with the Hessian $H$ of Derivatives in the local response:"),
      aligned([
        `R_\\ell^{\\mathrm{loc}}(t)_{ab} &= ${E}[H_{ab}(r^t; y)],`,
        `R_\\ell(t,s)_{ab} &= ${E}\\Big[\\frac{\\partial\\ell_a(r^t; y)}{\\partial w^s_b}\\Big], \\qquad ` +
          `\\Gamma(t)_{ac} = ${E}\\Big[\\frac{\\partial\\ell_a(r^t; y)}{\\partial w^*_c}\\Big].`,
      ]),
    ],
    steinExample: "",
    steinForm: " in matrix form",
    steinPair: (r) => `\\ell(${r}; y)\\,(w^*)${T}`,
    thirdDerivative: "the third derivatives $\\partial^3 L / \\partial r_a \\partial r_b \\partial r_c$",
    malliavinNote: constantH
      ? "For this model $H$ does not depend on $r$, so this contribution vanishes."
      : "For this model $H$ depends on $r$ (see Derivatives), so it is present.",
    scheme: {
      blocks: ", with $K \\times K$ blocks",
      sides: " (matrix products)",
      noiseCov: `\\big[(\\ell(r_k; y)\\,d\\xi_k)(\\ell(r_j; y)\\,d\\xi_j)${T}\\big]`,
      tangent: "J^{(s)}_k = \\partial r_k/\\partial w_s$, $K \\times K",
      hPrime: "\\nabla h",
      modelBlocks: [
        p(
          "with $H$ the model's Hessian (Derivatives), $\\nabla h(\\theta) = \\operatorname{diag}(h'(\\theta_a))$ and " +
            `$h'(\\theta) = ${derived.latex.dh}$.`,
        ),
      ],
      blockRow: "block ",
      cost: (power) => `K^${power}`,
      gridObservables: [
        p(
          "Observables on the grid: $Q_k = C_\\theta[k,k]$, $M_k = m_k$, and the train loss " +
            "$\\mathcal{L}_{\\mathrm{train}}(t_k) = \\mathbb{E}\\,L(r_k; y)$ with $L$ as in Model.",
        ),
      ],
    },
    gfCovariance: "the matrix covariance below",
    linear: null,
    linearAbsent:
      "Not used for this model: the toolkit's closed second-moment equations (and the Marchenko–Pastur oracle) " +
      "are written for $K = K^* = 1$; vector models are solved by Monte Carlo.",
    online,
    onlineNoise:
      "dW_\\tau$ with $\\operatorname{Cov}(dW_\\tau) = \\tau\\,\\mathbb{E}[\\ell(w; y)\\ell(w; y)^\\top]\\,dt$.",
    overlapsNoun: "overlap matrices",
    saadSolla: "; for erf units these are the soft-committee-machine equations",
    onlineOdes: [`\\frac{dM}{dt} &= ${online.dm},`, `\\frac{dQ}{dt} &= ${online.dq},`],
    onlinePair:
      "$(w, w^*) \\sim \\mathcal{N}\\big(0, \\begin{pmatrix} Q & M \\\\ M^\\top & \\rho^* I_{K^*} \\end{pmatrix}\\big)$, " +
      "$w \\in \\mathbb{R}^K$, $w^* \\in \\mathbb{R}^{K^*}$, $y = \\varphi(w^*, \\varepsilon)$ as in the DMFT system",
    onlineEntries: online.closed ? " Entry by entry ($a, b = 1, \\dots, K$, $c = 1, \\dots, K^*$):" : "",
    onlineDetails: onlineDetails(c, vt, online.closed),
    sgdLimitEqualsSgf: constantH,
    functions,
  };
}
