// Turns generated sources (Derived.sources) into functions, also inside worker threads.
// Sources come only from codegen.ts; as a second line of defence every token is checked against the
// small vocabulary codegen emits before anything reaches `Function`. Also the stable numeric helpers.
// Scheduled parameters (issue 16) are read as P[i] from a Float64Array given when compiling: the caller
// writes the current step's values into it (one small copy per step), the functions keep their arguments.
import type { CompiledFns, FnName, FusedFnName, KinkFn, VecFnName, VectorFns } from "../types.js";
import { RunError } from "../util/errors.js";

/** Argument names of each compiled function. */
export const FN_ARGS: Record<FnName, string[]> = {
  loss: ["r", "y"],
  l: ["r", "y"],
  dl: ["r", "y"],
  d2l: ["r", "y"],
  label: ["wstar", "eps"],
  pen: ["theta"],
  h: ["theta"],
  dh: ["theta"],
};
export const FN_NAMES = Object.keys(FN_ARGS) as FnName[];

/** Argument names of the vector sources (Derived.sources of vector models), as in VectorFns. */
export const VEC_ARGS: Record<VecFnName, string[]> = {
  vloss: ["r", "ro", "y"],
  vgrad: ["r", "ro", "y", "out", "oo"],
  vhess: ["r", "ro", "y", "out", "oo"],
  vlabel: ["w", "wo", "eps"],
  vpredict: ["r", "ro"],
};
/** Argument names of the fused source (Derived.sources.lossGradHess, every model), as in VectorFns. */
export const FUSED_ARGS = ["r", "ro", "y", "g", "go", "h", "ho"];

/** 1 / (1 + exp(-x)) without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const z = Math.exp(x);
  return z / (1 + z);
}

/** log(1 + exp(x)) without overflow or cancellation. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** sigmoid(x) given e = exp(-|x|), bit-identical to sigmoid(x): one exp shared with softplus(+-x). */
export function sigmoidE(x: number, e: number): number {
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/** softplus(x) given e = exp(-|x|), bit-identical to softplus(x). */
export function softplusE(x: number, e: number): number {
  return x > 0 ? x + Math.log1p(e) : Math.log1p(e);
}

/** For a >= 2.5, erfc(a) = exp(-a^2)/sqrt(pi) / f(a): f = a + (1/2)/(a + 1/(a + (3/2)/(a + ...))), evaluated backwards. */
function erfcCf(a: number): number {
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  return f;
}

/** erfc(a) exp(a^2) for a >= 2.5. */
const erfcxCf = (a: number): number => 1 / Math.sqrt(Math.PI) / erfcCf(a);

/** erf to ~1e-15 for |x| < 2.5 (power series, no cancellation); NaN passes through. */
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** erf to ~1e-15: power series (no cancellation) below 2.5, continued fraction for erfc above. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return x;
  if (ax < 2.5) return erfSeries(x);
  if (ax > 6) return Math.sign(x);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / erfcCf(ax));
}

/** erfc(x) = 1 - erf(x) with full relative accuracy in the right tail (no underflow before x ~ 26). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < 2.5) return x < -6 ? 2 : 1 - erf(x);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / erfcCf(x);
}

/** The standard Gaussian CDF Phi(x) = erfc(-x / sqrt(2)) / 2, accurate in the left tail. */
export function ncdf(x: number): number {
  return erfc(-x / Math.SQRT2) / 2;
}

/** log Phi(x) for every x (log_ndtr): -a^2 + log(erfcx(a) / 2), a = -x / sqrt(2), in the far left tail. */
export function logncdf(x: number): number {
  const a = -x / Math.SQRT2;
  if (a < 2.5) return a < 0 ? Math.log1p(-erfc(-a) / 2) : Math.log(erfc(a) / 2);
  return -a * a + Math.log(erfcxCf(a) / 2);
}

/** phi(x) / Phi(x) = d log Phi / dx, finite for every x (about -x in the far left tail). */
export function invmills(x: number): number {
  const a = -x / Math.SQRT2;
  if (a < 2.5) return Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI) / ncdf(x);
  return Math.sqrt(2 / Math.PI) / erfcxCf(a);
}

