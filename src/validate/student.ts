// The few distribution functions the verdict needs: Student t upper tail and quantile (normal when the
// degrees of freedom are infinite), the Welch–Satterthwaite degrees of freedom of a combined standard error,
// and the Šidák per-comparison level for a family of m comparisons.

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
function logGamma(x: number): number {
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const tt = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(tt) - tt + Math.log(s);
}

/** Continued fraction of the regularized incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(a, b, x)) / a
    : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** erfc(x) for x >= 0 (Numerical Recipes' Chebyshev fit; relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(T > x) for Student t with `nu` degrees of freedom (nu = Infinity: standard normal), x >= 0. */
export function upperTail(x: number, nu: number): number {
  if (!(x > 0)) return 0.5;
  if (!Number.isFinite(nu)) return 0.5 * erfc(x / Math.SQRT2);
  return 0.5 * incompleteBeta(nu / 2, 0.5, nu / (nu + x * x));
}

/** The x with P(T > x) = p (0 < p <= 0.5), by bisection on the monotone upper tail. */
export function tQuantileUpper(p: number, nu: number): number {
  if (!(p > 0 && p <= 0.5)) throw new Error(`tQuantileUpper: p must be in (0, 0.5], got ${p}`);
  let lo = 0;
  let hi = 1;
  while (upperTail(hi, nu) > p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (upperTail(mid, nu) > p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Welch–Satterthwaite degrees of freedom of sqrt(a^2 + b^2) where the standard error `a` was estimated with
 * `nuA` degrees of freedom and `b` with `nuB` (Infinity: known exactly, e.g. an exact solver's zero SE).
 */
export function welchDof(a: number, nuA: number, b: number, nuB: number): number {
  const va = a * a;
  const vb = b * b;
  const den = (Number.isFinite(nuA) ? (va * va) / nuA : 0) + (Number.isFinite(nuB) ? (vb * vb) / nuB : 0);
  return den > 0 ? (va + vb) ** 2 / den : Number.POSITIVE_INFINITY;
}

/** Šidák: the per-comparison level that keeps the chance of any false alarm among m comparisons at alpha. */
export function sidak(alpha: number, m: number): number {
  return -Math.expm1(Math.log1p(-alpha) / Math.max(1, m));
}

const CRITICAL = new Map<string, number>();

/** Two-sided critical value: |T_nu| exceeds it with probability `level` (memoised: tables repeat (level, nu)). */
export function criticalValue(level: number, nu: number): number {
  const key = `${level}|${nu}`;
  let c = CRITICAL.get(key);
  if (c === undefined) {
    c = tQuantileUpper(level / 2, nu);
    if (CRITICAL.size > 10000) CRITICAL.clear();
    CRITICAL.set(key, c);
  }
  return c;
}
