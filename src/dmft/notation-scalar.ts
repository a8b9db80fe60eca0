// The scalar notation of the DMFT document (k = kTeacher = 1, theory note §3–5): plain symbols, the model's
// own l, l', l'' and h written out, the closed linear case and the online (q, m) ODEs with l and h substituted.
import type { ObservableName } from "../types.js";
import { aligned, display, eqLines, expectChunks, p } from "./blocks.js";
import { factor, visible } from "./model-tex.js";
import { type Ctx, functionsOf, type Notation, ridgeDecay, texNum } from "./notation.js";
import { kernelSpecs } from "./text-dmft.js";
import type { LinearCase, OnlineCase } from "./types.js";

const E = "\\mathbb{E}";

function observables(c: Ctx): Notation["observables"] {
  const pair =
    "(g, g^*) \\sim \\mathcal{N}\\Big(0, \\begin{pmatrix} q(t) & m(t) \\\\ m(t) & \\rho^* \\end{pmatrix}\\Big)";
  const out: Array<{ name: ObservableName; lhs: string; rhs: string }> = [
    { name: "train_loss", lhs: "\\mathcal{L}_{\\mathrm{train}}(t)", rhs: `${E}\\,L(r^t; y)` },
    { name: "q", lhs: "q(t)", rhs: "C_\\theta(t,t)" },
    { name: "m", lhs: "m(t)", rhs: `${E}[\\theta^t\\theta^*]` },
    {
      name: "test_loss",
      lhs: "\\mathcal{L}_{\\mathrm{test}}(t)",
      rhs: `${E}\\,L\\big(g; \\varphi(g^*, \\varepsilon)\\big), \\qquad ${pair}`,
    },
  ];
  if (c.derived.binaryLabels)
    out.push({
      name: "test_error",
      lhs: "\\mathcal{E}_{\\mathrm{test}}(t)",
      rhs: "\\mathbb{P}\\big(\\operatorname{sign}(g) \\ne \\varphi(g^*, \\varepsilon)\\big)",
    });
  return {
    lines: out.map((o, i) => `${o.lhs} &= ${o.rhs}${i < out.length - 1 ? "," : "."}`),
    list: out.map((o) => ({ name: o.name, tex: `${o.lhs} = ${o.rhs}` })),
  };
}

function linearCase(c: Ctx): LinearCase | null {
  if (!c.derived.linear || c.ridge === null) return null;
  return { a: c.derived.fns.dl(0, 0), aTex: c.derived.latex.dl, bTex: c.mt.lAtZero(), lambda: c.ridge };
}

/** The online ODEs with the model's own l (and h) substituted. */
function onlineCase(c: Ctx): OnlineCase {
  const { mt } = c;
  const l = mt.atFactor("l", "w");
  const l2 = factor(mt.at("l", "w"));
  /** The terms of dq/dt from the loss: -2 E[w l] + tau E[l^2], after a leading "- ". */
  const fromLoss = `2\\,${E}\\Big[w\\,${l}\\Big] + \\tau\\,${E}\\Big[${l2}^2\\Big]`;
  if (c.ridge !== null) {
    const dm = `${ridgeDecay(c, "m", false)}- ${E}\\Big[w^*\\,${l}\\Big]`;
    return { closed: true, lambda: c.ridge, dm, dq: `${ridgeDecay(c, "q", true)}- ${fromLoss}` };
  }
  const h = mt.atFactor("h", "\\theta");
  return {
    closed: false,
    lambda: null,
    dm: `-${E}\\Big[\\theta^*\\,${h}\\Big] - ${E}\\Big[w^*\\,${l}\\Big]`,
    dq: `-2\\,${E}\\Big[\\theta\\,${h}\\Big] - ${fromLoss}`,
  };
}

/** Splits a long aligned line before `at` (kept on the next line, indented). */
function breakBefore(line: string, at: string): string[] {
  const i = line.indexOf(at);
  if (i < 0 || visible(line) <= 60) return [line];
  return [line.slice(0, i), `&\\qquad ${line.slice(i + 1)}`];
}

const ONLINE_LINEAR = [
  "\\frac{dm}{dt} &= -(\\lambda + a)\\,m - \\beta\\rho^*,",
  "\\frac{dq}{dt} &= -2(\\lambda + a)\\,q - 2\\beta\\,m + \\tau\\big(a^2 q + 2a\\beta\\,m + \\mathbb{E}\\,b(y)^2\\big).",
];

function onlineDetails(c: Ctx, linear: boolean) {
  return [
    ...(linear
      ? [
          p(
            "For this linear model ($\\ell = a r + b(y)$ as above, $\\beta = \\mathbb{E}[w^* b(y)]/\\rho^*$) the " +
              "expectations are explicit, since $\\mathbb{E}[w\\,b(y)] = \\beta m$:",
          ),
          aligned(ONLINE_LINEAR),
        ]
      : []),
    ...(c.derived.binaryLabels
      ? [
          p(
            "Labels that jump in $w^*$ (such as $\\operatorname{sign}(w^* + \\sigma\\varepsilon)$) are integrated over " +
              "$\\varepsilon$ exactly (e.g. $\\mathbb{P}(y = 1 \\mid w^*) = \\Phi(w^*/\\sigma)$) so that the Gaussian " +
              "quadrature sees a smooth integrand.",
          ),
        ]
      : []),
  ];
}