/** The kink location -beta / alpha of a step sign(alpha r + beta); 0 where alpha = 0 (then no kink, size 0). */
export function kinkAt(beta: number, alpha: number): number {
  return alpha === 0 ? 0 : -beta / alpha + 0; // + 0: no -0
}

function unsupported(name: string): never {
  throw new RunError(
    `${name} of this model is unsupported (a Dirac delta or too large; 'dmftkit derive' says which), see docs/models.md`,
  );
}

function noPrediction(): never {
  throw new RunError(
    "this model has no activation (its loss is written in r1..rk), so it has no scalar prediction yhat",
  );
}

function notScalar(name: string): never {
  throw new Error(
    `internal: the scalar function ${name} is not defined for a vector model (k > 1 or k_teacher > 1); use Derived.vec`,
  );
}

const WORDS = new Set([
  ...Object.values(FN_ARGS).flat(),
  ...Object.values(VEC_ARGS).flat(),
  ...FUSED_ARGS,
  ..."const return Math PI E exp log log1p sqrt abs sign tanh cosh sinh min max pow".split(" "),
  ..."erf erfc ncdf logncdf invmills kinkAt sigmoid softplus sigmoidE softplusE".split(" "),
  ..."unsupported notScalar noPrediction P t".split(" "),
]);
const TOKEN = /\s+|\d+(?:\.\d*)?(?:e[+-]?\d+)?|[A-Za-z_$][A-Za-z0-9_$]*|=>|[-+*/(){};,=.[\]]|"[a-z0-9]+"/y;
/**
 * Array reads/writes codegen emits: r[ro + i], w[wo + i], out[oo + i], g[go + i], h[ho + i] or a literal index;
 * P[i] (scheduled parameters) by literal index only.
 */
const INDEXED: Record<string, string> = { r: "ro", w: "wo", out: "oo", g: "go", h: "ho", P: "#" };

/** Throws unless `src` uses only the tokens codegen emits. */
export function checkSource(src: string): void {
  TOKEN.lastIndex = 0;
  const prev = ["", ""];
  while (TOKEN.lastIndex < src.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`generated source rejected at offset ${at}`);
    const tok = m[0];
    if (/^\s+$/.test(tok)) continue;
    if (/^[A-Za-z_$]/.test(tok) && !WORDS.has(tok) && !/^t\d+$/.test(tok))
      throw new Error(`generated source rejected: identifier '${tok}'`);
    if (tok === "." && prev[1] !== "Math") throw new Error("generated source rejected: property access");
    if (tok === "[" && !Object.hasOwn(INDEXED, prev[1]))
      throw new Error("generated source rejected: indexing");
    if (prev[1] === "[" && tok !== INDEXED[prev[0]] && !/^\d+$/.test(tok))
      throw new Error("generated source rejected: index");
    prev[0] = prev[1];
    prev[1] = tok;
  }
}

const NO_SLOTS = new Float64Array(0);

/** Compiles one generated source; `P` holds the current values of the scheduled parameters it reads. */
export function compileSource(src: string, P: Float64Array = NO_SLOTS): (...args: number[]) => number {
  checkSource(src);
  const make = new Function(
    "erf",
    "erfc",
    "ncdf",
    "logncdf",
    "invmills",
    "kinkAt",
    "sigmoid",
    "softplus",
    "sigmoidE",
    "softplusE",
    "unsupported",
    "notScalar",
    "noPrediction",
    "P",
    `"use strict"; return (${src});`,
  );
  return make(
    erf,
    erfc,
    ncdf,
    logncdf,
    invmills,
    kinkAt,
    sigmoid,
    softplus,
    sigmoidE,
    softplusE,
    unsupported,
    notScalar,
    noPrediction,
    P,
  );
}

/** Locations and sizes of the jumps of l (k = 1): fills out[2j] = c_j(y), out[2j + 1] = J_j(y), returns the count. */
export type JumpFn = (y: number, out: Float64Array) => number;

/** Compiles Derived.sources.jumps (e.g. in a worker thread); P: schedule slots. */
export function rebuildJumps(source: string, P?: Float64Array): JumpFn {
  return compileSource(source, P) as unknown as JumpFn;
}

