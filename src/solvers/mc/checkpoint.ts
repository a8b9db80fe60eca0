// Checkpoints of the Monte-Carlo solver (issue 15, `solve --checkpoint FILE` / `--resume FILE`): the state
// of every group solve just before its last step k = N, the header that describes them and the checks of a
// resume (the file itself: checkpoint-file.ts). The scheme is causal
// and a group computes steps 0..N the same at any horizon (its inputs have the prefix property, columns.ts),
// so a resume rebuilds the group at the new horizon N' (the tangent's inputs regenerated from the seed), copies the saved
// state into it (kernels re-strided from N + 1 to N' + 1) and runs steps N..N': bit-identical to one run.
// Stored: what cannot be regenerated cheaply — the histories theta (or the closed-form parameter side's
// coefficients B, gaussian-params.ts), A = l dxi (and the tangent's H dxi, the
// branching estimator's branches), the kernels' lower triangles (for Stein in closed form the memory
// terms' history instead of R_theta's, which a resume with --kernels rebuilds from rho), the outputs, both
// Cholesky factors, the column counters and the random streams; Stein's orthonormalised inputs (savedInputs).
// A resume must keep the settings that change the steps (checkpointSettings; checkResume refuses others).
import { createHash } from "node:crypto";
import { setSlots } from "../../symbolic/schedule.js";
import type { Derived } from "../../types.js";
import { DEFAULT_SAMPLES } from "../../util/defaults.js";
import { UsageError } from "../../util/errors.js";
import type { SolveOptions } from "../options.js";
import type { Branches } from "./branch.js";
import { CHECKPOINT_VERSION, checkpointBytes } from "./checkpoint-file.js";
import type { InputPrefix } from "./columns.js";
import { type GroupState, inputColumns, memoryRecursion, noiseColumns, type SchemeParams } from "./group.js";
import type { McInternals, McPlan } from "./plan.js";
import { rThetaRow } from "./step.js";
import { floatDoubles } from "./wasm.js";
import type { GroupTask } from "./worker.js";

/** Triangle of blocks (t, s), s <= t <= n - 1, of size `size`. */
const triangle = (n: number, size: number) => ((n * (n + 1)) / 2) * size;

/**
 * Doubles of the state of one group solve of `samples` samples saved before step N = p.N (saveState), for
 * U units and V teacher units; `persistent`: sgd-fraction with persistent membership (one flag per sample).
 */
export function stateDoubles(p: SchemeParams, samples: number, U: number, V: number): number {
  const { N } = p;
  const M = samples;
  const UU = U * U;
  const UV = U * V;
  const streams = p.dynamics === "sgd-limit" || (p.batch && p.batch.b < 1) ? 1 : 0;
  const member = p.batch && p.batch.b < 1 && p.batch.persistence > 0 ? M : 0;
  const nw = V + U * N;
  // The closed-form parameter side keeps no theta history but its coefficients B (rows up to theta_N).
  const closed = p.closedParams ?? false;
  // The memory terms' history (floats) instead of R_theta's triangle where they have their own recursion.
  const memRec = memoryRecursion(p);
  return (
    10 +
    nw +
    4 * streams +
    member +
    (closed ? 0 : M * U * (N + 1)) +
    floatDoubles(M * U * N) +
    (p.dropCrossTerm ? M * U * N : 0) +
    (p.response === "stein" ? 0 : M * N * UU) +
    (p.response === "branch" ? M * N * (p.jumpCount ?? 1) * (2 + 2 * N) : 0) +
    (closed ? (memRec ? 1 : 2) : 3) * triangle(N + 1, UU) +
    (memRec ? floatDoubles(M * U * (N + 1)) : 0) +
    N * (2 * UV + 1 + UU) +
    triangle(nw, 1) +
    triangle(U * N, 1) +
    (closed ? triangle(nw + U, 1) : 0) +
    inputDoubles(p, M, U, V)
  );
}

