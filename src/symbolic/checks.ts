// Independent checks of the derived functions at seeded random points: every derivative against a
// 4th-order central finite difference of the function it differentiates, and against mathjs's own
// `derivative` of the model's expression where mathjs supports it; stable rewrites against the original
// form; finiteness at large |r|. A disagreement throws (RunError): it would be a bug in the symbolic core.

import type { MathNode } from "mathjs";
import type { CompiledFns, FnName } from "../types.js";
import { RunError, UsageError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { math } from "./mathjs.js";

const N_POINTS = 24;
const FD_TOL = 1e-6;
const FD_STEPS = [1e-3, 6e-5, 4e-6];
const EXACT_TOL = 1e-8;
const MATHJS_MAX_NODES = 2000;

type F = (...args: number[]) => number;

export interface CheckInput {
  fns: CompiledFns;
  /** Which functions are available (d2l may be unsupported). */
  available: Set<FnName>;
  /** Compiled user forms (before stability rewrites) of loss, label, pen. */
  userForms: { loss: F; label: F; pen: F };
  /** mathjs text of the composed loss L(r; y) and of the penalty, in the model's own form. */
  lossText: string;
  penText: string;
  parameters: Record<string, number>;
  teacherVariance: number;
  /** Model file, for messages. */
  source: string;
}

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * (1 + Math.abs(a) + Math.abs(b));

/** 4th-order central finite difference of f at x with relative step `step`. */
export function fd(f: (x: number) => number, x: number, step: number): number {
  const h = step * Math.max(1, Math.abs(x));
  return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h);
}

/** Compares functions of a point at a fixed set of points; records passed checks, throws on a mismatch. */
export class Checker<P> {
  readonly checks: string[] = [];
  constructor(
    private readonly pts: P[],
    private readonly describe: (p: P) => string,
  ) {}

  /**
   * `wants` are alternative references (finite differences with shrinking steps, so that a point that
   * happens to lie within a step of a kink still checks); the check passes if one of them agrees.
   */
  compare(what: string, got: (p: P) => number, want: ((p: P) => number) | ((p: P) => number)[], tol: number) {
    const wants = Array.isArray(want) ? want : [want];
    let used = 0;
    let worst = 0;
    for (const p of this.pts) {
      const a = got(p);
      let b = Number.NaN;
      for (const w of wants) {
        b = w(p);
        if (!Number.isFinite(b) || close(a, b, tol)) break;
      }
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      if (!close(a, b, tol))
        throw new RunError(`symbolic check failed: ${what} at ${this.describe(p)}: ${a} vs ${b}`);
      worst = Math.max(worst, Math.abs(a - b) / (1 + Math.abs(a) + Math.abs(b)));
      used++;
    }
    if (used >= this.pts.length / 2)
      this.checks.push(`${what} at ${used} points (max rel. diff ${worst.toExponential(1)})`);
  }
}

/** mathjs's derivatives of `text` (nested: first, second, ...), as functions of a scope; stops where mathjs cannot. */
export function mathjsDerivatives(
  text: string,
  variables: string[],
): Array<(scope: Record<string, number>) => number> {
  const out: Array<(scope: Record<string, number>) => number> = [];
  let node: MathNode;
  try {
    node = math.parse(text);
  } catch {
    return out;
  }
  for (const variable of variables) {
    try {
      node = math.derivative(node, variable, { simplify: false });
    } catch {
      return out;
    }
    // mathjs's unsimplified derivatives of deep compositions grow fast; past this size the check
    // would cost seconds and adds little to the finite-difference one.
    if (node.filter(() => true).length > MATHJS_MAX_NODES) return out;
    const code = node.compile();
    out.push((scope) => Number(code.evaluate(scope)));
  }
  return out;
}

interface Point {
  x: number;
  y: number;
}

