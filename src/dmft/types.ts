// The DmftSystem type: the DMFT equations of a model (theory note §3–6) as data the solvers can read
// (which dynamics and special cases apply, which kernels exist) and as LaTeX content blocks that
// src/latex renders to a .tex document and a KaTeX HTML page.
import type { Dynamics, FnName, ObservableName, VectorForms } from "../types.js";

/** A piece of a paragraph: trusted prose, inline math, or user text (escaped by each renderer). */
export type Inline = string | { math: string } | { user: string };

export type Block =
  | { kind: "p"; content: Inline[] }
  /** One display. Multi-line displays use an `aligned` environment (valid in amsmath and KaTeX). */
  | { kind: "display"; tex: string }
  | { kind: "table"; head: string[]; rows: Inline[][][] };

export interface Section {
  id: string;
  /** Trusted prose; may contain $...$ inline math. */
  title: string;
  /** 1 = section, 2 = subsection. */
  level: 1 | 2;
  blocks: Block[];
}

export type KernelName = "C_theta" | "m" | "R_theta" | "R_l_loc" | "R_l" | "Gamma" | "C_Y";

export interface KernelSpec {
  name: KernelName;
  /** LaTeX symbol, e.g. "C_\\theta(t,s)". */
  symbol: string;
  /** The side whose samples define its expectation. */
  side: "prediction" | "parameter";
  /** One-time (vector over t) or two-time (matrix over (t, s)). */
  times: 1 | 2;
  /** Defining expectation (continuous time), LaTeX. */
  definition: string;
  /** Its object in the discrete scheme (theory note §5), LaTeX. */
  discrete: string;
}

/** l(r; y) = a r + b(y) and h(theta) = lambda theta: closed second-moment equations (no Monte Carlo). */
export interface LinearCase {
  /** The constant slope a = d2L/dr2. */
  a: number;
  aTex: string;
  /** b(y) = l(0; y), LaTeX. */
  bTex: string;
  lambda: number;
}

export interface OnlineCase {
  /** The (q, m) ODEs close: h(theta) = lambda theta. Otherwise they involve the law of theta. */
  closed: boolean;
  /** Ridge coefficient when closed. */
  lambda: number | null;
  /**
   * LaTeX of dm/dt and dq/dt with the model's l and h substituted. Vector models: the matrix right-hand sides of
   * dM/dt and dQ/dt in l(w; y) (the document writes the model's gradient at r = w below them).
   */
  dm: string;
  dq: string;
}

export interface DmftSystem {
  model: {
    name: string;
    description: string;
    k: number;
    kTeacher: number;
    parameters: Record<string, number>;
    /** Scheduled parameters (text; `parameters` holds their values at t = 0). */
    schedules?: Record<string, string>;
    delta: number;
    tau: number;
    rhoStar: number;
    initStd: number;
    /** init_overlap m0: theta^0 = m0 theta* + initStd xi. */
    initOverlap: number;
    time: { T: number; dt: number };
  };
  /**
   * The model's functions (mathjs text and LaTeX right-hand sides, from the symbolic stage). Vector models have
   * loss (composed, in r1..rK), label, pen, h, dh only; their gradient and Hessian are in `vector`.
   */
  functions: Partial<Record<FnName, { text: string; latex: string }>>;
  /** Vector models (k > 1 or kTeacher > 1): Derived.vector (names, text and LaTeX of loss, grad, hess, ...). */
  vector?: VectorForms;
  /** Dynamics whose DMFT this system describes at the model's parameters (sgd: simulation only). */
  dynamics: Dynamics[];
  /** The increment dxi_k of the discrete scheme for each solvable dynamics, LaTeX. */
  increments: Partial<Record<Dynamics, string>>;
  special: {
    /** tau = 0 at the model's parameters: gradient flow. */
    gradientFlow: boolean;
    /** Closed deterministic equations apply (Derived.linear); null otherwise. */
    linear: LinearCase | null;
    /** Gradient-flow spectral oracle over the Marchenko–Pastur law (linear models, dynamics gd). */
    spectralOracle: boolean;
    /** Online limit delta -> infinity. */
    online: OnlineCase;
    /** The sgd-limit (Poisson) system coincides with the SGF one (linear models). */
    sgdLimitEqualsSgf: boolean;
    binaryLabels: boolean;
  };
  /** The solver the toolkit uses by default for this model. */
  defaultSolver: "exact-linear" | "mc";
  kernels: KernelSpec[];
  /** Reported observables; vector models list the overlap entries Q_a_b (a <= b) and M_a_c by name. */
  observables: { name: ObservableName; tex: string }[];
  /** Table of symbols: LaTeX symbol and meaning (prose with $...$ inline math). */
  symbols: { tex: string; meaning: string }[];
  /** The document content, in order. */
  sections: Section[];
}