/** Rebuilds the compiled functions from Derived.sources (e.g. in a worker thread); P: schedule slots. */
export function rebuildFns(
  sources: Record<FnName, string> & { kinks?: string },
  P?: Float64Array,
): CompiledFns {
  const out: Record<string, (...args: number[]) => number> = {};
  for (const name of FN_NAMES) out[name] = compileSource(sources[name], P);
  const fns = out as unknown as CompiledFns;
  if (sources.kinks !== undefined) fns.kinks = compileSource(sources.kinks, P) as unknown as KinkFn;
  return fns;
}

/**
 * The vector functions of a model (Derived.vec) from its sources: derive emits the v* sources for every k
 * (k = 1 is the 1 x 1 case). Hand-written scalar sources without them (test fixtures, k = 1) get 1 x 1
 * wrappers of the scalar functions. lossGradHess is compiled from its own source for every k.
 */
export function rebuildVectorFns(
  sources: Partial<Record<FnName | VecFnName | FusedFnName | "kinks", string>>,
  k: number,
  kTeacher: number,
  P?: Float64Array,
): VectorFns {
  if (sources.lossGradHess === undefined) throw new Error("internal: source lossGradHess missing");
  const lossGradHess = compileSource(sources.lossGradHess, P) as unknown as VectorFns["lossGradHess"];
  if (sources.vloss === undefined) {
    if (k !== 1 || kTeacher !== 1) throw new Error(`internal: vector sources missing for k = ${k}`);
    const f = rebuildFns(sources as Record<FnName, string>, P);
    return {
      k,
      kTeacher,
      loss: (r, ro, y) => f.loss(r[ro], y),
      grad: (r, ro, y, out, oo) => {
        out[oo] = f.l(r[ro], y);
      },
      hess: (r, ro, y, out, oo) => {
        out[oo] = f.dl(r[ro], y);
      },
      label: (w, wo, eps) => f.label(w[wo], eps),
      predict: (r, ro) => r[ro],
      lossGradHess,
      ...(f.kinks ? { kinks: f.kinks } : {}),
    };
  }
  const vf = <T>(name: VecFnName): T => {
    const src = sources[name];
    if (src === undefined) throw new Error(`internal: vector source ${name} missing`);
    return compileSource(src, P) as unknown as T;
  };
  return {
    k,
    kTeacher,
    loss: vf<VectorFns["loss"]>("vloss"),
    grad: vf<VectorFns["grad"]>("vgrad"),
    hess: vf<VectorFns["hess"]>("vhess"),
    label: vf<VectorFns["label"]>("vlabel"),
    predict: vf<VectorFns["predict"]>("vpredict"),
    lossGradHess,
    ...(sources.kinks !== undefined ? { kinks: compileSource(sources.kinks, P) as unknown as KinkFn } : {}),
  };
}

const FUSED_R = [-1000, -40, -3, -1, -0.25, -0, 0, 1e-3, 0.5, 2, 37, 1000];

/**
 * Points (r, y) where vec.lossGradHess differs from the separate loss, grad and hess (Object.is: -0 != 0,
 * NaN == NaN), over 60 fixed r in [-1e3, 1e3]^k including +-0, 5 labels each; empty when bit-identical.
 */
export function fusedMismatches(vec: VectorFns): string[] {
  const { k } = vec;
  const [r, g, h, gf, hf] = [k, k, k * k, k, k * k].map((n) => new Float64Array(n));
  const bad: string[] = [];
  for (let p = 0; p < 60; p++) {
    for (let a = 0; a < k; a++) r[a] = FUSED_R[(p + 5 * a * (1 + (p % 3))) % FUSED_R.length];
    for (const y of [-1, 1, 0, 0.5, -2]) {
      const loss = vec.lossGradHess(r, 0, y, gf, 0, hf, 0);
      vec.grad(r, 0, y, g, 0);
      vec.hess(r, 0, y, h, 0);
      const same = (x: Float64Array, z: Float64Array) => x.every((v, i) => Object.is(v, z[i]));
      if (!Object.is(loss, vec.loss(r, 0, y)) || !same(g, gf) || !same(h, hf))
        bad.push(`r = [${r}], y = ${y}`);
    }
  }
  return bad;
}
