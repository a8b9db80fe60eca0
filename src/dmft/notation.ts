// The notation interface of the DMFT document: everything that differs between the scalar system
// (k = kTeacher = 1, theory note §3–5) and its matrix version for vector models (§6) — symbols, sizes,
// transposes, the model's own formulas and the phrases that name them. The sections (text-*.ts) are written
// once against it; notation-scalar.ts and notation-vector.ts implement it (one printer per target).
import type { Derived, FnName, ObservableName } from "../types.js";
import { factor, type ModelTex } from "./model-tex.js";
import type { Block, DmftSystem, KernelName, KernelSpec, LinearCase, OnlineCase } from "./types.js";

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

export type SymbolRow = { tex: string; meaning: string };

/** A number as LaTeX (scientific notation as a power of ten). */
export function texNum(v: number): string {
  const s = String(Math.abs(v));
  const m = /^(\d+(?:\.\d+)?)e([+-]\d+)$/.exec(s);
  const body = m ? `${m[1]} \\times 10^{${Number(m[2])}}` : s;
  return v < 0 ? `-${body}` : body;
}

/** The ridge decay term of an online ODE, "-\lambda\,x " or "-2\lambda\,x " (empty when lambda = 0). */
export function ridgeDecay(c: Ctx, x: string, two: boolean): string {
  if (c.ridge === 0) return "";
  const lt = factor(c.derived.latex.dh);
  return `-${two ? (/^[\d.]/.test(lt) ? `2 \\cdot ${lt}` : `2${lt}`) : lt}\\,${x} `;
}

/**
 * One target of the document. Strings are LaTeX (in math) or trusted prose with $...$ inline math (in text);
 * the scalar form of a phrase is often empty where the vector form adds a size or a qualifier.
 */
export interface Notation {
  // Symbols and sizes.
  /** Transpose suffix: "" or "^\top". */
  T: string;
  /** The identity: "1" or "I_K". */
  id: string;
  /** The parameter matrix: \theta or \Theta (as in theta <- theta - ...). */
  Theta: string;
  /** The overlap symbols: q, m or Q, M. */
  q: string;
  m: string;
  /** Covariance of theta* (rho^* or rho^* I_{K*}) and of the cold start (s_0^2 or s_0^2 I_K). */
  rhoCov: string;
  initCov: string;
  /** The curvature of the loss at r: \ell'(r; y) or H(r; y). */
  curv(r: string): string;
  /** Sizes of matrices as prose: "" or " ($K \times K$, ...)". */
  size(...sizes: string[]): string;
  /** Membership in R^K after a symbol in math: "" or " \in \mathbb{R}^K". */
  inRK: string;
  /** Prose qualifiers: "" or "scalar " (the noise, the increments), "" or "matrix " (the kernels). */
  scalar: string;
  matrix: string;
  /** What r is called: "prediction" or "pre-activation". */
  prediction: string;

  // Notation and model sections.
  /** The notation's rows of the table of symbols (text-model.ts symbolTable places them among the shared ones). */
  symbols: {
    units: SymbolRow[];
    parameters: SymbolRow[];
    lossThrough: string;
    derivatives: SymbolRow[];
    overlaps: SymbolRow[];
  };
  /** Blocks after the table of symbols. */
  notationNotes: Block[];
  /** The paragraph introducing data, teacher, predictions (and the network). */
  modelSetup: string;
  /** Prediction and loss lines of the model display; the label's LaTeX. */
  modelLines: string[];
  label: string;
  /** The initialisation sentence up to "; teacher variance". */
  initText: string;

  // Derivatives.
  /** What the symbolic stage computed (the sentence after "cross-checked ... stage: "). */
  derivativesList: string;
  /** Displays before the one with h and h', and lines of the loss's derivatives that join it. */
  derivativeBlocks: Block[];
  derivativeLines: string[];
  /** The predictions are multilinear in the noise increments (the sgd-limit system is the SGF one). */
  multilinear: boolean;
  /** Why the responses are deterministic or random. */
  responsesNote: string;
  /** Qualifies "the test error" for binary labels: "" or " (the sign of ...)". */
  testErrorNote: string;
  /** What l is when `multilinear`: "linear" or "affine". */
  linearWord: string;

