// Numerical-stability rewrites, applied before differentiating and before generating code:
//   log(1 + exp(u)), log1p(exp(u)) -> softplus(u);   1/(1 + exp(u)) -> sigmoid(-u);
//   exp(u)/(1 + exp(u)) -> sigmoid(u);   log(sigmoid(u)) -> -softplus(-u);   log(1 - sigmoid(u)) -> -softplus(u);
//   log(1 + x) -> log1p(x);   sinh(u)/cosh(u) -> tanh(u);
//   log(c (1 + erf(u))) -> log(2c) + logncdf(sqrt(2) u), log(c (1 - erf(u))) -> log(2c) + logncdf(-sqrt(2) u)
//   (the probit loss: logncdf is log Phi, evaluated without underflow; its derivative is invmills = phi / Phi).
// sigmoid and softplus are evaluated by overflow-free helpers (compile.ts), so e.g. the logistic loss and
// its derivatives stay finite and accurate for |r| up to 1e3 and beyond.
import { add, type Expr, fn, mul, neg, num, sqrt2, toText } from "./ast.js";
import { fromMono, simplify, terms, toMono } from "./simplify.js";

export function stabilize(e: Expr): Expr {
  return simplify(walk(simplify(e)));
}

function walk(e: Expr): Expr {
  switch (e.k) {
    case "num":
    case "sym":
      return e;
    case "neg":
      return neg(walk(e.a));
    case "fn":
      return fnRule(e.name, e.args.map(walk));
    case "mul":
    case "div":
      return monoRule({ k: e.k, a: walk(e.a), b: walk(e.b) });
    default:
      return { k: e.k, a: walk(e.a), b: walk(e.b) };
  }
}

/** A sum `c + x` with a numeric constant c, as [c, x]; undefined for anything else. */
function onePlus(e: Expr): [number, Expr] | undefined {
  const list: Array<{ s: number; e: Expr }> = [];
  terms(e, 1, list);
  if (list.length !== 2) return undefined;
  const i = list.findIndex((t) => t.e.k === "num");
  if (i < 0) return undefined;
  const c = list[i].e as { v: number };
  const other = list[1 - i];
  return [list[i].s * c.v, other.s > 0 ? other.e : neg(other.e)];
}

function fnRule(name: string, args: Expr[]): Expr {
  const [a] = args;
  if (name === "log1p" && a.k === "fn" && a.name === "exp") return fn("softplus", a.args[0]);
  if (name === "log") {
    if (a.k === "fn" && a.name === "sigmoid") return neg(fn("softplus", neg(a.args[0])));
    const probit = logOfErf(a);
    if (probit) return probit;
    const s = onePlus(a);
    if (s && s[0] === 1) {
      const x = simplify(s[1]);
      if (x.k === "fn" && x.name === "exp") return fn("softplus", x.args[0]);
      if (x.k === "neg" && x.a.k === "fn" && x.a.name === "sigmoid") return neg(fn("softplus", x.a.args[0]));
      return fn("log1p", x);
    }
  }
  return fn(name, ...args);
}

/** log(c (1 +- erf(u))) with c > 0 a number -> log(2c) + logncdf(+-sqrt(2) u); undefined otherwise. */
function logOfErf(a: Expr): Expr | undefined {
  const m = toMono(a);
  if (m.top.length !== 1 || m.bottom.length !== 0 || !(m.c / m.d > 0)) return undefined;
  const s = onePlus(m.top[0]);
  if (s?.[0] !== 1) return undefined;
  const x = simplify(s[1]);
  const sgn = x.k === "neg" ? -1 : 1;
  const f = x.k === "neg" ? x.a : x;
  if (f.k !== "fn" || f.name !== "erf") return undefined;
  const arg = mul(sgn > 0 ? sqrt2() : neg(sqrt2()), f.args[0]);
  const c = (2 * m.c) / m.d;
  const phi = fn("logncdf", simplify(arg));
  return c === 1 ? phi : add(fn("log", num(c)), phi);
}

function monoRule(e: Expr): Expr {
  const m = toMono(e);
  const bottom: Expr[] = [];
  for (const f of m.bottom) {
    const s = onePlus(f);
    const x = s && s[0] === 1 ? simplify(s[1]) : undefined;
    if (x && x.k === "fn" && x.name === "exp") {
      const key = toText(x);
      const j = m.top.findIndex((t) => toText(t) === key);
      if (j >= 0) {
        m.top.splice(j, 1);
        m.top.push(fn("sigmoid", x.args[0]));
      } else m.top.push(fn("sigmoid", neg(x.args[0])));
      continue;
    }
    if (f.k === "fn" && f.name === "cosh") {
      const key = toText(fn("sinh", f.args[0]));
      const j = m.top.findIndex((t) => toText(t) === key);
      if (j >= 0) {
        m.top.splice(j, 1, fn("tanh", f.args[0]));
        continue;
      }
    }
    bottom.push(f);
  }
  return fromMono({ ...m, bottom });
}
