// One-dimensional quadrature building blocks for the Gaussian observables: Gauss–Legendre and
// Gauss–Hermite (probabilists', weights summing to 1) rules by Newton iteration on the three-term
// recurrences, the standard normal density and an accurate normal CDF (series / continued fraction).

export interface Rule {
  x: Float64Array;
  w: Float64Array;
}

const legendreCache = new Map<number, Rule>();
const hermiteCache = new Map<number, Rule>();

/** n-point Gauss–Legendre rule on [-1, 1]. */
export function gaussLegendre(n: number): Rule {
  const hit = legendreCache.get(n);
  if (hit) return hit;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < (n + 1) >> 1; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * pp * pp);
  }
  const rule = { x, w };
  legendreCache.set(n, rule);
  return rule;
}

/** n-point Gauss–Hermite rule for E f(Z), Z ~ N(0, 1): nodes x, weights summing to 1. */
export function gaussHermite(n: number): Rule {
  const hit = hermiteCache.get(n);
  if (hit) return hit;
  // Physicists' rule (weight e^{-z^2}) by Newton on orthonormal Hermite functions, then rescaled.
  const z0 = new Float64Array(n);
  const w = new Float64Array(n);
  const pim4 = Math.PI ** -0.25;
  let z = 0;
  for (let i = 0; i < (n + 1) >> 1; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * z0[0];
    else if (i === 3) z = 1.91 * z - 0.91 * z0[1];
    else z = 2 * z - z0[i - 2];
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = pim4;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    z0[i] = z;
    z0[n - 1 - i] = -z;
    w[i] = w[n - 1 - i] = 2 / (pp * pp) / Math.sqrt(Math.PI);
  }
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = -z0[i] * Math.SQRT2;
  const rule = { x, w };
  hermiteCache.set(n, rule);
  return rule;
}

const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal density. */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** erfc(z) for z >= 0: positive-term series below 2, Laplace continued fraction above (~1e-15). */
function erfcPos(z: number): number {
  if (z < 2) {
    let term = z;
    let sum = z;
    const z2 = 2 * z * z;
    for (let k = 1; k < 200 && term > 1e-17 * sum; k++) {
      term *= z2 / (2 * k + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
  }
  let t = z;
  for (let k = 80; k >= 1; k--) t = z + k / 2 / t;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / t;
}

/** Standard normal CDF Phi(x), accurate to about 1e-15 absolute (and relative in the lower tail). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const z = Math.abs(x) / Math.SQRT2;
  const tail = 0.5 * erfcPos(z);
  return x < 0 ? tail : 1 - tail;
}
