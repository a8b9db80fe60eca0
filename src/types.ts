// The few types passed between pipeline stages:
//   Model (src/model) -> Derived (src/symbolic) -> Result (src/solvers, src/simulate)
//   -> Verdict (src/validate) -> report; DmftSystem (src/dmft) is the equations' document, also from Derived.
// Data flows one way; no stage reaches back into an earlier one's internals.
import type { KernelUsage } from "./kernels/loader.js";
import type { ScheduleSet } from "./symbolic/schedule.js";

/** A model file after parsing and validation (src/model). Expressions are still plain text. */
export interface Model {
  name: string;
  description: string;
  /** Number of hidden units (width of r): 1 for GLMs, k > 1 for two-layer nets with fixed read-out. */
  k: number;
  /** Number of teacher units (width of wstar). */
  kTeacher: number;
  /** Prediction yhat as a function of r (or r1..rk); "r" when omitted for k = 1, "" (none: the loss is
   *  written in r1..rk, no test error) when omitted for k > 1. */
  activation: string;
  /** Per-sample loss in yhat (or r) and y. */
  loss: string;
  /** Label y = phi(wstar, eps). */
  label: string;
  /** Per-coordinate penalty pen(theta). */
  penalty: string;
  /** theta^0 = initOverlap theta* + initStd xi, xi ~ N(0, 1) per coordinate. */
  initStd: number;
  /** Warm start m0 (model key init_overlap, default 0): m(0) = m0 rho*, q(0) = m0^2 rho* + initStd^2. */
  initOverlap: number;
  /** theta* ~ N(0, teacherVariance) per coordinate (rho* in the theory note). */
  teacherVariance: number;
  /** Declared parameters after --set overrides; always contains delta and tau. All finite. A scheduled
   *  parameter holds its value at t = 0 here. */
  parameters: Record<string, number>;
  /** Parameters given as schedules in t (issue 16; src/symbolic/schedule.ts): name -> normalised text.
   *  Absent when every parameter is a number (a schedule free of t is stored as its number). */
  schedules?: Record<string, string>;
  /** Default time grid for solvers and simulators. */
  time: { T: number; dt: number };
  /** Where it came from (file path), for messages and report metadata. */
  source: string;
  /** 1-based line of each top-level key in the file, for error messages. */
  lines: Record<string, number>;
}

/** Names of the compiled scalar functions (k = 1). */
export type FnName = "loss" | "l" | "dl" | "d2l" | "label" | "pen" | "h" | "dh";

/** Compiled numerical functions with parameters bound (k = 1). Built by src/symbolic/compile. */
export interface CompiledFns {
  /** L(r; y) */
  loss(r: number, y: number): number;
  /** l = dL/dr */
  l(r: number, y: number): number;
  /** dl = d2L/dr2 */
  dl(r: number, y: number): number;
  /** d2l = d3L/dr3 (NaN-free; throws at compile time when it is a Dirac delta) */
  d2l(r: number, y: number): number;
  /** y = phi(wstar, eps) */
  label(wstar: number, eps: number): number;
  /** pen(theta) */
  pen(theta: number): number;
  /** h = pen'(theta) */
  h(theta: number): number;
  /** dh = pen''(theta) */
  dh(theta: number): number;
  /** Kinks of the loss side (Derived.sources.kinks): out[j] = c_j(y), returns the count; absent when smooth. */
  kinks?: KinkFn;
}

/** Locations in r of every kink or step of l and dl at label y (k = 1, affine steps): out[j] = c_j(y). */
export type KinkFn = (y: number, out: Float64Array) => number;

/**
 * The per-sample functions in vector form, for every k >= 1 (the code path shared by all k: a k = 1 model
 * uses 1 x 1 blocks). Arrays are read at an offset so that callers can keep sample-major buffers:
 * r = r[ro .. ro + k), wstar = w[wo .. wo + kTeacher). Built by rebuildVectorFns in src/symbolic/compile.
 */
export interface VectorFns {
  k: number;
  kTeacher: number;
  /** L(r; y) */
  loss(r: Float64Array, ro: number, y: number): number;
  /** out[oo + a] = dL/dr_a, a < k (the gradient l) */
  grad(r: Float64Array, ro: number, y: number, out: Float64Array, oo: number): void;
  /** out[oo + a k + b] = d2L/dr_a dr_b (the Hessian H, row-major k x k) */
  hess(r: Float64Array, ro: number, y: number, out: Float64Array, oo: number): void;
  /** y = phi(wstar, eps) */
  label(wstar: Float64Array, wo: number, eps: number): number;
  /** The prediction yhat(r) whose sign is compared with +-1 labels for the test error (k = 1: r itself). */
  predict(r: Float64Array, ro: number): number;
  /**
   * loss, grad and hess in one call (one generated body, shared subexpressions): g[go + a] = l_a,
   * h[ho + a k + b] = H_ab, returns L(r; y). Bit-identical to the three separate calls.
   */
  lossGradHess(
    r: Float64Array,
    ro: number,
    y: number,
    g: Float64Array,
    go: number,
    h: Float64Array,
    ho: number,
  ): number;
  /** k = 1: the kinks of the loss side in r (CompiledFns.kinks), for quadrature split at them. */
  kinks?: KinkFn;
}

