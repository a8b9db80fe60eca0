// Seeded random streams for every stochastic stage.
// Generator: xoshiro128** (Blackman & Vigna), 32-bit state words kept as int32, seeded by hashing the
// tuple (seed, ...streams) with the murmur3 finaliser, so each (seed, stream...) tuple is an independent,
// reproducible stream. Normals: Marsaglia–Tsang ziggurat (128 layers) on the 32-bit outputs.
// Poisson: multiplication method for lambda < 30, Hörmann's PTRS above. save/restore: checkpoints (issue 15).

const KN = new Int32Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
(() => {
  const m1 = 2147483648.0;
  const vn = 9.91256303526217e-3;
  let dn = 3.442619855899;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * m1);
  KN[1] = 0;
  WN[0] = q / m1;
  WN[127] = dn / m1;
  FN[0] = 1.0;
  FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
})();
const ZIG_R = 3.442619855899;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7), used by the Poisson sampler. */
function lgamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** An independent stream for the tuple (seed, ...streams); all entries must be integers. */
  constructor(seed: number, ...streams: number[]) {
    let h = fmix32(0x9e3779b9 ^ Math.imul(seed | 0, 0x27d4eb2d) ^ Math.floor(seed / 2 ** 32));
    for (const s of streams) h = fmix32(h ^ fmix32(Math.imul((s | 0) + 0x632be5ab, 0x9e3779b1)));
    this.s0 = fmix32(h ^ 0x1b873593);
    this.s1 = fmix32(this.s0 ^ 0xcc9e2d51);
    this.s2 = fmix32(this.s1 ^ 0x85ebca6b);
    this.s3 = fmix32(this.s2 ^ 0xc2b2ae35);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    for (let i = 0; i < 8; i++) this.nextInt32();
  }

  /** The generator's state (four int32 words): `restore` continues the stream exactly from here. */
  save(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Continues from a state returned by `save` (the ziggurat and Poisson samplers keep no state of their own). */
  restore(state: ArrayLike<number>): void {
    [this.s0, this.s1, this.s2, this.s3] = [state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0];
  }

  /** Next raw output as a signed int32 (xoshiro128**). */
  nextInt32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform in the open interval (0, 1), 32-bit resolution. */
  uniform(): number {
    return ((this.nextInt32() >>> 0) + 0.5) * 2.3283064365386963e-10;
  }

  /** Uniform integer in [0, n), unbiased (rejection), for n <= 2^32. */
  int(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextInt32() >>> 0;
      if (u < limit) return u % n;
    }
  }

  /** Standard normal (ziggurat). */
  normal(): number {
    let hz = this.nextInt32();
    let iz = hz & 127;
    if (Math.abs(hz) < KN[iz]) return hz * WN[iz];
    for (;;) {
      if (iz === 0) {
        let x: number;
        let y: number;
        do {
          x = -Math.log(this.uniform()) / ZIG_R;
          y = -Math.log(this.uniform());
        } while (y + y < x * x);
        return hz > 0 ? ZIG_R + x : -ZIG_R - x;
      }
      const x = hz * WN[iz];
      if (FN[iz] + this.uniform() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
      hz = this.nextInt32();
      iz = hz & 127;
      if (Math.abs(hz) < KN[iz]) return hz * WN[iz];
    }
  }

  /** Fills `a` with N(0, std^2) draws. */
  fillNormal(a: Float64Array, std = 1): void {
    for (let i = 0; i < a.length; i++) a[i] = std * this.normal();
  }

  /** Poisson(lambda) draw, lambda >= 0. */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`poisson: bad rate ${lambda}`);
    if (lambda < 30) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
        -lambda + k * loglam - lgamma(k + 1)
      ) {
        return k;
      }
    }
  }
}
