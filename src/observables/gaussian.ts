// Test observables as Gaussian expectations over a fresh pair (g, g*) ~ N(0, [[q, m], [m, rho*]]) and
// eps ~ N(0, 1), y = label(g*, eps): the primitive `expectFreshPair`, test loss E L(g; y), test error
// P(sign(g) != y). g | g* = a g* + s z with a = m/rho*, s^2 = q - m^2/rho*; (g*, y) come from the cached
// jump-aware rule of pair-rule.ts, z from Gauss–Hermite (s <= 1) or from panels that resolve the
// region |g| <= 4 and |g - y| <= 4 at unit scale (larger s: a loss with features at O(1) in g).
// Non-smooth models (kinks of L, steps of l at g = c_j(y), CompiledFns.kinks): Gauss–Legendre panels on the
// z-grid split at every kink, so each panel integrates a smooth piece.
import type { CompiledFns, KinkFn } from "../types.js";
import { type LabelFn, pairNodes } from "./pair-rule.js";
import { gaussHermite, gaussLegendre, normalCdf, normalPdf } from "./quadrature.js";

/** Gauss–Legendre nodes per panel: the precise rule, and the coarse one of Monte-Carlo groups (`coarse`). */
const GL_Z = 8;
const GL_COARSE = 6;
const S_PANELS = 1;
const ZMAX = 8;

/** Conditional law of g given g*: g = a g* + s z. m^2 > q rho* (finite-d rounding) is clamped to s = 0. */
function conditional(q: number, m: number, rhoStar: number): { a: number; s: number } {
  if (rhoStar === 0) return { a: 0, s: Math.sqrt(Math.max(q, 0)) };
  const a = m / rhoStar;
  return { a, s: Math.sqrt(Math.max(q - m * a, 0)) };
}

/**
 * Panel cuts in z for E_z f(mu + s z) when s is large: the z of every integer g in [-4, 4] and
 * [round(y) - 4, round(y) + 4] (f has its features at O(1) in g; kinks of hinge-like losses at integer
 * margins fall on cuts), and the z-grid -8, -6, ..., 8 outside those windows (inside, the integer cuts are
 * closer than the grid's 2 as s > 1: a grid cut there would only split a panel of unit width in g).
 * Both lists are increasing, so they are merged.
 */
function panelCuts(mu: number, s: number, y: number, cuts: Float64Array): number {
  const c0 = Math.round(y);
  let g = Math.min(-4, c0 - 4);
  const gEnd = Math.max(4, c0 + 4);
  // Gap between the two windows when they do not overlap.
  const gapLo = Math.min(4, c0 + 4);
  const gapHi = Math.max(-4, c0 - 4);
  let k = 0;
  let z = -ZMAX;
  while (z <= ZMAX || g <= gEnd) {
    const zg = g <= gEnd ? (g - mu) / s : Number.POSITIVE_INFINITY;
    if (z <= ZMAX && z <= zg) {
      const gz = mu + s * z;
      if (!((gz > -4 && gz < 4) || (gz > c0 - 4 && gz < c0 + 4))) cuts[k++] = z;
      z += 2;
    } else {
      if (zg > -ZMAX && zg < ZMAX) cuts[k++] = zg;
      g = g === gapLo && gapHi > gapLo + 1 ? gapHi : g + 1;
    }
  }
  return k;
}

const cutBuffer = new Float64Array(64);
const zBuffer = new Float64Array(128 * GL_Z);
const wBuffer = new Float64Array(128 * GL_Z);
/** Gauss–Legendre nodes and N(0,1)-weights of the unsplit z-grid panels [2p - 8, 2p - 6], p = 0..7, per
 *  node count. */
const gridPanels = new Map(
  [GL_Z, GL_COARSE].map((n) => [
    n,
    Array.from({ length: ZMAX }, (_, p) => panelRule(2 * p - ZMAX, 2 * p - ZMAX + 2, n)),
  ]),
);

