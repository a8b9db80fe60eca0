// One independent Monte-Carlo solve ("group") of the discrete-time DMFT of theory note §5-§6: M prediction-
// side and M parameter-side samples marched forward once over t_k = k D, for any k >= 1 (U = k units,
// V = kTeacher; a scalar model is the same code with 1 x 1 blocks). This file sets a group up (GroupState:
// Gaussian inputs, teacher, labels, histories, kernels) and runs the steps of step.ts: parameter-side
// moments C_theta[k,.], m_k; w_k drawn conditionally on the past; r_k, l_k, H_k; rho[k,.] by the chosen
// response estimator (exact discrete tangent backwards per sample, so only O(M N) history is stored; or
// conditional branching, branch.ts; or Stein, stein.ts); Gamma_k by Stein's identity; nu_k with
// Cov = delta E[(l dxi)(l dxi)^T]; theta_{k+1}; R_theta[k+1,.]. Kernel block (t, s) starts at (t N1 + s) UU.
// Groups share nothing, so their spread gives honest standard errors. solveGroup can also hand back its
// state before the last step, or continue from such a state at a longer horizon (checkpoint.ts).

import type { JumpFn } from "../../symbolic/compile.js";
import type { StepSchedule } from "../../symbolic/schedule.js";
import type { CompiledFns, VectorFns } from "../../types.js";
import { type BatchLaw, BatchWeights } from "../../util/batch.js";
import { Rng } from "../../util/rng.js";
import { Branches } from "./branch.js";
import { restoreState, savedInputs, saveState } from "./checkpoint.js";
import { GaussianColumns } from "./columns.js";
import { closedKernels, initialRows } from "./gaussian-params.js";
import { GrowingCholesky } from "./linalg.js";
import type { SampleState } from "./samples.js";
import { invertSmall } from "./small.js";
import type { SteinScratch } from "./stein.js";
import { step } from "./step.js";
import { arenaDoubles, floatDoubles, TANGENT_LANES, WasmArena } from "./wasm.js";

export interface SchemeParams {
  dynamics: "sgf" | "gd" | "sgd-limit" | "sgd-fraction";
  dt: number;
  N: number;
  delta: number;
  tau: number;
  rhoStar: number;
  initStd: number;
  /** theta_0 = initOverlap theta* + initStd z (k = kTeacher when nonzero). */
  initOverlap: number;
  /** sgd-fraction: batch fraction b and membership persistence tau_p (0: iid); see src/util/batch.ts. */
  batch?: BatchLaw;
  kernels: boolean;
  /** Moment matching of all Gaussian inputs (orthonormalised columns). */
  orthogonal: boolean;
  /** Test-only: replace Cov(nu) by drift field + independent white noise (the wrong scheme). */
  dropCrossTerm: boolean;
  /** Scheduled parameters (issue 16): step k's values go into the slots of the model functions and tau is
   *  tau.k at step k. `tau` above is then the largest tau(t_k) (it decides whether there is noise). */
  schedule?: StepSchedule;
  /** Response estimator of rho and Gamma (resolved: never "auto"); see stein.ts and branch.ts. */
  response: "tangent" | "stein" | "branch";
  /** Most jumps of l for one label (branch only; Derived.jumps.length). */
  jumpCount?: number;
  /** Stein at long horizons (planMc): the noise columns dB_k are orthonormalised apart from the field
   *  columns (teacher, label noise, w_k), so that only the fields need one orthonormal block. */
  noiseApart?: boolean;
  /** The parameter side in closed form (gaussian-params.ts): h(theta) = lambda theta, checked by planMc. */
  closedParams?: boolean;
}

export interface GroupSpec {
  seed: number;
  /** Distinguishes solves sharing a seed (e.g. the dt/2 solve of --extrapolate). */
  tag: number;
  group: number;
  samples: number;
  /** Steps written out (increasing, first 0, last N; default every step): series and kernels. */
  record?: number[];
  /**
   * A part of a larger group (Stein's Richardson step in 1/M, index.ts): the Gaussian inputs are rows
   * from..from+samples-1 of the draws of a group of `total` samples, so the part's noise is shared with
   * the whole group's.
   */
  rows?: { total: number; from: number };
  /** Return the state before the last step (GroupOut.state; solve --checkpoint, checkpoint.ts). */
  checkpoint?: boolean;
  /** A state saved by a solve of the same group to a horizon <= N: continue from it (solve --resume). */
  resume?: Float64Array;
}