/** The vector sources of every derived model (k >= 1; a k = 1 model has them as the 1 x 1 case). */
export type VecFnName = "vloss" | "vgrad" | "vhess" | "vlabel" | "vpredict";

/** The fused source of every model (k >= 1): VectorFns.lossGradHess. */
export type FusedFnName = "lossGradHess";

/** k > 1 or kTeacher > 1: the vector forms as mathjs text and LaTeX (what derive/LaTeX/report display). */
export interface VectorForms {
  /** Prediction-side variable names r1..rk (k = 1: "r") and teacher names wstar1..wstark* ("wstar"). */
  rNames: string[];
  wstarNames: string[];
  text: VectorFormTexts;
  latex: VectorFormTexts;
}
export interface VectorFormTexts {
  /** L(r; y) composed through the activation */
  loss: string;
  /** yhat(r) */
  predict: string;
  /** l_a = dL/dr_a, a = 1..k */
  grad: string[];
  /** H_ab = d2L/dr_a dr_b, row-major k x k */
  hess: string[];
  /** phi(wstar, eps) */
  label: string;
}

/**
 * Everything the symbolic stage produces for a model (src/symbolic).
 * `sources` are JS function-expression texts generated from the checked AST with the parameters
 * inlined as numeric literals, e.g. "(r, y) => { ... }"; workers rebuild `fns` from them with
 * `rebuildFns` in src/symbolic/compile.ts. They never contain raw user text. The vector sources (VecFnName)
 * and `lossGradHess` (loss, gradient and Hessian in one function) are present for every derived model;
 * rebuildVectorFns requires lossGradHess.
 */
export interface Derived {
  model: Model;
  /** mathjs text of L (composed through the activation), l, dl, d2l, label, pen, h, dh. */
  text: Record<FnName, string>;
  /** LaTeX of each, checked to parse with KaTeX. */
  latex: Record<FnName, string>;
  sources: Record<FnName, string> & Partial<Record<VecFnName | FusedFnName | "jumps" | "kinks", string>>;
  /** Scalar functions (k = kTeacher = 1). For vector models loss/l/dl/d2l/label throw; pen/h/dh are real
   *  (the penalty acts on every entry of theta). */
  fns: CompiledFns;
  /** Vector functions for every model (k = 1: the 1 x 1 case, from the same trees as fns). Workers:
   *  rebuildVectorFns(sources, k, kTeacher). */
  vec: VectorFns;
  /** Present iff the model is a vector model (k > 1 or kTeacher > 1). */
  vector?: VectorForms;
  /** Labels take values in {-1, +1} (test error is reported). */
  binaryLabels: boolean;
  /** d2L/dr2 does not depend on r and the penalty is quadratic: closed exact equations apply. */
  linear: boolean;
  /** Names of the checks that ran and passed (cross-checks of derivatives, stability checks). */
  checks: string[];
  /**
   * Steps of l = dL/dr (non-smooth losses and activations, issue 14): l = l_ac + sum_j J_j H(r - c_j).
   * Empty or absent for smooth models. When present, `fns.dl` / `vec.hess` are the absolutely continuous
   * part l_ac' (d step = d sign = 0), so a pathwise tangent alone misses the jumps.
   * For k = 1 models whose step arguments are affine in r, `sources.jumps` is generated:
   * "(y, out) => count" writing out[2j] = c_j(y), out[2j + 1] = J_j(y). `sources.kinks` ("(y, out) => count",
   * out[j] = c_j(y)) lists every kink or step of l and dl (k = 1, affine), for quadrature split at them.
   */
  jumps?: Jump[];
  /**
   * Scheduled parameters (Model.schedules, issue 16). The sources read scheduled parameter i as P[i]; `slots`
   * is the P of `fns` and `vec` (write a step's values into it before calling them; it holds t = 0 values
   * after derive). Workers rebuild with their own P: rebuildFns(sources, P). Absent when nothing is scheduled.
   */
  schedule?: ScheduleSet & {
    slots: Float64Array;
    /** Scheduled parameters the loss (through the activation) uses: closed equations do not apply. */
    inLoss: string[];
  };
}

/** One step of the gradient l = dL/dr (see Derived.jumps). */
export interface Jump {
  /** Which component of r crosses the kink (0-based; always 0 for k = 1). */
  unit: number;
  /** mathjs text of the location c(y) and size J(y) (size may depend on r for vector models). */
  loc: string;
  size: string;
  latex: { loc: string; size: string };
}

/** Dynamics a solver or simulator integrates. */
export type Dynamics = "sgf" | "gd" | "sgd" | "sgd-limit" | "sgd-fraction" | "online";

