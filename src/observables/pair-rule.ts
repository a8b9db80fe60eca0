// Quadrature rule for the joint law of (g*, y), g* ~ N(0, rho*), y = label(g*, eps), eps ~ N(0, 1), built
// from label evaluations only (so it is cached per label function and reused for every (q, m)).
// Label jumps are located by bisection and become panel breakpoints: in eps at each g* node, and in g*
// where the jump does not move with eps ("vertical" jumps, e.g. y = sign(g*)). Remaining steep but
// smooth regions (e.g. y = sign(g* + 0.01 eps)) are refined adaptively on proxies E[psi(y) | g*].
import { gaussHermite, gaussLegendre, normalPdf } from "./quadrature.js";

export type LabelFn = (wstar: number, eps: number) => number;

/** Nodes (gstar_j, y_j) with weights w_j (sum 1) for E F(g*, y). */
export interface PairNodes {
  gstar: Float64Array;
  y: Float64Array;
  w: Float64Array;
}

/** Truncation of standard normal variables: mass outside [-8, 8] is 1.2e-15. */
const L = 8;
const OUTER_GRID = [-8, -5, -3, -2, -1, 0, 1, 2, 3, 5, 8];
/** Geometric panels at u = 0 that resolve the test-error integrand Phi(-y a g* / s) at any small s. */
const ZERO_GRADING = Array.from({ length: 15 }, (_, i) => 10 ** (-7 + i / 2));
const GL_INNER = 8;
const GH_EPS = 16;
const GH_OUTER = 32;
/** Outer Gauss–Legendre order and proxy tolerance: the test-error rule has only two y per node, so it
 * can afford more accuracy than the general rule (which may carry ~16 y values per node). */
interface Precision {
  gl: number;
  tol: number;
}
const GENERAL: Precision = { gl: 8, tol: 1e-10 };
const GRADED: Precision = { gl: 10, tol: 1e-12 };

/**
 * Jump discontinuities of fn on [lo, hi]: probes every `step`; each interval whose end values differ is
 * bisected toward the half with the larger change. A jump keeps a finite change down to width ~1e-13;
 * a smooth change halves with the width (3 such halvings in a row end the search).
 */
export function findJumps(fn: (x: number) => number, lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  const n = Math.ceil((hi - lo) / step);
  let xa = lo;
  let fa = fn(xa);
  for (let i = 1; i <= n; i++) {
    const xb = i === n ? hi : lo + i * step;
    const fb = fn(xb);
    if (fa !== fb && !(Number.isNaN(fa) && Number.isNaN(fb))) {
      const jump = bisectJump(fn, xa, fa, xb, fb);
      if (jump !== undefined) out.push(jump);
    }
    xa = xb;
    fa = fb;
  }
  return out;
}

function bisectJump(fn: (x: number) => number, a: number, fa: number, b: number, fb: number) {
  let smooth = 0;
  for (let it = 0; it < 80; it++) {
    const c = 0.5 * (a + b);
    if (c <= a || c >= b || b - a <= 1e-13 * Math.max(1, Math.abs(c))) return c;
    const fc = fn(c);
    const d = Math.abs(fb - fa);
    const dl = Math.abs(fc - fa);
    const dr = Math.abs(fb - fc);
    const nanL = Number.isNaN(dl);
    const nanR = Number.isNaN(dr);
    if (!nanL && !nanR && !Number.isNaN(d) && Math.max(dl, dr) <= 0.75 * d) smooth++;
    else smooth = 0;
    if (smooth >= 3) return undefined;
    if (nanL || dl >= dr) {
      b = c;
      fb = fc;
    } else {
      a = c;
      fa = fc;
    }
    if (fa === fb) return undefined;
  }
  return 0.5 * (a + b);
}

/** Distinct label values and their probabilities given g* = gs (eps integrated, jumps as breakpoints). */
function epsRule(label: LabelFn, gs: number): Map<number, number> {
  const lab = (e: number) => label(gs, e);
  const jumps = findJumps(lab, -L, L, 0.1);
  const acc = new Map<number, number>();
  const add = (y: number, w: number) => acc.set(y, (acc.get(y) ?? 0) + w);
  if (jumps.length === 0) {
    const gh = gaussHermite(GH_EPS);
    for (let i = 0; i < gh.x.length; i++) add(lab(gh.x[i]), gh.w[i]);
    return acc;
  }
  const cuts = [-L, ...jumps, L];
  const gl = gaussLegendre(GL_INNER);
  for (let p = 0; p + 1 < cuts.length; p++) {
    const a = cuts[p];
    const b = cuts[p + 1];
    const pieces = Math.max(1, Math.ceil(b - a));
    const h = (b - a) / pieces;
    for (let k = 0; k < pieces; k++) {
      const mid = a + (k + 0.5) * h;
      for (let i = 0; i < GL_INNER; i++) {
        const e = mid + 0.5 * h * gl.x[i];
        add(lab(e), 0.5 * h * gl.w[i] * normalPdf(e));
      }
    }
  }
  return acc;
}

/** Bounded functions of y whose conditional means reveal changes in the law of y given g*. */
const PROXIES = [
  (y: number) => Math.atan(y),
  (y: number) => Math.atan(y) ** 2,
  (y: number) => Math.atan(y - 1.3),
  (y: number) => Math.atan(2 * y + 0.7),
];