/** The Gaussian draws of stream `rng` restricted to rows from..from+M-1 of `total` samples per column. */
function rowSubset(rng: Rng, M: number, rows?: GroupSpec["rows"]): Pick<Rng, "fillNormal"> {
  if (!rows) return rng;
  return {
    fillNormal(a: Float64Array): void {
      const cols = a.length / M;
      const all = new Float64Array(cols * rows.total);
      rng.fillNormal(all);
      for (let c = 0; c < cols; c++) {
        a.set(all.subarray(c * rows.total + rows.from, c * rows.total + rows.from + M), c * M);
      }
    },
  };
}

export interface GroupOut {
  /** At the recorded steps only (GroupSpec.record). */
  train_loss: Float64Array;
  /** Q_k = C_theta[k,k] (U x U per step) and M_k = m_k (U x V per step). */
  Q: Float64Array;
  M: Float64Array;
  kernels?: { C_theta: Float64Array; R_theta: Float64Array; rho: Float64Array; Gamma: Float64Array };
  clamped: number;
  zeroPivots: number;
  /** The state before step N (GroupSpec.checkpoint). */
  state?: Float64Array;
}

/**
 * Whether the memory terms follow their own recursion (step.ts memoryNext): Stein with the closed-form
 * parameter side. Their history is then stored (and checkpointed) instead of R_theta, which runs only for
 * --kernels.
 */
export function memoryRecursion(p: SchemeParams): boolean {
  return p.response === "stein" && (p.closedParams ?? false);
}

/** Gaussian input columns of each side: [prediction, parameter]. */
export function inputColumns(p: SchemeParams, U: number, V: number): [number, number] {
  const noise = p.dynamics === "sgf" && p.tau > 0;
  return [2 + V + U * (p.N + 1) + (noise ? p.N : 0), 1 + V + U + U * p.N];
}

/** The prediction-side noise columns dB_0..dB_{N-1} (after each step's U field columns w_k). */
export function noiseColumns(p: SchemeParams, U: number, V: number): number[] {
  if (!(p.dynamics === "sgf" && p.tau > 0)) return [];
  return Array.from({ length: p.N }, (_, k) => V + 2 + k * (U + 1) + U);
}

/**
 * The arrays, kernels, Cholesky factors, inputs and random streams of one group solve (built by groupState,
 * advanced by step.ts, saved and restored by checkpoint.ts). It is also the SampleState of the per-sample
 * loops (samples.ts). Kernel blocks (t, s) start at (t N1 + s) UU; histories are column-major.
 */
