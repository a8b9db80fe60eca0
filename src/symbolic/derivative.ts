// Our own derivative rule table over Expr (mathjs's `derivative` lacks erf, sign, max, log1p, ...).
// Conventions at kinks (see docs/models.md): d|u| = sign(u) du with sign(0) = 0;
// d max(a, b) = da (1 + sign(a - b))/2 + db (1 - sign(a - b))/2 (the average at a tie), min likewise, so
// every step of a derivative is a sign(u) node (comparisons and step() are parsed into sign as well).
// The derivative of sign(u) with u depending on the variable is a Dirac delta: `derivative` throws
// DeltaError; `acDerivative` drops it (d sign = 0), giving the absolutely continuous part, whose steps
// jumps.ts then locates and sizes.
import {
  add,
  dependsOn,
  div,
  type Expr,
  fn,
  isNum,
  mul,
  neg,
  num,
  pow,
  sqrt2OverPi,
  sub,
  sym,
  toText,
} from "./ast.js";

/** The derivative is (or contains) a Dirac delta: not representable, reported by the caller. */
export class DeltaError extends Error {
  constructor(readonly at: string) {
    super(`the derivative of ${at} is a Dirac delta`);
    this.name = "DeltaError";
  }
}

const cache = new Map<string, WeakMap<Expr, Expr>>();

/** d e / d x (unsimplified; pass the result through simplify). Memoised per (node, x). */
export function derivative(e: Expr, x: string): Expr {
  return memo(e, x, false);
}

/** The absolutely continuous part of d e / d x: like `derivative` with d sign(u) = 0 (no Dirac deltas). */
export function acDerivative(e: Expr, x: string): Expr {
  return memo(e, x, true);
}

function memo(e: Expr, x: string, ac: boolean): Expr {
  const key = `${ac ? "ac " : ""}${x}`;
  let byNode = cache.get(key);
  if (!byNode) {
    byNode = new WeakMap();
    cache.set(key, byNode);
  }
  let d = byNode.get(e);
  if (d === undefined) {
    d = derivativeNode(e, x, ac);
    byNode.set(e, d);
  }
  return d;
}

function derivativeNode(e: Expr, x: string, ac: boolean): Expr {
  if (!dependsOn(e, x)) return num(0);
  const d = (u: Expr) => memo(u, x, ac);
  switch (e.k) {
    case "num":
      return num(0);
    case "sym":
      return num(1);
    case "neg":
      return neg(d(e.a));
    case "add":
      return add(d(e.a), d(e.b));
    case "sub":
      return sub(d(e.a), d(e.b));
    case "mul":
      return add(mul(d(e.a), e.b), mul(e.a, d(e.b)));
    case "div":
      if (!dependsOn(e.b, x)) return div(d(e.a), e.b);
      return sub(div(d(e.a), e.b), div(mul(e.a, d(e.b)), pow(e.b, num(2))));
    case "pow":
      if (!dependsOn(e.b, x)) return mul(mul(e.b, pow(e.a, sub(e.b, num(1)))), d(e.a));
      if (!dependsOn(e.a, x)) return mul(mul(e, fn("log", e.a)), d(e.b));
      return mul(e, add(mul(d(e.b), fn("log", e.a)), div(mul(e.b, d(e.a)), e.a)));
    case "fn":
      return fnDerivative(e, x, ac);
  }
}

function fnDerivative(e: Expr & { k: "fn" }, x: string, ac: boolean): Expr {
  const [u, v] = e.args;
  const du = memo(u, x, ac);
  switch (e.name) {
    case "exp":
      return mul(e, du);
    case "log":
      return div(du, u);
    case "log1p":
      return div(du, add(num(1), u));
    case "sqrt":
      return div(du, mul(num(2), e));
    case "abs":
      return mul(fn("sign", u), du);
    case "sign":
      if (ac) return num(0);
      throw new DeltaError(toText(e));
    case "tanh":
      return mul(sub(num(1), pow(e, num(2))), du);
    case "cosh":
      return mul(fn("sinh", u), du);
    case "sinh":
      return mul(fn("cosh", u), du);
    case "erf":
      return mul(mul(sqrt2OverPi(), fn("exp", neg(pow(u, num(2))))), du);
    case "erfc":
      return neg(mul(mul(sqrt2OverPi(), fn("exp", neg(pow(u, num(2))))), du));
    case "ncdf":
      return mul(div(fn("exp", div(neg(pow(u, num(2))), num(2))), fn("sqrt", mul(num(2), sym("pi")))), du);
    case "logncdf":
      return mul(fn("invmills", u), du);
    case "invmills":
      // m = phi/Phi: m' = -m (u + m)
      return mul(neg(mul(e, add(u, e))), du);
    case "sigmoid":
      return mul(mul(e, sub(num(1), e)), du);
    case "softplus":
      return mul(fn("sigmoid", u), du);
    case "max":
    case "min": {
      // sign(a - b), written sign(a) or -sign(b) when the other argument is 0 (for the kink identities)
      const s = isNum(v, 0) ? fn("sign", u) : isNum(u, 0) ? neg(fn("sign", v)) : fn("sign", sub(u, v));
      const [wu, wv] = e.name === "max" ? [add(num(1), s), sub(num(1), s)] : [sub(num(1), s), add(num(1), s)];
      return div(add(mul(du, wu), mul(memo(v, x, ac), wv)), num(2));
    }
    default:
      throw new Error(`no derivative rule for function '${e.name}'`);
  }
}