/**
 * Scalar observables on the recording grid. k = kTeacher = 1: q, m. Vector models report the overlap
 * matrices entry by entry, 1-based: Q_a_b = (theta^T theta / d)_ab for a <= b, M_a_c = (theta^T theta* / d)_ac
 * (names from overlapNames in src/observables/names.ts).
 */
export type ObservableName =
  | "train_loss"
  | "test_loss"
  | "test_error"
  | "q"
  | "m"
  | `Q_${number}_${number}`
  | `M_${number}_${number}`;

/**
 * Output of `solve` and `simulate` (the JSON they write). Observable arrays are aligned with `t`;
 * `stderr` holds one standard error per entry. Two-time kernels are row-major N x N.
 */
export interface Result<M extends ResultMeta = ResultMeta> {
  t: number[];
  observables: Partial<Record<ObservableName, number[]>>;
  stderr: Partial<Record<ObservableName, number[]>>;
  kernels?: Record<string, { shape: number[]; data: number[]; stderr?: number[] }>;
  meta: M;
}

/** Result.meta: what produced the result, one declared shape per solver family (`solver`; none: simulate). */
export type ResultMeta = McMeta | ExactLinearMeta | OnlineMeta | SpectralMeta | SimulateMeta;

/** The meta fields every run writes. */
interface RunMeta {
  model: string;
  /** The model's parameters after --set (scheduled ones at t = 0) and its schedules, if any. */
  parameters: Record<string, number>;
  schedules?: Record<string, string>;
  dynamics: string;
  dt: number;
  T: number;
  steps: number;
  /** What the recorded grid is (src/util/record.ts recordMeta; a simulation's plain interval is a number). */
  record?: string | number;
  /** sgd-fraction's batch law (src/util/batch.ts batchMeta). */
  batch_fraction?: number;
  persistence?: number;
  init_std?: number;
  init_overlap?: number;
  /** Wall-clock seconds (the only part that differs between two runs of the same command). */
  timings: Record<string, number>;
}

/** The Monte-Carlo DMFT solver (src/solvers/mc). */
export interface McMeta extends RunMeta {
  solver: "mc";
  /** Which implementation each kernel family ran ("wasm-simd", "js"; src/kernels/loader.ts). */
  kernels: KernelUsage;
  source: string;
  teacher_variance: number;
  seed: number;
  samples: number;
  groups: number;
  stderr: string;
  varianceReduction: string;
  /** How the parameter side is integrated: in closed form (h = lambda theta) or by its samples. */
  parameterSide: string;
  /** The Richardson step in dt, or false. */
  extrapolate: string | false;
  /** The response estimator, why, and Stein's Richardson correction in 1/M (when applied). */
  response: {
    estimator: "tangent" | "branch" | "stein";
    reason: string;
    richardson?: string;
    correctionAtT?: Record<string, number>;
    relativeCorrectionAtT?: Record<string, number>;
    /** Set when that correction is large (>= 10 % of the train loss at T). */
    warning?: string;
    /** How the kernels written with --kernels are estimated. */
    kernels?: string;
  };
  clampedPivots: number;
  zeroPivots: number;
  memoryBytes: number;
  multiplyAdds: number;
  /** solve --resume: the checkpoint file and the step it continued from. */
  resumed?: { from: string; steps: number };
  timings: { solveSeconds: number; totalSeconds: number; estimatedSeconds: number };
}

/** The exact closed equations of linear models (src/solvers/exact/linear.ts). */
export interface ExactLinearMeta extends RunMeta {
  solver: "exact-linear";
  seed: number | null;
  /** The model's linear coefficients (src/solvers/exact/coefficients.ts). */
  coefficients: object;
  stderr: string;
  extrapolate: string | false;
}

/** The delta -> infinity (online) ODEs (src/solvers/exact/online.ts). */
export interface OnlineMeta extends RunMeta {
  solver: "online-ode";
  scheme: string;
  rk4Step?: number;
  stepHalvingError?: number;
  stderr: string;
}

/** Gradient flow of ridge regression by the Marchenko–Pastur spectrum (src/solvers/exact/spectral.ts). */
export interface SpectralMeta extends RunMeta {
  solver: "spectral";
  filter: string;
  quadrature: string;
}

/** The finite-d simulators (src/simulate). */
export interface SimulateMeta extends RunMeta {
  solver?: undefined;
  source: string;
  teacher_variance: number;
  /** Vector models only. */
  k?: number;
  k_teacher?: number;
  d: number;
  n: number;
  delta_effective: number;
  seeds: number;
  seed: number;
  /** Set with exact d -> infinity initial overlaps. */
  init?: string;
  /** SGD: batch size and learning rate (strings when they follow a schedule), the batch sizes' range. */
  batch?: number | string;
  eta?: number | string;
  batchSizes?: number[];
  batchRounding?: number;
  /** Which implementation each kernel family ran ("wasm-simd", "js"; src/kernels/loader.ts). */
  kernels: KernelUsage;
  timings: { total_s: number; estimated_s: number; seconds_per_step: number };
}
