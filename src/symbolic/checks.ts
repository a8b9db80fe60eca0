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

function fd(f: (x: number) => number, x: number, step: number): number {
  const h = step * Math.max(1, Math.abs(x));
  return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h);
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
  const penPts: Point[] = [];
  for (let i = 0; i < N_POINTS; i++) {
    lossPts.push({ x: 3 * (2 * rng.uniform() - 1), y: fns.label(sd * rng.normal(), rng.normal()) });
    penPts.push({ x: 2 * rng.normal(), y: 0 });
  }
  const checks: string[] = [];
  // The model must be defined where the dynamics will evaluate it.
  const defined = (name: FnName, pts: Point[], twoArgs: boolean) => {
    for (const p of pts) {
      const v = twoArgs ? (fns[name] as F)(p.x, p.y) : (fns[name] as F)(p.x);
      if (!Number.isFinite(v))
        throw new UsageError(
          `${input.source}: ${name} is ${v} at ${twoArgs ? `r = ${p.x.toPrecision(3)}, y = ${p.y.toPrecision(3)}` : `theta = ${p.x.toPrecision(3)}`}; the model must be finite for every r, label and theta`,
        );
    }
  };
  for (const p of lossPts)
    if (!Number.isFinite(p.y))
      throw new UsageError(`${input.source}: label is ${p.y} at a typical (wstar, eps)`);
  for (const name of ["loss", "l", "dl"] as const) defined(name, lossPts, true);
  for (const name of ["pen", "h", "dh"] as const) defined(name, penPts, false);
  // `wants` are alternative references (finite differences with shrinking steps, so that a point that
  // happens to lie within a step of a kink still checks); the check passes if one of them agrees.
  const compare = (what: string, got: F, want: F | F[], pts: Point[], tol: number, twoArgs: boolean) => {
    const wants = Array.isArray(want) ? want : [want];
    let used = 0;
    let worst = 0;
    for (const p of pts) {
      const a = twoArgs ? got(p.x, p.y) : got(p.x);
      let b = Number.NaN;
      for (const w of wants) {
        b = twoArgs ? w(p.x, p.y) : w(p.x);
        if (!Number.isFinite(b) || close(a, b, tol)) break;
      }
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      if (!close(a, b, tol))
        throw new RunError(
          `symbolic check failed: ${what} at ${twoArgs ? `r = ${p.x}, y = ${p.y}` : `theta = ${p.x}`}: ${a} vs ${b}`,
        );
      worst = Math.max(worst, Math.abs(a - b) / (1 + Math.abs(a) + Math.abs(b)));
      used++;
    }
    if (used >= pts.length / 2)
      checks.push(`${what} at ${used} points (max rel. diff ${worst.toExponential(1)})`);
  };
  const fdOf = (f: F, twoArgs: boolean): F[] =>
    FD_STEPS.map((h): F => (twoArgs ? (x, y) => fd((t) => f(t, y), x, h) : (x) => fd((t) => f(t), x, h)));

  compare(
    "loss: stable rewrite = model's expression",
    fns.loss,
    input.userForms.loss,
    lossPts,
    EXACT_TOL,
    true,
  );
  compare("pen: stable rewrite = model's expression", fns.pen, input.userForms.pen, penPts, EXACT_TOL, false);
  const chain: Array<[FnName, FnName, string]> = [
    ["l", "loss", "dL/dr"],
    ["dl", "l", "d2L/dr2"],
    ["d2l", "dl", "d3L/dr3"],
  ];
  for (const [name, of, what] of chain)
    if (available.has(name))
      compare(
        `${name} = ${what} matches finite difference`,
        fns[name],
        fdOf(fns[of], true),
        lossPts,
        FD_TOL,
        true,
      );
  compare("h = pen' matches finite difference", fns.h, fdOf(fns.pen, false), penPts, FD_TOL, false);
  compare("dh = pen'' matches finite difference", fns.dh, fdOf(fns.h, false), penPts, FD_TOL, false);

  // mathjs's derivative, where it supports the expression (it lacks erf, sign, max, min, ...).
  const viaMathjs = (text: string, variable: string, names: FnName[], twoArgs: boolean, pts: Point[]) => {
    let node: MathNode;
    try {
      node = math.parse(text);
    } catch {
      return;
    }
    for (const name of names) {
      try {
        node = math.derivative(node, variable, { simplify: false });
      } catch {
        return;
      }
      // mathjs's unsimplified derivatives of deep compositions grow fast; past this size the check
      // would cost seconds and adds little to the finite-difference one.
      if (node.filter(() => true).length > MATHJS_MAX_NODES) return;
      if (!available.has(name)) return;
      const code = node.compile();
      const scope = (x: number, y: number) => ({ ...input.parameters, [variable]: x, y });
      const ref: F = (x, y) => Number(code.evaluate(scope(x, y ?? 0)));
      compare(`${name} matches mathjs derivative`, fns[name], ref, pts, EXACT_TOL, twoArgs);
    }
  };
  viaMathjs(input.lossText, "r", ["l", "dl", "d2l"], true, lossPts);
  viaMathjs(input.penText, "theta", ["h", "dh"], false, penPts);

  // Stability: the loss and its first two derivatives stay finite far out.
  const far = [-1e3, -100, -30, 30, 100, 1e3];
  const ys = lossPts.map((p) => p.y);
  const finite = far.every((r) =>
    ys.every((y) => Number.isFinite(fns.loss(r, y) + fns.l(r, y) + fns.dl(r, y))),
  );
  if (finite) checks.push("loss, l, dl finite for |r| up to 1e3");
  return checks;
}

/** Confirms numerically that the label only takes the values -1 and +1. */
export function labelsAreBinary(label: F, teacherVariance: number): boolean {
  const rng = new Rng(20240601, 4);
  const sd = Math.sqrt(teacherVariance);
  for (let i = 0; i < 2000; i++) {
    const y = label(sd * rng.normal(), rng.normal());
    if (y !== 1 && y !== -1) return false;
  }
  return true;
}