function modelLines(c: Ctx): string[] {
  const act = c.mt.activation();
  const lossY = c.mt.lossInYhat();
  const loss = c.derived.latex.loss;
  if (lossY === loss) return [`L(r; y) &= ${loss}`];
  return [`\\hat{y}(r) &= ${act}`, `L(r; y) &= ${lossY}\\,\\Big|_{\\hat{y} = \\hat{y}(r)} = ${loss}`];
}

function responsesNote(c: Ctx): string {
  if (c.derived.linear)
    return (
      "Here $\\ell'$ does not depend on $r$ and the penalty is quadratic: the responses are deterministic and " +
      "the second moments close (see Special cases)."
    );
  const why = c.derived.latex.d2l === "0" ? "the penalty is not quadratic" : "$\\ell'$ depends on $r$";
  return `Here ${why}: the responses are random and the solver estimates them by Monte Carlo.`;
}

function malliavinNote(c: Ctx): string {
  if (c.derived.linear)
    return "For this model $\\ell'' = 0$, so this contribution vanishes and the responses are deterministic.";
  if ((c.derived.jumps ?? []).length > 0)
    return "For this model $\\ell$ itself jumps, so the jump terms above are the leading correction.";
  return c.mt.expr("d2l") === null
    ? "For this model $\\ell'$ jumps in $r$, so $\\ell''$ contains a Dirac delta (see Derivatives)."
    : "For this model $\\ell''(r; y) \\ne 0$ (see Derivatives), so it is present.";
}

