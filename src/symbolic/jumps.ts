// Steps of a derived function in one variable x: every sign(u) node with u depending on x is a kink of the
// expression; where it does not cancel, the function jumps there (l = l_ac + sum_j J_j H(x - c_j)).
// Nodes with the same root (textually the same location, or u and -u) form one step. For u = alpha x + beta
// (alpha, beta free of x) the location is c = -beta / alpha; the size is J = f(c+) - f(c-), obtained by
// forcing the group's sign nodes to their one-sided values sign(alpha) and -sign(alpha) and setting x = c.
// Steps whose size vanishes at every sample point (squared hinge, Huber, |u| sign(u), ...) are dropped.
// Non-affine arguments: the size is kept as a function of x (at the roots of u, found numerically).
import { dependsOn, div, type Expr, fn, isNum, mul, neg, num, sub, substitute, toText } from "./ast.js";
import { genBody } from "./codegen.js";
import { compileSource } from "./compile.js";
import { acDerivative } from "./derivative.js";
import { simplify, terms } from "./simplify.js";

export interface Step {
  /** The argument u of (one of) the group's sign(u) nodes. */
  u: Expr;
  /** u = alpha x + beta: location c = -beta / alpha; all undefined when u is not affine in x. */
  alpha?: Expr;
  beta?: Expr;
  loc?: Expr;
  /** f(c+) - f(c-): a function of the other variables (affine u) or also of x, to evaluate at a root of u. */
  size: Expr;
}

/** A point: values of x and of the other variables of the expression (parameters are inlined). */
export type Sample = Record<string, number>;

/** Every sign(u) node of e with u depending on x (a kink or a step), by text. */
export function signNodes(e: Expr, x: string, out = new Map<string, Expr & { k: "fn" }>()) {
  if (e.k === "neg") signNodes(e.a, x, out);
  else if (e.k === "fn") {
    if (e.name === "sign" && dependsOn(e.args[0], x)) out.set(toText(e), e);
    for (const a of e.args) signNodes(a, x, out);
  } else if (e.k !== "num" && e.k !== "sym") {
    signNodes(e.a, x, out);
    signNodes(e.b, x, out);
  }
  return out;
}

/** The same for u and -u, whatever the order of their terms. */
function rootKey(u: Expr): string {
  const list: Array<{ s: number; e: Expr }> = [];
  terms(simplify(u), 1, list);
  const key = (flip: number) =>
    list
      .map((t) => `${t.s * flip > 0 ? "+" : "-"}${toText(t.e)}`)
      .sort()
      .join(" ");
  return [key(1), key(-1)].sort()[0];
}

/** Replaces every node whose text is a key of `by`. */
function replace(e: Expr, by: Map<string, Expr>): Expr {
  const hit = by.get(toText(e));
  if (hit) return hit;
  switch (e.k) {
    case "num":
    case "sym":
      return e;
    case "neg":
      return neg(replace(e.a, by));
    case "fn":
      return fn(e.name, ...e.args.map((a) => replace(a, by)));
    default:
      return { k: e.k, a: replace(e.a, by), b: replace(e.b, by) };
  }
}

/** A compiled expression of named variables (parameters inlined; variables read from an array). */
export function evaluator(e: Expr, vars: string[], params: Record<string, number>): (p: Sample) => number {
  const bind = Object.fromEntries(vars.map((v, i) => [v, i === 0 ? "r[ro]" : `r[ro + ${i}]`]));
  const { lines, values } = genBody([e], bind, params);
  const f = compileSource(`(r, ro) => {\n${lines.join("\n")}\n  return ${values[0]};\n}`) as unknown as (
    r: Float64Array,
    ro: number,
  ) => number;
  const buf = new Float64Array(vars.length);
  return (p) => {
    vars.forEach((v, i) => {
      buf[i] = p[v];
    });
    return f(buf, 0);
  };
}

/**
 * The steps of `e` in `x` whose size is not zero at the samples. `vars`: every free variable of `e` (x
 * included), in the order the samples give them.
 */
export function findSteps(
  e: Expr,
  x: string,
  vars: string[],
  params: Record<string, number>,
  samples: Sample[],
): Step[] {
  const nodes = signNodes(e, x);
  // Group by location (affine) or by the argument up to its sign.
  const groups = new Map<string, { nodes: Array<Expr & { k: "fn" }>; step: Omit<Step, "size"> }>();
  for (const node of nodes.values()) {
    const u = node.args[0];
    const alpha = simplify(acDerivative(u, x));
    const affine = !dependsOn(alpha, x) && !isNum(alpha, 0);
    let key: string;
    let step: Omit<Step, "size">;
    if (affine) {
      const beta = simplify(substitute(u, x, num(0)));
      const loc = simplify(neg(div(beta, alpha)));
      key = `c ${toText(loc)}`;
      step = { u, alpha, beta, loc };
    } else {
      key = `u ${rootKey(u)}`;
      step = { u };
    }
    const g = groups.get(key);
    if (g) g.nodes.push(node);
    else groups.set(key, { nodes: [node], step });
  }
  const out: Step[] = [];
  for (const { nodes: group, step } of groups.values()) {
    const side = (s: number) =>
      replace(
        e,
        new Map(
          group.map((n) => {
            const slope = fn("sign", simplify(acDerivative(n.args[0], x)));
            return [toText(n), s > 0 ? slope : neg(slope)] as [string, Expr];
          }),
        ),
      );
    // One node: J = sign(alpha) (f|sign=+1 - f|sign=-1), which simplifies better (hinge: |y|).
    const one = (v: number) => replace(e, new Map([[toText(group[0]), num(v)]]));
    let size =
      group.length === 1
        ? simplify(mul(fn("sign", simplify(acDerivative(group[0].args[0], x))), sub(one(1), one(-1))))
        : simplify(sub(side(1), side(-1)));
    if (step.loc) size = simplify(substitute(size, x, step.loc));
    if (isNum(size, 0) || vanishes(size, step, x, vars, params, samples)) continue;
    out.push({ ...step, size });
  }
  return out;
}

/** Zero (to rounding) at every sample: at x = c (affine) or at every root of u found on [-10, 10]. */
function vanishes(
  size: Expr,
  step: Omit<Step, "size">,
  x: string,
  vars: string[],
  params: Record<string, number>,
  samples: Sample[],
): boolean {
  const J = evaluator(size, vars, params);
  const small = (v: number) => Math.abs(v) <= 1e-12;
  if (step.loc) return samples.every((p) => small(J(p)));
  const u = evaluator(step.u, vars, params);
  return samples.every((p) => rootsIn(u, p, x).every((c) => small(J({ ...p, [x]: c }))));
}

/** Roots of u(x) (other variables from p) on [-10, 10]: sign changes on a grid of 2000, then bisection. */
export function rootsIn(u: (p: Sample) => number, p: Sample, x: string): number[] {
  const at = (t: number) => u({ ...p, [x]: t });
  const roots: number[] = [];
  const n = 2000;
  let a = -10;
  let fa = at(a);
  for (let i = 1; i <= n; i++) {
    const b = -10 + (20 * i) / n;
    const fb = at(b);
    if (fa === 0) roots.push(a);
    else if (fa * fb < 0) {
      let [lo, hi, flo] = [a, b, fa];
      for (let it = 0; it < 60; it++) {
        const mid = (lo + hi) / 2;
        const fm = at(mid);
        if (fm * flo > 0) [lo, flo] = [mid, fm];
        else hi = mid;
      }
      roots.push((lo + hi) / 2);
    }
    [a, fa] = [b, fb];
  }
  return roots;
}