function panelRule(a: number, b: number, n: number): { z: number[]; w: number[] } {
  const gl = gaussLegendre(n);
  const h = 0.5 * (b - a);
  const z = Array.from(gl.x, (x) => 0.5 * (a + b) + h * x);
  return { z, w: z.map((zi, i) => h * gl.w[i] * normalPdf(zi)) };
}

/**
 * Nodes z_k and weights of E_z over z ~ N(0, 1) for the integrand f(mu + s z): Gauss–Hermite (24 nodes up
 * to s = 0.5, 48 up to s = S_PANELS) or Gauss–Legendre on the panels of panelCuts. Returns the node count.
 * (Gauss–Hermite is inaccurate once the loss's complex singularities, at distance ~1 from the real g axis
 * for tanh, pseudo-Huber or softplus, come within ~1/s of the real z axis: 3e-6 at s = 1.5 with 64 nodes.)
 */
function innerRule(mu: number, s: number, y: number, n: number): number {
  if (s <= S_PANELS) {
    const gh = gaussHermite(s <= 0.5 ? 24 : 48);
    zBuffer.set(gh.x);
    wBuffer.set(gh.w);
    return gh.x.length;
  }
  const k = panelCuts(mu, s, y, cutBuffer);
  let count = 0;
  for (let p = 0; p + 1 < k; p++) {
    const [a, b] = [cutBuffer[p], cutBuffer[p + 1]];
    if (b - a < 2e-12) continue;
    const grid = (a + ZMAX) / 2;
    if (b - a === 2 && Number.isInteger(grid)) {
      const panel = gridPanels.get(n)![grid];
      zBuffer.set(panel.z, count);
      wBuffer.set(panel.w, count);
      count += n;
      continue;
    }
    count = glPanel(a, b, count, n);
  }
  return count;
}

/** Appends the n Gauss–Legendre nodes of the panel [a, b] (weights times the normal density) at `count`. */
function glPanel(a: number, b: number, count: number, n: number): number {
  const gl = gaussLegendre(n);
  const h = 0.5 * (b - a);
  const c = 0.5 * (a + b);
  for (let i = 0; i < n; i++) {
    const z = c + h * gl.x[i];
    zBuffer[count] = z;
    wBuffer[count++] = h * gl.w[i] * normalPdf(z);
  }
  return count;
}

const kinkLocs = new Float64Array(64);
const kinkZ = new Float64Array(64 + ZMAX + 1);

/**
 * The z-rule of innerRule split at the kinks g = c_j(y) (z = (c_j - mu) / s): Gauss–Legendre panels on the
 * grid -8, -6, ..., 8 with the kinks inside it as extra cuts. Returns the node count.
 */
function kinkRule(mu: number, s: number, y: number, kinks: KinkFn, nodes: number): number {
  const n = Math.min(kinks(y, kinkLocs), kinkLocs.length);
  let k = 0;
  for (let z = -ZMAX; z <= ZMAX; z += 2) kinkZ[k++] = z;
  for (let j = 0; j < n; j++) {
    const z = (kinkLocs[j] - mu) / s;
    if (z > -ZMAX && z < ZMAX) kinkZ[k++] = z;
  }
  const cuts = kinkZ.subarray(0, k).sort();
  let count = 0;
  for (let p = 0; p + 1 < k; p++) {
    const [a, b] = [cuts[p], cuts[p + 1]];
    if (b - a < 2e-12) continue;
    count = glPanel(a, b, count, nodes);
  }
  return count;
}

export type PairFn = (g: number, y: number, gstar: number) => number;

/**
 * E f(g, y, g*) over (g, g*) ~ N(0, [[q, m], [m, rhoStar]]), eps ~ N(0, 1), y = label(g*, eps), for each f
 * in `fs` (sharing the nodes). Label jumps are handled exactly (breakpoints); f should be smooth in g except
 * at the `kinks` (g = c_j(y), split exactly when given; without them kinks at integer g or at integer
 * offsets from y are resolved only when s > 1). Measured error <= 6e-8 (mostly
 * ~1e-10) for smooth f of moderate growth (test/observables.test.ts). The (g*, y) rule is cached per label
 * function object, so pass a stable function (e.g. `fns.label`), not a fresh closure per call. NaN for
 * non-finite or negative q. `coarse`: 6 instead of 8 Gauss–Legendre nodes per panel (3/4 of the work;
 * measured error <= 1e-7 relative against the 8-node rule on the built-in k = 1 models, test/observables.test.ts),
 * for the Monte-Carlo solver, whose standard errors are ~1e-3 relative.
 */