/**
 * Stein's states also hold the group's orthonormalised inputs (last, so that groupState finds them before
 * the rest is restored): their Gram–Schmidt is a large part of a Stein solve, and a resume then
 * orthonormalises only the new columns (columns.ts `prefix`). The tangent's is a small part of its M N^3
 * work: its inputs are regenerated from the seed.
 */
function inputDoubles(p: SchemeParams, M: number, U: number, V: number): number {
  if (p.response !== "stein") return 0;
  const [pred, par] = inputColumns(p, U, V);
  return floatDoubles(M * pred) + (p.closedParams ? 0 : floatDoubles(M * par));
}

/** The inputs stored at the end of a Stein state saved at horizon data[0] (see inputDoubles). */
export function savedInputs(
  p: SchemeParams,
  M: number,
  U: number,
  V: number,
  data: Float64Array,
): { pred: InputPrefix; par?: InputPrefix } | undefined {
  const at = { ...p, N: data[0] };
  const n = inputDoubles(at, M, U, V);
  if (n === 0) return undefined;
  const [pred, par] = inputColumns(at, U, V);
  const apart = p.noiseApart ? noiseColumns(at, U, V).length : 0;
  const floats = (from: number, count: number) =>
    new Float32Array(data.buffer, data.byteOffset + 8 * from, count);
  const base = data.length - n;
  return {
    pred: { Z: floats(base, M * pred), others: pred - apart, separate: apart },
    ...(p.closedParams
      ? {}
      : { par: { Z: floats(base + floatDoubles(M * pred), M * par), others: par, separate: 0 } }),
  };
}

/** Sequential reads or writes of a Float64Array; floats (the stored inputs, A) two to a double. */
class Cursor {
  at = 0;
  constructor(readonly buf: Float64Array) {}
  put(x: ArrayLike<number>): void {
    this.buf.set(x, this.at);
    this.at += x.length;
  }
  take(n: number): Float64Array {
    if (this.at + n > this.buf.length) throw new RangeError("checkpoint state too short");
    const x = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return x;
  }
  putFloats(x: Float32Array): void {
    this.floats(x.length).set(x);
  }
  takeFloats(n: number): Float32Array {
    return this.floats(n);
  }
  private floats(n: number): Float32Array {
    const d = floatDoubles(n);
    if (this.at + d > this.buf.length) throw new RangeError("checkpoint state too short");
    const x = new Float32Array(this.buf.buffer, this.buf.byteOffset + 8 * this.at, n);
    this.at += d;
    return x;
  }
}

/**
 * The kernels a state holds (lower block triangles): C_theta, R_theta and rho; no C_theta in closed form,
 * and no R_theta where the memory terms have their own recursion (then rebuilt from rho for --kernels).
 */
function kernelsKept(s: GroupState): Float64Array[] {
  if (s.Mh) return [s.rho];
  return s.par ? [s.C, s.R, s.rho] : [s.R, s.rho];
}

/** Rows 0..n-1 of a lower-triangular matrix with row stride `cap`: row i has i + 1 entries. */
function triangleRows(L: Float64Array, cap: number, n: number, f: (row: Float64Array, i: number) => void) {
  for (let i = 0; i < n; i++) f(L.subarray(i * cap, i * cap + i + 1), i);
}

/** Blocks (t, s), s <= t <= n - 1, of an N1 x N1 block matrix X, in order. */
function blockTriangle(X: Float64Array, N1: number, UU: number, n: number, f: (b: Float64Array) => void) {
  for (let t = 0; t < n; t++) f(X.subarray(t * N1 * UU, (t * N1 + t + 1) * UU));
}

/**
 * The branches opened at steps a < k of every sample (branch.ts), one piece at a time: per sample, the
 * weights and shifts of its pairs, then the stored (l^± - l) dxi at steps t < k of each pair.
 */