export interface GroupState extends SampleState {
  p: SchemeParams;
  N: number;
  D: number;
  delta: number;
  UU: number;
  UV: number;
  /** Whether the SGF noise dB_k is drawn (sgf with tau > 0). */
  noise: boolean;
  /** Blow-up guard on tr Q. */
  limit: number;
  /** tau D / delta (Var dxi); with a schedule, updated at every step like tau, sdB, rate. */
  vDxi: number;
  /** The scheduled parameters' slots of the model functions (empty without a schedule). */
  slots: Float64Array;
  /** Gaussian inputs of the prediction side (teacher, label noise, w_k, dB_k) and parameter side (none
   *  when the parameter side is in closed form, p.closedParams). */
  pred: GaussianColumns;
  par: GaussianColumns | null;
  /** First parameter-side column of the nu_k (after theta* and theta_0). */
  nuCol0: number;
  /** Input column of each row of Lw (teacher V rows, then U per step). */
  varCols: number[];
  /** Cholesky factors of Cov(w*, w_0, w_1, ...) and Cov(nu_0, nu_1, ...) (one row per variable). */
  Lw: GrowingCholesky;
  Lnu: GrowingCholesky;
  /** The closed-form parameter side's coefficients (rows theta*, theta_0, theta_1, ...; one step ahead of
   *  Lw), gaussian-params.ts; null with parameter-side samples. */
  B: GrowingCholesky | null;
  /** Gss^-1, Gss = <theta* theta*^T> (V x V). */
  GssInv: Float64Array;
  /** Kernels (N1 x N1 blocks) and the block transposes Rt, rhoT (empty where nothing reads them: Rt is for
   *  the tangent, branching and k > 1, rhoT for the per-sample R_theta of a non-linear h); Gamma_k (U x V
   *  per step). */
  C: Float64Array;
  R: Float64Array;
  Rt: Float64Array;
  rho: Float64Array;
  rhoT: Float64Array;
  Gamma: Float64Array;
  /** Outputs per step: train loss, Q_k (U x U), M_k (U x V). */
  train_loss: Float64Array;
  Qo: Float64Array;
  Mo: Float64Array;
  /** The random streams the steps draw from (sgd-limit's Poisson stream or sgd-fraction's batch stream). */
  streams: Rng[];
  /** Branching estimator's per-sample branches (branch only). */
  branches: Branches | null;
  steinScratch: SteinScratch | null;
  /** Rows of B checked to be rows of Lw as well, and whether all are (gaussian-params.ts lwIsB). */
  lwIsB: { rows: number; same: boolean } | null;
  /** A row of B being built. */
  bRow: Float64Array | null;
  /** The WebAssembly memory of the arrays above (released by solveGroup). */
  arena: WasmArena;
  /**
   * The memory terms m_k = sum_{s<k} R_theta[k,s] A_s of every step (column k U + a, floats), where they
   * follow their own recursion (Stein with the closed-form parameter side, step.ts); null elsewhere.
   */
  Mh: Float32Array | null;
  /** Scratch of the steps; Ak: the history's last U columns as doubles (Cov nu's coefficients). */
  Ak: Float64Array;
  acc: Float64Array;
  accA: Float64Array;
  P: Float64Array;
  coef: Float64Array;
  cov: Float64Array;
  wl: Float64Array;
  dhRange: Float64Array;
  rows: Float64Array[];
  wCoef: Float64Array[];
  nuCoef: Float64Array[];
}

/** The model functions a group solve runs (rebuilt from Derived.sources in a worker thread). */
export interface GroupModel {
  fns: CompiledFns;
  vec: VectorFns;
  /** The P of fns and vec (scheduled parameters), written at every step when p.schedule is set. */
  slots?: Float64Array;
  /** The compiled jumps of l (branching estimator only). */
  jumps?: JumpFn;
}

export function solveGroup(model: GroupModel, p: SchemeParams, g: GroupSpec): GroupOut {
  const { vec } = model;
  const s = groupState(model, p, g);
  let state: Float64Array | undefined;
  for (let k = g.resume ? restoreState(s, g.resume) : 0; k <= p.N; k++) {
    if (k === p.N && g.checkpoint) state = saveState(s);
    step(s, k);
  }
  const { train_loss, Qo, Mo, Lw, Lnu, C, R, rho, Gamma, arena } = s;

  const rec = g.record ?? Array.from({ length: p.N + 1 }, (_, k) => k);
  const U = vec.k;
  const UU = U * U;
  const UV = U * vec.kTeacher;
  const out: GroupOut = {
    train_loss: pick(train_loss, rec, 1),
    Q: pick(Qo, rec, UU),
    M: pick(Mo, rec, UV),
    clamped: Lw.clamped + Lnu.clamped,
    zeroPivots: Lw.zeroPivots + Lnu.zeroPivots,
    ...(state ? { state } : {}),
  };
  // Copies out of the arena (a view would structured-clone its whole WebAssembly memory), on the recorded
  // grid only.
  if (p.kernels) {
    if (s.B) closedKernels(s, rec);
    const two = (X: Float64Array) => pickTwoTime(X, p.N + 1, rec, UU);
    out.kernels = { C_theta: two(C), R_theta: two(R), rho: two(rho), Gamma: pick(Gamma, rec, UV) };
  }
  arena.release();
  return out;
}

/** Blocks of `size` of X (one per step) at the steps `rec`. */
function pick(X: Float64Array, rec: number[], size: number): Float64Array {
  const out = new Float64Array(rec.length * size);
  rec.forEach((k, i) => {
    out.set(X.subarray(k * size, (k + 1) * size), i * size);
  });
  return out;
}