export function expectFreshPairMany(
  label: LabelFn,
  q: number,
  m: number,
  rhoStar: number,
  fs: PairFn[],
  kinks?: KinkFn,
  coarse = false,
): number[] {
  const n = coarse ? GL_COARSE : GL_Z;
  const total = new Array<number>(fs.length).fill(0);
  if (!Number.isFinite(q) || !Number.isFinite(m) || q < 0) return total.fill(Number.NaN);
  const nodes = pairNodes(label, rhoStar);
  const { a, s } = conditional(q, m, rhoStar);
  let K = s === 0 ? 0 : innerRule(0, s, 0, n);
  for (let j = 0; j < nodes.w.length; j++) {
    const gs = nodes.gstar[j];
    const y = nodes.y[j];
    const mu = a * gs;
    const wj = nodes.w[j];
    if (s === 0) {
      for (let c = 0; c < fs.length; c++) total[c] += wj * fs[c](mu, y, gs);
      continue;
    }
    if (kinks) K = kinkRule(mu, s, y, kinks, n);
    else if (s > S_PANELS) K = innerRule(mu, s, y, n);
    for (let k = 0; k < K; k++) {
      const g = mu + s * zBuffer[k];
      const w = wj * wBuffer[k];
      for (let c = 0; c < fs.length; c++) total[c] += w * fs[c](g, y, gs);
    }
  }
  return total;
}

/** E f(g, y, g*) for one f: see expectFreshPairMany. */
export function expectFreshPair(
  label: LabelFn,
  q: number,
  m: number,
  rhoStar: number,
  f: PairFn,
  kinks?: KinkFn,
  coarse = false,
): number {
  return expectFreshPairMany(label, q, m, rhoStar, [f], kinks, coarse)[0];
}

/**
 * P(sign(g) != y) for labels in {-1, +1}: E over (g*, y) of Phi(-y a g* / s), using the rule graded at
 * g* = 0 so that the steep transition (s -> 0, i.e. m^2 -> q rho*) is resolved. Ties (g = 0 exactly,
 * e.g. q = 0) count as 1/2.
 */
export function testError(label: LabelFn, q: number, m: number, rhoStar: number): number {
  if (!Number.isFinite(q) || !Number.isFinite(m) || q < 0) return Number.NaN;
  const nodes = pairNodes(label, rhoStar, true);
  const { a, s } = conditional(q, m, rhoStar);
  let total = 0;
  for (let j = 0; j < nodes.w.length; j++) {
    const mu = a * nodes.gstar[j];
    const y = nodes.y[j];
    let p: number;
    if (s > 0) p = normalCdf((-y * mu) / s);
    else p = mu === 0 ? 0.5 : Math.sign(mu) !== y ? 1 : 0;
    total += nodes.w[j] * p;
  }
  return total;
}

/** Test loss E L(g; y) and, for +-1 labels, test error P(sign(g) != y) at one (q, m) (`coarse`: see
 *  expectFreshPairMany). */
export function testObservables(
  fns: Pick<CompiledFns, "loss" | "label" | "kinks">,
  binaryLabels: boolean,
  q: number,
  m: number,
  rhoStar: number,
  coarse = false,
): { test_loss: number; test_error?: number } {
  const label = fns.label;
  const test_loss = expectFreshPair(label, q, m, rhoStar, (g, y) => fns.loss(g, y), fns.kinks, coarse);
  if (!binaryLabels) return { test_loss };
  return { test_loss, test_error: testError(label, q, m, rhoStar) };
}