  // SGF and the DMFT system.
  /** Qualifiers of the SGF's opening sentence: what it moves, and who shares a sample's Brownian motion. */
  sgfOf: string;
  sgfSharedBy: string;
  /** The SGF display with the penalty gradient `h` (h or h_t) and noise level `tau` (	au or 	au(t)). */
  sgfSde(h: string, tau: string): Block;
  /** "with ..." of the SGF: the model's h (and l). */
  sgfWith(h: string): string;
  /** The penalty summed over the parameters, in the SGD objective. */
  penSum: string;
  /**
   * Phrases of "The DMFT system" in reading order: qualifiers of the opening sentence, the sample's and
   * coordinate's dimensions, the field covariances, the model's l and label on the prediction side, h and the
   * covariance of Y on the parameter side, the expansion of C_Y, and what the observables are reported as.
   */
  dmft: {
    fixed: string;
    coordinate: string;
    sharedBy: string;
    sampleDims: string;
    fieldCovariances: string;
    responseActs: string;
    modelBlock: Block;
    coordinateDims: string;
    hAt: string;
    inRKText: string;
    covariance: string;
    cyExpansion: string[];
    overlapsWord: string;
    entryNote: string;
  };
  /** The observables: aligned lines of the document and the reported list (DmftSystem.observables). */
  observables: { lines: string[]; list: { name: ObservableName; tex: string }[] };

  // Kernels and scheme.
  kernels: KernelSpec[];
  /** The note after a kernel's definition: its side (and size). */
  kernelNote(name: KernelName, side: string): string;
  /** "an expectation" or "a matrix-valued expectation". */
  expectation: string;
  /** The local response written out for this model. */
  localResponse: Block[];
  /** Qualifiers of the Stein sentence: an example label, "" or " in matrix form". */
  steinExample: string;
  steinForm: string;
  /** The Stein pairing E[w* l] inside E[...]: w^*\,\ell(r; y) or \ell(r; y)\,(w^*)^\top. */
  steinPair(r: string): string;
  /** What the Malliavin contribution involves, and whether it is present for this model. */
  thirdDerivative: string;
  malliavinNote: string;
  /**
   * Phrases of "Discrete-time scheme" in reading order: block sizes, the noise covariance, the tangent, h' or
   * grad h in the R_theta recursion, the model's own lines, the covariance factor's rows, costs, observables.
   */
  scheme: {
    blocks: string;
    sides: string;
    noiseCov: string;
    tangent: string;
    hPrime: string;
    modelBlocks: Block[];
    blockRow: string;
    /** Extra cost factor: "" or "K^3". */
    cost(power: number): string;
    gridObservables: Block[];
  };

  // Special cases.
  /** The covariance of Y in gradient flow, in prose. */
  gfCovariance: string;
  /** The closed linear case (scalar models only) and why it does not apply otherwise. */
  linear: LinearCase | null;
  linearAbsent: string;
  /** The online limit: its ODEs as data, then the phrases and displays of its subsection in reading order. */
  online: OnlineCase;
  onlineNoise: string;
  overlapsNoun: string;
  saadSolla: string;
  onlineOdes: string[];
  onlinePair: string;
  onlineEntries: string;
  onlineDetails: Block[];
  sgdLimitEqualsSgf: boolean;
  /** The model's functions as DmftSystem.functions reports them. */
  functions: DmftSystem["functions"];
}

export function functionsOf(derived: Derived, names: FnName[]): DmftSystem["functions"] {
  const out: DmftSystem["functions"] = {};
  for (const f of names) out[f] = { text: derived.text[f], latex: derived.latex[f] };
  return out;
}

/** The law of theta^0 inline (`cov`: the covariance of the cold start, s_0^2 or s_0^2 I_K). */
export function initTex(c: Ctx, cov: string): string {
  return c.m0 === 0
    ? `$\\theta^0 \\sim \\mathcal{N}(0, ${cov})$`
    : `$\\theta^0 = m_0\\theta^* + \\xi$, $\\xi \\sim \\mathcal{N}(0, ${cov})$ independent of $\\theta^*$`;
}