export function runChecks(input: CheckInput): string[] {
  const { fns, available } = input;
  const rng = new Rng(20240601, 3);
  const sd = Math.sqrt(input.teacherVariance);
  const lossPts: Point[] = [];
  for (let i = 0; i < N_POINTS; i++)
    lossPts.push({ x: 3 * (2 * rng.uniform() - 1), y: fns.label(sd * rng.normal(), rng.normal()) });
  for (const p of lossPts)
    if (!Number.isFinite(p.y))
      throw new UsageError(`${input.source}: label is ${p.y} at a typical (wstar, eps)`);
  // The model must be defined where the dynamics will evaluate it.
  for (const name of ["loss", "l", "dl"] as const)
    for (const p of lossPts) {
      const v = fns[name](p.x, p.y);
      if (!Number.isFinite(v))
        throw new UsageError(
          `${input.source}: ${name} is ${v} at r = ${p.x.toPrecision(3)}, y = ${p.y.toPrecision(3)}; the model must be finite for every r, label and theta`,
        );
    }
  const c = new Checker<Point>(lossPts, (p) => `r = ${p.x}, y = ${p.y}`);
  const of = (f: F) => (p: Point) => f(p.x, p.y);
  const fdOf = (f: F) => FD_STEPS.map((h) => (p: Point) => fd((t) => f(t, p.y), p.x, h));
  c.compare("loss: stable rewrite = model's expression", of(fns.loss), of(input.userForms.loss), EXACT_TOL);
  const pen = penaltyChecks(input);
  const chain: Array<[FnName, FnName, string]> = [
    ["l", "loss", "dL/dr"],
    ["dl", "l", "d2L/dr2"],
    ["d2l", "dl", "d3L/dr3"],
  ];
  for (const [name, from, what] of chain)
    if (available.has(name))
      c.compare(`${name} = ${what} matches finite difference`, of(fns[name]), fdOf(fns[from]), FD_TOL);
  // mathjs's derivative, where it supports the expression (it lacks erf, sign, max, min, ...).
  const refs = mathjsDerivatives(input.lossText, ["r", "r", "r"]);
  (["l", "dl", "d2l"] as const).forEach((name, i) => {
    if (i < refs.length && available.has(name))
      c.compare(
        `${name} matches mathjs derivative`,
        of(fns[name]),
        (p) => refs[i]({ ...input.parameters, r: p.x, y: p.y }),
        EXACT_TOL,
      );
  });
  // Stability: the loss and its first two derivatives stay finite far out.
  const far = [-1e3, -100, -30, 30, 100, 1e3];
  const ys = lossPts.map((p) => p.y);
  const bad = far
    .flatMap((r) => ys.map((y) => ({ r, y })))
    .find(({ r, y }) => !Number.isFinite(fns.loss(r, y) + fns.l(r, y) + fns.dl(r, y)));
  const checks = [...c.checks, ...pen];
  if (!bad) checks.push("loss, l, dl finite for |r| up to 1e3");
  else
    checks.push(
      `note: loss, l or dl is not finite at r = ${bad.r}, y = ${bad.y.toPrecision(3)}: a run that reaches such r will stop (write the loss in a stable form, e.g. logncdf for log Phi)`,
    );
  return checks;
}

/** The penalty side (the same for every k: pen acts entry-wise on theta). */
export function penaltyChecks(input: {
  fns: Pick<CompiledFns, "pen" | "h" | "dh">;
  userForms: { pen: F };
  penText: string;
  parameters: Record<string, number>;
  source: string;
}): string[] {
  const { fns } = input;
  const rng = new Rng(20240601, 3, 1);
  const pts = Array.from({ length: N_POINTS }, () => 2 * rng.normal());
  for (const name of ["pen", "h", "dh"] as const)
    for (const x of pts) {
      const v = fns[name](x);
      if (!Number.isFinite(v))
        throw new UsageError(
          `${input.source}: ${name} is ${v} at theta = ${x.toPrecision(3)}; the model must be finite for every r, label and theta`,
        );
    }
  const c = new Checker<number>(pts, (x) => `theta = ${x}`);
  const fdOf = (f: (x: number) => number) => FD_STEPS.map((h) => (x: number) => fd(f, x, h));
  c.compare("pen: stable rewrite = model's expression", fns.pen, input.userForms.pen, EXACT_TOL);
  c.compare("h = pen' matches finite difference", fns.h, fdOf(fns.pen), FD_TOL);
  c.compare("dh = pen'' matches finite difference", fns.dh, fdOf(fns.h), FD_TOL);
  const refs = mathjsDerivatives(input.penText, ["theta", "theta"]);
  (["h", "dh"] as const).forEach((name, i) => {
    if (i < refs.length)
      c.compare(
        `${name} matches mathjs derivative`,
        fns[name],
        (x) => refs[i]({ ...input.parameters, theta: x }),
        EXACT_TOL,
      );
  });
  return c.checks;
}

/** Confirms numerically that the label only takes the values -1 and +1 (wstar of width kTeacher). */
export function labelsAreBinary(
  label: (w: Float64Array, wo: number, eps: number) => number,
  kTeacher: number,
  teacherVariance: number,
): boolean {
  const rng = new Rng(20240601, 4);
  const w = new Float64Array(kTeacher);
  for (let i = 0; i < 2000; i++) {
    rng.fillNormal(w, Math.sqrt(teacherVariance));
    const y = label(w, 0, rng.normal());
    if (y !== 1 && y !== -1) return false;
  }
  return true;
}
