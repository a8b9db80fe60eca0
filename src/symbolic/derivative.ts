// Our own derivative rule table over Expr (mathjs's `derivative` lacks erf, sign, max, log1p, ...).
// Conventions at kinks (see docs/models.md): d|u| = sign(u) du with sign(0) = 0;
// d max(a, b) = da (1 + sign(a - b))/2 + db (1 - sign(a - b))/2 (the average at a tie), min likewise.
// The derivative of sign(u) with u depending on the variable is a Dirac delta: DeltaError.
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
  let byNode = cache.get(x);
  if (!byNode) {
    byNode = new WeakMap();
    cache.set(x, byNode);
  }
  let d = byNode.get(e);
  if (d === undefined) {
    d = derivativeNode(e, x);
    byNode.set(e, d);
  }
  return d;
}

function derivativeNode(e: Expr, x: string): Expr {
  if (!dependsOn(e, x)) return num(0);
  const d = (u: Expr) => derivative(u, x);
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
      return fnDerivative(e, x);
  }
}

function fnDerivative(e: Expr & { k: "fn" }, x: string): Expr {
  const [u, v] = e.args;
  const du = derivative(u, x);
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
      throw new DeltaError(toText(e));
    case "tanh":
      return mul(sub(num(1), pow(e, num(2))), du);
    case "cosh":
      return mul(fn("sinh", u), du);
    case "sinh":
      return mul(fn("cosh", u), du);
    case "erf":
      return mul(mul(sqrt2OverPi(), fn("exp", neg(pow(u, num(2))))), du);
    case "sigmoid":
      return mul(mul(e, sub(num(1), e)), du);
    case "softplus":
      return mul(fn("sigmoid", u), du);
    case "max":
    case "min": {
      // sign(a - b), written sign(a) or -sign(b) when the other argument is 0 (for the kink identities)
      const s = isNum(v, 0) ? fn("sign", u) : isNum(u, 0) ? neg(fn("sign", v)) : fn("sign", sub(u, v));
      const [wu, wv] = e.name === "max" ? [add(num(1), s), sub(num(1), s)] : [sub(num(1), s), add(num(1), s)];
      return div(add(mul(derivative(u, x), wu), mul(derivative(v, x), wv)), num(2));
    }
    default:
      throw new Error(`no derivative rule for function '${e.name}'`);
  }
}