/** Blocks (t, s) of size UU of an N1 x N1 block matrix X at the recorded steps t, s in `rec`. */
function pickTwoTime(X: Float64Array, N1: number, rec: number[], UU: number): Float64Array {
  const K1 = rec.length;
  const out = new Float64Array(K1 * K1 * UU);
  for (let i = 0; i < K1; i++) {
    for (let j = 0; j < K1; j++) {
      const src = (rec[i] * N1 + rec[j]) * UU;
      out.set(X.subarray(src, src + UU), (i * K1 + j) * UU);
    }
  }
  return out;
}

/** theta*_i (V per sample), theta_0 (column-major, U columns) and Gss += sum_i theta*_i theta*_i^T. */
function initialParameters(
  par: GaussianColumns,
  p: SchemeParams,
  U: number,
  V: number,
  cStar: number[],
  c0: number[],
  thStar: Float64Array,
  Th: Float64Array,
  Gss: Float64Array,
): void {
  const M = par.M;
  for (let i = 0; i < M; i++) {
    for (let c = 0; c < V; c++) thStar[i * V + c] = Math.sqrt(p.rhoStar) * par.at(i, cStar[c]);
    for (let a = 0; a < U; a++) {
      const z = p.initStd * par.at(i, c0[a]);
      Th[a * M + i] = p.initOverlap === 0 ? z : p.initOverlap * thStar[i * V + a] + z;
    }
    for (let c = 0; c < V; c++)
      for (let e = 0; e < V; e++) Gss[c * V + e] += thStar[i * V + c] * thStar[i * V + e];
  }
}

/** Teacher field c of every sample: w*_c = sum_{j <= c} row[j] z_j (Cholesky row of Gss). */
function teacherField(
  pred: GaussianColumns,
  V: number,
  c: number,
  row: Float64Array,
  varCols: number[],
  wstar: Float64Array,
): void {
  for (let i = 0; i < pred.M; i++) {
    let w = 0;
    for (let j = 0; j <= c; j++) w += row[j] * pred.at(i, varCols[j]);
    wstar[i * V + c] = w;
  }
}

/** y_i = label(w*_i, eps_i), eps from column wcEps. */
function labels(
  vec: VectorFns,
  pred: GaussianColumns,
  wcEps: number,
  wstar: Float64Array,
  y: Float64Array,
): void {
  const V = vec.kTeacher;
  for (let i = 0; i < pred.M; i++) y[i] = vec.label(wstar, i * V, pred.at(i, wcEps));
}

/**
 * Allocates and initialises everything a group solve needs (step 0's inputs included). Its per-sample loops
 * are small functions of their own, so that this long function is not compiled by on-stack replacement.
 */