function branchPairs(br: Branches, M: number, k: number, J: number, f: (x: Float64Array) => void): void {
  const { N1, pairs, plus, minus, dZ, weight } = br;
  for (let i = 0; i < M; i++) {
    const p0 = i * pairs;
    f(weight.subarray(p0, p0 + k * J));
    f(dZ.subarray(p0, p0 + k * J));
    for (let p = p0; p < p0 + k * J; p++) {
      f(plus.subarray(p * N1, p * N1 + k));
      f(minus.subarray(p * N1, p * N1 + k));
    }
  }
}

/** The state of group solve `s` before its step k = s.N (steps 0..k-1 done), as stateDoubles(p, ...) doubles. */
export function saveState(s: GroupState): Float64Array {
  const { p, M, U, V, UU, UV, N1, Lw, Lnu, pred, par, varCols } = s;
  const k = s.N;
  const out = new Cursor(new Float64Array(stateDoubles(p, M, U, V)));
  out.put([k, pred.n, par?.n ?? 0, Lw.n, Lw.clamped, Lw.zeroPivots, Lnu.n, Lnu.clamped, Lnu.zeroPivots, M]);
  out.put(varCols);
  for (const rng of s.streams) out.put(rng.save());
  if (s.weights?.member) out.put(s.weights.member);
  if (par) out.put(s.Th.subarray(0, M * U * (k + 1)));
  out.putFloats(s.A.subarray(0, M * U * k));
  if (s.Lh) out.put(s.Lh.subarray(0, M * U * k));
  if (s.Cc) for (let i = 0; i < M; i++) out.put(s.Cc.subarray(i * N1 * UU, (i * N1 + k) * UU));
  if (s.branches) branchPairs(s.branches, M, k, p.jumpCount ?? 1, (x) => out.put(x));
  // C_theta only with parameter-side samples: in closed form it is B's row products (gaussian-params.ts),
  // and no step reads its past rows.
  for (const X of kernelsKept(s)) blockTriangle(X, N1, UU, k + 1, (b) => out.put(b));
  if (s.Mh) out.putFloats(s.Mh.subarray(0, M * U * (k + 1)));
  out.put(s.Gamma.subarray(0, k * UV));
  out.put(s.train_loss.subarray(0, k));
  out.put(s.Qo.subarray(0, k * UU));
  out.put(s.Mo.subarray(0, k * UV));
  triangleRows(Lw.L, Lw.capacity, Lw.n, (r) => out.put(r));
  triangleRows(Lnu.L, Lnu.capacity, Lnu.n, (r) => out.put(r));
  if (s.B) triangleRows(s.B.L, s.B.capacity, s.B.n, (r) => out.put(r));
  if (inputDoubles(p, M, U, V) > 0) {
    out.putFloats(pred.storedColumns().Z);
    if (par) out.putFloats(par.storedColumns().Z);
  }
  if (out.at !== out.buf.length)
    throw new Error(`checkpoint: state of ${out.at} doubles, expected ${out.buf.length}`);
  return out.buf;
}

/**
 * Restores a state saved by saveState into `s`, a group just built (groupState) with the same settings at a
 * horizon s.N >= the saved one; returns the step to continue from (the saved N).
 */
