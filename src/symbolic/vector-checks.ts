// Checks of a vector model's compiled functions at seeded random points, like the k = 1 ones (checks.ts):
// the stable loss against the model's own form, every gradient entry against a 4th-order central finite
// difference of the loss, every Hessian entry against one of the gradient, the Hessian's symmetry (H_ab and
// d(l_b)/dr_a derived separately), mathjs's derivative where it supports the loss, finiteness far out.
// Points: r_a uniform in [-3, 3], wstar ~ N(0, teacher_variance) per unit, y from the label.
import type { VectorFns } from "../types.js";
import { UsageError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { Checker, fd, mathjsDerivatives } from "./checks.js";

const N_POINTS = 24;
const FD_TOL = 1e-6;
const FD_STEPS = [1e-3, 6e-5, 4e-6];
const EXACT_TOL = 1e-8;

export interface VectorCheckInput {
  vec: VectorFns;
  /** The model's own composed loss (before stability rewrites), compiled. */
  userLoss: VectorFns["loss"];
  /** Hessian with the off-diagonal entries derived in the other order (d(l_b)/dr_a). */
  hessSwapped: VectorFns["hess"];
  /** mathjs text of the model's composed loss. */
  lossText: string;
  rNames: string[];
  /** The model has an activation (vec.predict is defined). */
  hasPredict: boolean;
  parameters: Record<string, number>;
  teacherVariance: number;
  source: string;
}

/** A point r (length k), a label y, and the entry (a, b) a comparison looks at. */
interface Point {
  r: Float64Array;
  y: number;
  a: number;
  b: number;
}

export function runVectorChecks(input: VectorCheckInput): string[] {
  const { vec, rNames } = input;
  const { k, kTeacher } = vec;
  const rng = new Rng(20240601, 5);
  const w = new Float64Array(kTeacher);
  const base: Array<{ r: Float64Array; y: number }> = [];
  for (let i = 0; i < N_POINTS; i++) {
    const r = Float64Array.from({ length: k }, () => 3 * (2 * rng.uniform() - 1));
    rng.fillNormal(w, Math.sqrt(input.teacherVariance));
    const y = vec.label(w, 0, rng.normal());
    if (!Number.isFinite(y)) throw new UsageError(`${input.source}: label is ${y} at a typical (wstar, eps)`);
    base.push({ r, y });
  }
  const at = (p: { r: Float64Array; y: number }) =>
    `${rNames.map((n, a) => `${n} = ${p.r[a]}`).join(", ")}, y = ${p.y}`;
  const g = new Float64Array(k);
  const h = new Float64Array(k * k);
  // The model must be defined where the dynamics will evaluate it.
  for (const p of base) {
    vec.grad(p.r, 0, p.y, g, 0);
    vec.hess(p.r, 0, p.y, h, 0);
    const yhat = input.hasPredict ? vec.predict(p.r, 0) : 0;
    const bad = [vec.loss(p.r, 0, p.y), ...g, ...h, yhat].find((v) => !Number.isFinite(v));
    if (bad !== undefined)
      throw new UsageError(
        `${input.source}: the loss or a derivative is ${bad} at ${at(p)}; the model must be finite for every r, label and theta`,
      );
  }

  const pts = (pairs: boolean): Point[] =>
    base.flatMap((p) =>
      Array.from({ length: pairs ? k * k : k }, (_, i) =>
        pairs ? { ...p, a: Math.floor(i / k), b: i % k } : { ...p, a: i, b: 0 },
      ),
    );
  const entries = new Checker<Point>(pts(false), (p) => `${at(p)} (entry ${p.a + 1})`);
  const pairs = new Checker<Point>(pts(true), (p) => `${at(p)} (entry ${p.a + 1}, ${p.b + 1})`);
  const grad = (p: Point, r = p.r) => {
    vec.grad(r, 0, p.y, g, 0);
    return g[p.a];
  };
  const entry = (f: VectorFns["hess"]) => (p: Point) => {
    f(p.r, 0, p.y, h, 0);
    return h[p.a * k + p.b];
  };
  const hess = entry(vec.hess);
  // f moved along coordinate c
  const along = (f: (r: Float64Array) => number, p: Point, c: number, step: number) => {
    const r = Float64Array.from(p.r);
    return fd(
      (t) => {
        r[c] = t;
        return f(r);
      },
      p.r[c],
      step,
    );
  };
  entries.compare(
    "loss: stable rewrite = model's expression",
    (p) => vec.loss(p.r, 0, p.y),
    (p) => input.userLoss(p.r, 0, p.y),
    EXACT_TOL,
  );
  entries.compare(
    "grad: l_a = dL/dr_a matches finite difference",
    grad,
    FD_STEPS.map((s) => (p: Point) => along((r) => vec.loss(r, 0, p.y), p, p.a, s)),
    FD_TOL,
  );
  pairs.compare(
    "hess: H_ab = dl_a/dr_b matches finite difference",
    hess,
    FD_STEPS.map((s) => (p: Point) => along((r) => grad(p, r), p, p.b, s)),
    FD_TOL,
  );
  pairs.compare(
    "hess: symmetric (H_ab = d(l_b)/dr_a derived separately)",
    hess,
    entry(input.hessSwapped),
    EXACT_TOL,
  );
  // mathjs's derivative, where it supports the loss (it lacks erf, softplus, sign, max, ...).
  const scope = (p: Point) => {
    const s: Record<string, number> = { ...input.parameters, y: p.y };
    rNames.forEach((n, a) => {
      s[n] = p.r[a];
    });
    return s;
  };
  const first = rNames.map((n) => mathjsDerivatives(input.lossText, [n])[0]);
  if (first.every((f) => f !== undefined)) {
    entries.compare("grad matches mathjs derivative", grad, (p) => first[p.a](scope(p)), EXACT_TOL);
    const second = rNames.flatMap((na) => rNames.map((nb) => mathjsDerivatives(input.lossText, [na, nb])[1]));
    if (second.every((f) => f !== undefined))
      pairs.compare(
        "hess matches mathjs derivative",
        hess,
        (p) => second[p.a * k + p.b](scope(p)),
        EXACT_TOL,
      );
  }
  // Stability: loss, gradient and Hessian stay finite far out along each axis and the diagonal.
  const dirs = [
    ...Array.from({ length: k }, (_, a) => Float64Array.from({ length: k }, (_, b) => +(a === b))),
    new Float64Array(k).fill(1),
  ];
  const finite = [-1e3, -100, -30, 30, 100, 1e3].every((s) =>
    dirs.every((d) =>
      base.every((p) => {
        const r = d.map((x) => s * x);
        vec.grad(r, 0, p.y, g, 0);
        vec.hess(r, 0, p.y, h, 0);
        return [vec.loss(r, 0, p.y), ...g, ...h].every(Number.isFinite);
      }),
    ),
  );
  const checks = [...entries.checks, ...pairs.checks];
  if (finite) checks.push("loss, grad, hess finite for |r| up to 1e3 along each axis and the diagonal");
  else
    checks.push(
      "note: loss, grad or hess is not finite somewhere with |r| up to 1e3 along an axis or the diagonal: a run that reaches such r will stop",
    );
  return checks;
}