export function scalarNotation(c: Ctx): Notation {
  const { derived, mt } = c;
  const linear = linearCase(c);
  const online = onlineCase(c);
  const pair =
    "(w, w^*) \\sim \\mathcal{N}\\Big(0, \\begin{pmatrix} q & m \\\\ m & \\rho^* \\end{pmatrix}\\Big)";
  const s0 = texNum(c.s0);
  const lWhy = derived.linear
    ? "the penalty gradient is not of the form $\\lambda\\theta$"
    : "$\\ell'(r; y)$ is not constant in $r$ or the penalty is not quadratic (see Derivatives)";
  return {
    T: "",
    id: "1",
    Theta: "\\theta",
    q: "q",
    m: "m",
    rhoCov: "\\rho^*",
    initCov: "s_0^2",
    curv: (r) => `\\ell'(${r}; y)`,
    size: () => "",
    inRK: "",
    scalar: "",
    matrix: "",
    prediction: "prediction",
    symbols: {
      units: [],
      parameters: [
        {
          tex: "\\theta,\\ \\theta^*",
          meaning: "parameters and teacher (one coordinate on the parameter side)",
        },
        { tex: "\\rho^* = \\mathbb{E}(\\theta^*_j)^2", meaning: "teacher variance" },
        { tex: "r = \\theta^\\top x,\\ w^* = \\theta^{*\\top} x", meaning: "prediction and teacher field" },
      ],
      lossThrough: "activation",
      derivatives: [
        { tex: "\\ell = \\partial_r L,\\ \\ell' = \\partial_r^2 L", meaning: "loss gradient and curvature" },
        { tex: "\\mathrm{pen},\\ h = \\mathrm{pen}'", meaning: "per-coordinate penalty and its gradient" },
      ],
      overlaps: [{ tex: "q(t) = C_\\theta(t,t)", meaning: "squared norm per coordinate" }],
    },
    notationNotes: [],
    modelSetup:
      "Rows $x_i \\sim \\mathcal{N}(0, I_d/d)$, $i = 1, \\dots, n$, teacher $\\theta^*_j \\sim \\mathcal{N}(0, \\rho^*)$, " +
      "label noise $\\varepsilon_i \\sim \\mathcal{N}(0, 1)$, predictions $r_i = \\theta^\\top x_i$ and teacher fields " +
      "$w^*_i = \\theta^{*\\top} x_i$. Loss, label and penalty:",
    modelLines: modelLines(c),
    label: derived.latex.label,
    initText:
      c.m0 === 0
        ? `Initialisation $\\theta^0_j \\sim \\mathcal{N}(0, s_0^2)$ with $s_0 = ${s0}$, independent of $\\theta^*$`
        : `Warm initialisation $\\theta^0_j = m_0\\theta^*_j + s_0\\xi_j$, $\\xi_j \\sim \\mathcal{N}(0, 1)$ independent of ` +
          `$\\theta^*$, with $m_0 = ${texNum(c.m0)}$ and $s_0 = ${s0}$, so $m(0) = m_0\\rho^*$ and ` +
          "$q(0) = m_0^2\\rho^* + s_0^2$",
    derivativesList:
      "$\\ell = \\partial_r L$, $\\ell' = \\partial_r^2 L$, $\\ell'' = \\partial_r^3 L$ and $h = \\mathrm{pen}'$.",
    derivativeBlocks: [],
    derivativeLines: [
      ...eqLines("\\ell(r; y)", mt.split("l")),
      ...eqLines("\\ell'(r; y)", mt.split("dl")),
      ...eqLines("\\ell''(r; y)", mt.split("d2l")),
    ],
    multilinear: derived.linear,
    responsesNote: responsesNote(c),
    testErrorNote: "",
    linearWord: "linear",
    sgfOf: "",
    sgfSharedBy: "",
    sgfSde: (h, tau) =>
      display(
        `d\\theta^t = -\\Big(${h}(\\theta^t) + \\frac{1}{\\delta}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)\\Big)dt + ` +
          `\\sqrt{\\frac{${tau}}{\\delta}}\\sum_{i=1}^n x_i\\,\\ell(r_i^t; y_i)\\,dB_i^t, \\qquad r^t = X\\theta^t,`,
      ),
    sgfWith: (h) => `$${h}(\\theta) = ${mt.at("h", "\\theta")}$ and $\\ell(r; y) = ${mt.at("l", "r")}$`,
    penSum: "\\sum_j \\mathrm{pen}(\\theta_j)",
    dmft: {
      fixed: "",
      coordinate: "",
      sharedBy: "",
      sampleDims: "",
      fieldCovariances: `${E}[w^t w^s] &= C_\\theta(t,s), \\quad ${E}[w^t w^*] = m(t), \\quad ${E}[(w^*)^2] = \\rho^*,`,
      responseActs: "",
      modelBlock: aligned([`\\ell(r^s; y) &= ${mt.at("l", "r^{s}")},`, `y &= ${derived.latex.label}.`]),
      coordinateDims: "",
      hAt: `$h(\\theta^t) = ${mt.at("h", "\\theta^{t}")}$`,
      inRKText: "",
      covariance: "covariance",
      cyExpansion: [
        `C_Y(t,s) &= \\frac{1}{\\delta}\\int_0^t\\!\\!\\int_0^s ${E}[\\ell^u\\ell^v]\\,du\\,dv + \\tau\\int_0^{t \\wedge s} ${E}[(\\ell^u)^2]\\,du`,
        `&\\quad - \\sqrt{\\frac{\\tau}{\\delta}}\\Big(${E}\\Big[\\int_0^t \\ell^u\\,du \\int_0^s \\ell^v\\,dB^v\\Big] + ` +
          `${E}\\Big[\\int_0^s \\ell^v\\,dv \\int_0^t \\ell^u\\,dB^u\\Big]\\Big).`,
      ],
      overlapsWord: "$q$",
      entryNote: "",
    },
    observables: observables(c),
    kernels: kernelSpecs(false),
    kernelNote: (_, side) => `\\text{(${side} side)}`,
    expectation: "an expectation",
    localResponse: [
      p("For this model the local response is"),
      aligned(eqLines("R_\\ell^{\\mathrm{loc}}(t)", expectChunks(mt.split("dl", "r^{t}")), ".")),
    ],
    steinExample: " (for example a sign teacher)",
    steinForm: "",
    steinPair: (r) => `w^*\\,\\ell(${r}; y)`,
    thirdDerivative: "$\\ell''$",
    malliavinNote: malliavinNote(c),
    scheme: {
      blocks: "",
      sides: "",
      noiseCov: "[\\ell(r_k; y)\\,d\\xi_k\\,\\ell(r_j; y)\\,d\\xi_j]",
      tangent: "J^{(s)}",
      hPrime: "h'",
      modelBlocks: [
        p("with, for this model,"),
        aligned([
          ...eqLines("\\ell'(r_u; y)", mt.split("dl", "r_{u}"), ","),
          `h'(\\theta) &= ${derived.latex.dh}.`,
        ]),
      ],
      blockRow: "",
      cost: () => "",
      gridObservables: [
        p("Observables on the grid: $q_k = C_\\theta[k,k]$, $m_k$, and the train loss"),
        aligned(eqLines("\\mathcal{L}_{\\mathrm{train}}(t_k)", expectChunks(mt.split("loss", "r_{k}")), ".")),
      ],
    },
    gfCovariance: "covariance $C_\\ell/\\delta$",
    linear,
    linearAbsent: `Does not apply to this model: ${lWhy}.`,
    online,
    onlineNoise: "\\sqrt{\\tau\\,\\mathbb{E}[\\ell(w; y)^2]}\\,dW$.",
    overlapsNoun: "overlaps",
    saadSolla: "",
    onlineOdes: [
      `\\frac{dm}{dt} &= ${online.dm},`,
      ...breakBefore(`\\frac{dq}{dt} &= ${online.dq},`, " + \\tau\\,"),
    ],
    onlinePair: `$${pair}$, $y = ${derived.latex.label}$`,
    onlineEntries: "",
    onlineDetails: onlineDetails(c, linear !== null),
    sgdLimitEqualsSgf: linear !== null,
    functions: functionsOf(derived, ["loss", "l", "dl", "d2l", "label", "pen", "h", "dh"]),
  };
}