export function restoreState(s: GroupState, data: Float64Array): number {
  const { p, M, U, V, UU, UV, N1, Lw, Lnu, pred, par } = s;
  const src = new Cursor(data);
  const [k, predN, parN, lwN, lwC, lwZ, nuN, nuC, nuZ, samples] = src.take(10);
  if (samples !== M || k > s.N || data.length !== stateDoubles({ ...p, N: k }, M, U, V)) {
    throw new UsageError("solve --resume: the checkpoint's group states do not match these settings");
  }
  pred.n = predN;
  if (par) par.n = parN;
  s.varCols.length = 0;
  s.varCols.push(...src.take(V + U * k));
  for (const rng of s.streams) rng.restore(src.take(4));
  if (s.weights?.member) s.weights.member.set(src.take(M));
  if (par) s.Th.set(src.take(M * U * (k + 1)));
  s.A.set(src.takeFloats(M * U * k));
  if (s.Lh) s.Lh.set(src.take(M * U * k));
  if (s.Cc) for (let i = 0; i < M; i++) s.Cc.set(src.take(k * UU), i * N1 * UU);
  if (s.branches) branchPairs(s.branches, M, k, p.jumpCount ?? 1, (x) => x.set(src.take(x.length)));
  // Lower block triangles, then the other halves: C symmetric (blocks transposed), Rt and rhoT the block
  // transposes of R and rho (blocks as they are), exactly what the steps write.
  for (const X of kernelsKept(s)) {
    for (let t = 0; t <= k; t++) X.set(src.take((t + 1) * UU), t * N1 * UU);
  }
  if (s.Mh) s.Mh.set(src.takeFloats(M * U * (k + 1)));
  for (let t = 0; t <= k; t++) {
    for (let u = 0; u <= t; u++) {
      const lo = (t * N1 + u) * UU;
      const hi = (u * N1 + t) * UU;
      if (par)
        for (let a = 0; a < U; a++) for (let b = 0; b < U; b++) s.C[hi + b * U + a] = s.C[lo + a * U + b];
      if (s.Rt.length > 0) s.Rt.set(s.R.subarray(lo, lo + UU), hi);
      if (s.rhoT.length > 0) s.rhoT.set(s.rho.subarray(lo, lo + UU), hi);
    }
  }
  s.Gamma.set(src.take(k * UV));
  s.train_loss.set(src.take(k));
  s.Qo.set(src.take(k * UU));
  s.Mo.set(src.take(k * UV));
  triangleRows(Lw.L, Lw.capacity, lwN, (r, i) => r.set(src.take(i + 1)));
  triangleRows(Lnu.L, Lnu.capacity, nuN, (r, i) => r.set(src.take(i + 1)));
  if (s.B) {
    s.B.n = V + U * (k + 1);
    triangleRows(s.B.L, s.B.capacity, s.B.n, (r, i) => r.set(src.take(i + 1)));
  }
  // R_theta for --kernels where the state has none: its recursion from the restored rho, step by step as
  // the steps ran it (closed form: h' = lambda at each step's scheduled values).
  if (s.Mh && p.kernels) {
    for (let t = 0; t < k; t++) {
      if (p.schedule) setSlots(s.slots, p.schedule, t);
      const dh = s.fns.dh(0);
      rThetaRow(s, t, dh, dh);
    }
  }
  Lw.n = lwN;
  Lw.clamped = lwC;
  Lw.zeroPivots = lwZ;
  Lnu.n = nuN;
  Lnu.clamped = nuC;
  Lnu.zeroPivots = nuZ;
  return k;
}

/** Model (derived functions, parameters, schedules; not its path or default horizon) as a SHA-256. */
export function modelHash(derived: Derived): string {
  const { time: _t, source: _s, ...model } = derived.model as unknown as Record<string, unknown>;
  return createHash("sha256")
    .update(JSON.stringify([derived.sources, model]))
    .digest("hex");
}

/** What a checkpoint file says about its run (everything but the states themselves). */
export interface CheckpointHeader {
  version: number;
  modelHash: string;
  model: string;
  /** The settings a resume must keep (solver options and internal switches that change the states). */
  settings: Record<string, unknown>;
  /** Steps of the dt grid (the dt/2 level of --extrapolate has twice as many). */
  N: number;
  /** Choices of the planner at N that a resume keeps (meta.response, the input layout of each level). */
  response: { estimator: SchemeParams["response"]; reason: string };
  halves: boolean;
  noiseApart: boolean[];
  /** Whether each level draws the SGF noise dB_k (a tau schedule can switch it on later). */
  noise: boolean[];
  /** One entry per group solve, in solveMc's task order: which solve, its state's doubles and SHA-256. */
  tasks: { tag: number; group: number; from: number; samples: number; doubles: number; sha256: string }[];
}