function groupState(model: GroupModel, p: SchemeParams, g: GroupSpec): GroupState {
  const { fns, vec, slots, jumps } = model;
  const { N, dt: D, delta, tau } = p;
  const U = vec.k;
  const V = vec.kTeacher;
  const UU = U * U;
  const UV = U * V;
  const N1 = N + 1;
  const M = g.samples;
  const noise = p.dynamics === "sgf" && tau > 0;
  const poisson = p.dynamics === "sgd-limit" ? new Rng(g.seed, g.tag, g.group, 2) : null;
  // sgd-fraction with b < 1: sample weights s_{i,k} in {0, 1/b} (b = 1 draws nothing: the gd path).
  const weights =
    p.batch && p.batch.b < 1 ? new BatchWeights(p.batch, M, new Rng(g.seed, g.tag, g.group, 2)) : null;
  const streams = [poisson ?? weights?.rng].filter((r): r is Rng => !!r);
  const [predCols, parCols] = inputColumns(p, U, V);
  const SW = N1 * U;
  const closed = p.closedParams ?? false;
  // The per-sample arrays and the coefficient rows the SIMD kernels read share one WebAssembly memory.
  const NN = N1 * N1 * UU;
  const pLen = Math.max(TANGENT_LANES * (N1 + 1), (N1 + 3) * UU);
  const stein = p.response === "stein";
  // The block transposes only where something reads them (their strided writes cost ~10 % of a long Stein
  // solve): Rt for the tangent, branching and k > 1; rhoT for the per-sample R_theta of a non-linear h.
  const rtLen = !stein || U > 1 ? NN : 0;
  // Memory terms by their own recursion: their history, floats like A; R_theta then only for --kernels.
  const memRec = memoryRecursion(p);
  const rLen = memRec && !p.kernels ? 0 : NN;
  const arena = new WasmArena(
    GaussianColumns.doubles(M, predCols, U) +
      (closed ? 0 : GaussianColumns.doubles(M, parCols, U)) +
      arenaDoubles(closed ? 0 : M * SW, floatDoubles(M * SW), stein ? 0 : M * N1 * UU, M * UU) +
      arenaDoubles(memRec ? floatDoubles(M * SW) : 0) +
      arenaDoubles(
        p.dropCrossTerm ? M * SW : 0,
        rLen,
        rtLen,
        NN,
        N1 * UU * Math.max(U, 1),
        pLen,
        SW,
        U * SW,
      ) +
      3 * U * arenaDoubles(M) +
      arenaDoubles(U * M) +
      GrowingCholesky.doubles(V + U * N1) +
      GrowingCholesky.doubles(U * N1) +
      (stein ? arenaDoubles(U * M, U * predCols, V + U * N1) : 0) +
      (closed ? arenaDoubles(V + U * N1) + GrowingCholesky.doubles(V + U * N1) : 0),
  );
  const f64 = (n: number) => arena.f64(n);
  const predRng = rowSubset(new Rng(g.seed, g.tag, g.group, 0), M, g.rows);
  const parRng = rowSubset(new Rng(g.seed, g.tag, g.group, 1), M, g.rows);
  // The noise columns apart come from a stream of their own (so every column is the same at any N).
  const apart = p.noiseApart ? noiseColumns(p, U, V) : [];
  const apartRng = p.noiseApart ? rowSubset(new Rng(g.seed, g.tag, g.group, 3), M, g.rows) : predRng;
  // A resumed Stein solve starts from its checkpoint's orthonormalised inputs (checkpoint.ts savedInputs).
  const saved = g.resume ? savedInputs(p, M, U, V, g.resume) : undefined;
  const pred = new GaussianColumns(
    M,
    predCols,
    predRng,
    p.orthogonal,
    arena,
    U,
    apart,
    apartRng,
    saved?.pred,
  );
  const par = closed
    ? null
    : new GaussianColumns(M, parCols, parRng, p.orthogonal, arena, U, [], parRng, saved?.par);
  const limit = 1e10 * (1 + p.rhoStar + p.initStd ** 2);

  // Parameter side: theta* (V per sample) and theta_0, then the history theta_0..theta_N (U per step); in
  // closed form none of it (Gss = <theta* theta*^T> = rho* I, exact for moment-matched inputs).
  const thStar = new Float64Array(closed ? 0 : M * V);
  // Histories are column-major: column c = s U + a (step s, unit a) is X[c M .. c M + M - 1].
  const Th = f64(closed ? 0 : M * SW);
  const Gss = new Float64Array(V * V);
  let nuCol0 = 0; // the sample path's (stepParameters reads it only then)
  if (par) {
    const cStar = Array.from({ length: V }, () => par.append());
    const c0 = Array.from({ length: U }, () => par.append());
    nuCol0 = par.n;
    initialParameters(par, p, U, V, cStar, c0, thStar, Th, Gss);
    for (let e = 0; e < V * V; e++) Gss[e] /= M;
  } else for (let c = 0; c < V; c++) Gss[c * V + c] = p.rhoStar;
  const GssInv = invertSmall(Gss, V);

  // Prediction side: teacher fields w* (covariance Gss), label; histories A_s = l dxi (U), Cc_s = H dxi (UU).
  const Lw = new GrowingCholesky(V + U * N1, arena);
  const varCols: number[] = [];
  const wstar = new Float64Array(M * V);
  for (let c = 0; c < V; c++) {
    const row = Lw.addRow(Gss.subarray(c * V, c * V + c + 1));
    varCols.push(pred.append());
    teacherField(pred, V, c, row, varCols, wstar);
  }
  const wcEps = pred.append();
  const y = new Float64Array(M);
  labels(vec, pred, wcEps, wstar, y);
  const A = arena.f32(M * SW);
  const Mh = memRec ? arena.f32(M * SW) : null;
  // The tangent's H dxi history (Stein needs no derivative of l).
  const Cc = stein ? null : f64(M * N1 * UU);
  const Lh = p.dropCrossTerm ? f64(M * SW) : null;
  const lk = new Float64Array(M * U);
  const Hk = f64(M * UU);
  const Lnu = new GrowingCholesky(U * N1, arena);

  // Kernels (block row-major) and block transposes used by the inner loops.
  const C = new Float64Array(N1 * N1 * UU);
  const R = f64(rLen);
  const Rt = f64(rtLen);
  const rho = f64(NN);
  const rhoT = new Float64Array(closed ? 0 : NN);
  const Gamma = new Float64Array(N1 * UV);
  const train_loss = new Float64Array(N1);
  const Qo = new Float64Array(N1 * UU);
  const Mo = new Float64Array(N1 * UV);
  const cov = new Float64Array(V + U * N1);
  const acc = f64(N1 * UU * Math.max(U, 1));
  const wl = new Float64Array(UV);
  const P = f64(pLen);
  // Kernel operands: the memory-term coefficient row, and per-unit outputs (w, nu, memory term).
  const coef = f64(SW);
  const accA = f64(U * SW);
  const wOut = Array.from({ length: U }, () => f64(M));
  const nuOut = Array.from({ length: U }, () => f64(M));
  // Coefficients of the draws w_k and nu_k over all columns of their side.
  const wCoef = Array.from({ length: U }, () => new Float64Array(predCols));
  const nuCoef = Array.from({ length: U }, () => new Float64Array(parCols));
  const memOut = Array.from({ length: U }, () => f64(M));
  const Ak = f64(U * M);
  const rows: Float64Array[] = new Array(U);
  const branches =
    p.response === "branch" && jumps ? new Branches(M, N1, fns, jumps, p.jumpCount ?? 1) : null;
  const steinScratch: SteinScratch | null = stein
    ? { lcol: f64(U * M), dots: f64(U * predCols), x: f64(V + U * N1) }
    : null;

  const eDxi = -D / delta;
  const vDxi = p.dynamics === "gd" ? 0 : (tau * D) / delta;
  const sample: SampleState = {
    M,
    U,
    V,
    N1,
    fns,
    vec,
    Th,
    thStar,
    nuOut,
    memOut,
    wOut,
    wstar,
    y,
    lk,
    Hk,
    rbuf: new Float64Array(U),
    A,
    Cc,
    Lh,
    eDxi,
    sdB: Math.sqrt((tau * D) / delta),
    tau,
    rate: poisson ? D / (tau * delta) : 0,
    jumps: poisson,
    weights,
    dxiOut: branches ? new Float64Array(M) : null,
  };
  const dhRange = new Float64Array(2);
  const bRow = closed ? f64(V + U * N1) : null;
  const B = closed ? new GrowingCholesky(V + U * N1, arena) : null;
  // One object for the step functions (step.ts); it is also the SampleState of the per-sample loops.
  const state: GroupState = {
    ...sample,
    C,
    D,
    Gamma,
    GssInv,
    Lnu,
    Lw,
    Mo,
    N,
    P,
    Qo,
    R,
    Rt,
    UU,
    UV,
    Ak,
    Mh,
    acc,
    accA,
    arena,
    branches,
    coef,
    cov,
    delta,
    dhRange,
    limit,
    noise,
    nuCoef,
    nuCol0,
    p,
    par,
    pred,
    rho,
    rhoT,
    rows,
    slots: slots ?? new Float64Array(0),
    steinScratch,
    bRow,
    B,
    lwIsB: closed ? { rows: 0, same: true } : null,
    streams,
    train_loss,
    vDxi,
    varCols,
    wCoef,
    wl,
  };
  // The closed-form parameter side's rows of theta* and theta_0 (gaussian-params.ts).
  if (closed) initialRows(state);
  return state;
}