interface OuterNode {
  u: number;
  w: number;
  ys: Map<number, number>;
}

function panelNodes(label: LabelFn, sr: number, a: number, b: number, pr: Precision): OuterNode[] {
  const gl = gaussLegendre(pr.gl);
  const out: OuterNode[] = [];
  for (let i = 0; i < pr.gl; i++) {
    const u = 0.5 * (a + b) + 0.5 * (b - a) * gl.x[i];
    out.push({ u, w: 0.5 * (b - a) * gl.w[i] * normalPdf(u), ys: epsRule(label, sr * u) });
  }
  return out;
}

function moments(nodes: OuterNode[]): number[] {
  const out = new Array<number>(PROXIES.length * 3).fill(0);
  for (const nd of nodes) {
    for (const [y, wy] of nd.ys) {
      for (let p = 0; p < PROXIES.length; p++) {
        const v = nd.w * wy * PROXIES[p](y);
        out[3 * p] += v;
        out[3 * p + 1] += v * nd.u;
        out[3 * p + 2] += v * nd.u * nd.u;
      }
    }
  }
  return out;
}

function refine(
  label: LabelFn,
  sr: number,
  [a, b]: [number, number],
  pr: Precision,
  whole: OuterNode[],
  out: OuterNode[],
) {
  const c = 0.5 * (a + b);
  const left = panelNodes(label, sr, a, c, pr);
  const right = panelNodes(label, sr, c, b, pr);
  const mw = moments(whole);
  const mh = moments([...left, ...right]);
  const err = Math.max(...mw.map((v, i) => Math.abs(v - mh[i])));
  if (err <= pr.tol || b - a < 1e-9) {
    out.push(...whole);
    return;
  }
  refine(label, sr, [a, c], pr, left, out);
  refine(label, sr, [c, b], pr, right, out);
}

/** Jumps in g* (in units of sd) shared by at least two eps probes: the law of y given g* jumps there. */
function verticalJumps(label: LabelFn, sr: number): number[] {
  const probes = [0, 0.37, -0.37, 1.1, -1.1, 2.3, -2.3];
  const all = probes.flatMap((e) => findJumps((u) => label(sr * u, e), -L, L, 0.05)).sort((x, y) => x - y);
  const out: number[] = [];
  for (let i = 0; i + 1 < all.length; i++) {
    if (all[i + 1] - all[i] <= 1e-8 * (1 + Math.abs(all[i]))) {
      if (out.length === 0 || all[i] - out[out.length - 1] > 1e-8) out.push(all[i]);
    }
  }
  return out;
}

function hermiteNodes(label: LabelFn, sr: number, n: number): OuterNode[] {
  const gh = gaussHermite(n);
  return Array.from(gh.x, (u, i) => ({ u, w: gh.w[i], ys: epsRule(label, sr * u) }));
}

/** Outer nodes in u = g* / sd: Gauss–Hermite when the law of y given u is smooth enough, else panels. */
function outerNodes(label: LabelFn, sr: number, gradeZero: boolean): OuterNode[] {
  const vertical = verticalJumps(label, sr);
  if (!gradeZero && vertical.length === 0) {
    const coarse = hermiteNodes(label, sr, GH_OUTER);
    const fine = moments(hermiteNodes(label, sr, 2 * GH_OUTER));
    if (Math.max(...moments(coarse).map((v, i) => Math.abs(v - fine[i]))) <= GENERAL.tol) return coarse;
  }
  const grading = gradeZero ? ZERO_GRADING.flatMap((x) => [x, -x]) : [];
  const cuts = [...new Set([...OUTER_GRID, ...vertical, ...grading])].sort((x, y) => x - y);
  const outer: OuterNode[] = [];
  for (let p = 0; p + 1 < cuts.length; p++) {
    const [a, b] = [cuts[p], cuts[p + 1]];
    const pr = gradeZero ? GRADED : GENERAL;
    if (b - a > 1e-12) refine(label, sr, [a, b], pr, panelNodes(label, sr, a, b, pr), outer);
  }
  return outer;
}

const cache = new WeakMap<LabelFn, Map<string, PairNodes>>();

/** The cached (g*, y) rule for this label and teacher variance; `gradeZero` adds panels graded at g* = 0. */
export function pairNodes(label: LabelFn, rhoStar: number, gradeZero = false): PairNodes {
  const key = `${rhoStar}:${gradeZero}`;
  let byKey = cache.get(label);
  if (!byKey) {
    byKey = new Map();
    cache.set(label, byKey);
  }
  const hit = byKey.get(key);
  if (hit) return hit;
  const sr = Math.sqrt(rhoStar);
  const outer = sr === 0 ? [{ u: 0, w: 1, ys: epsRule(label, 0) }] : outerNodes(label, sr, gradeZero);
  const size = outer.reduce((n, nd) => n + nd.ys.size, 0);
  const rule: PairNodes = {
    gstar: new Float64Array(size),
    y: new Float64Array(size),
    w: new Float64Array(size),
  };
  let j = 0;
  for (const nd of outer) {
    for (const [y, wy] of nd.ys) {
      rule.gstar[j] = sr * nd.u;
      rule.y[j] = y;
      rule.w[j++] = nd.w * wy;
    }
  }
  byKey.set(key, rule);
  return rule;
}