/** Bytes of the checkpoint file of a plan (solve --checkpoint): every group's state, the halves' included. */
export function checkpointSize(plan: McPlan, U: number, V: number): number {
  const doubles: number[] = [];
  for (const lv of plan.levels) {
    for (const m of plan.sizes) {
      doubles.push(stateDoubles(lv, m, U, V));
      if (plan.halves) doubles.push(stateDoubles(lv, Math.floor(m / 2), U, V));
    }
  }
  return checkpointBytes(doubles);
}

/** The settings a resume must keep: everything that changes a group's steps (not T, --record, --kernels, threads). */
export function checkpointSettings(
  derived: Derived,
  opts: SolveOptions,
  internals: McInternals = {},
): Record<string, unknown> {
  const { noiseApart: _, ...switches } = internals;
  return {
    dynamics: opts.dynamics,
    batchFraction: opts.batchFraction ?? null,
    persistence: opts.persistence ?? null,
    dt: opts.dt ?? derived.model.time.dt,
    samples: opts.samples ?? DEFAULT_SAMPLES,
    groups: opts.groups ?? 8,
    seed: opts.seed,
    extrapolate: opts.extrapolate ?? false,
    response: opts.response ?? "auto",
    internals: switches,
  };
}

/** Refuses (UsageError) a resume whose model or settings differ from the checkpoint's. */
export function checkResume(
  derived: Derived,
  opts: SolveOptions,
  internals: McInternals,
  c: CheckpointHeader,
  file: string,
) {
  if (c.modelHash !== modelHash(derived)) {
    throw new UsageError(
      `solve --resume: ${file} was written for another model (${c.model}, or other parameters or --set values)`,
    );
  }
  const now = checkpointSettings(derived, opts, internals);
  const differ = Object.keys(now).filter(
    (key) => JSON.stringify(now[key]) !== JSON.stringify(c.settings[key]),
  );
  if (differ.length > 0) {
    throw new UsageError(
      `solve --resume: ${file} was written with other settings: ${differ
        .map((key) => `${key} ${JSON.stringify(c.settings[key])} there, ${JSON.stringify(now[key])} here`)
        .join("; ")}`,
    );
  }
}

/** Whether a level draws the SGF noise columns dB_k (they interleave with the w_k: the input layout). */
const drawsNoise = (lv: SchemeParams) => lv.dynamics === "sgf" && lv.tau > 0;

/** Refuses (UsageError) a resume to a shorter horizon, or one whose input layout would differ. */
export function checkHorizon(c: CheckpointHeader, levels: SchemeParams[]): void {
  const { N, dt } = levels[0];
  if (N < c.N) {
    throw new UsageError(`solve --resume: --T ${N * dt} is shorter than the checkpoint's T = ${c.N * dt}`);
  }
  if (levels.some((lv, i) => drawsNoise(lv) !== c.noise[i])) {
    throw new UsageError(
      `solve --resume: the SGF noise switches on after the checkpoint's T = ${c.N * dt} (tau schedule), which ` +
        `changes the solver's inputs; solve to --T ${N * dt} from the start instead`,
    );
  }
}

/** The header of the checkpoint of a solve: its settings, the planner's choices and the group solves. */
export function checkpointHeader(
  derived: Derived,
  opts: SolveOptions,
  internals: McInternals,
  plan: McPlan,
  tasks: GroupTask[],
  hashes: string[],
): CheckpointHeader {
  return {
    version: CHECKPOINT_VERSION,
    modelHash: modelHash(derived),
    model: derived.model.name,
    settings: checkpointSettings(derived, opts, internals),
    N: plan.levels[0].N,
    response: plan.response,
    halves: plan.halves,
    noiseApart: plan.levels.map((lv) => lv.noiseApart ?? false),
    noise: plan.levels.map(drawsNoise),
    tasks: tasks.map((t, i) => ({
      tag: t.spec.tag,
      group: t.spec.group,
      from: t.spec.rows?.from ?? 0,
      samples: t.spec.samples,
      doubles: t.saveTo!.doubles,
      sha256: hashes[i],
    })),
  };
}
