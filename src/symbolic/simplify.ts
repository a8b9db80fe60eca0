// Bounded simplifier: a fixed number of bottom-up passes of local rules (constant folding, identities,
// products normalised to coefficient * factors / factors with like factors merged into powers, sums
// with like terms collected). No expansion and no search, so it always terminates quickly.
import { div, type Expr, fn, isNum, mul, neg, num, pow, toText } from "./ast.js";

const MAX_PASSES = 6;

export function simplify(e: Expr): Expr {
  let cur = e;
  let key = toText(cur);
  for (let i = 0; i < MAX_PASSES; i++) {
    const next = pass(cur);
    const nextKey = toText(next);
    if (nextKey === key) return next;
    cur = next;
    key = nextKey;
  }
  return cur;
}

// Nodes are never mutated, so a pass over a shared subtree (derivatives share many) is done once.
const passCache = new WeakMap<Expr, Expr>();

function pass(e: Expr): Expr {
  let out = passCache.get(e);
  if (out === undefined) {
    out = passNode(e);
    passCache.set(e, out);
  }
  return out;
}

function passNode(e: Expr): Expr {
  switch (e.k) {
    case "num":
    case "sym":
      return e;
    case "neg": {
      const a = pass(e.a);
      if (a.k === "num") return num(-a.v);
      if (a.k === "neg") return a.a;
      return a.k === "add" || a.k === "sub" ? sumNormal(neg(a)) : monoNormal(neg(a));
    }
    case "add":
    case "sub":
      return sumNormal({ k: e.k, a: pass(e.a), b: pass(e.b) });
    case "mul":
    case "div":
      return monoNormal({ k: e.k, a: pass(e.a), b: pass(e.b) });
    case "pow":
      return powRule(pass(e.a), pass(e.b));
    case "fn":
      return fnRule(e.name, e.args.map(pass));
  }
}

function powRule(a: Expr, b: Expr): Expr {
  if (isNum(b, 0)) return num(1);
  if (isNum(b, 1)) return a;
  if (isNum(a, 1)) return num(1);
  if (a.k === "num" && b.k === "num") {
    const v = a.v ** b.v;
    if (Number.isInteger(v) && Number.isFinite(v) && Number.isInteger(b.v) && b.v > 0) return num(v);
  }
  if (b.k === "num" && Number.isInteger(b.v)) {
    if (a.k === "pow" && a.b.k === "num") return powRule(a.a, num(a.b.v * b.v));
    if ((a.k === "neg" || (a.k === "fn" && a.name === "abs")) && b.v % 2 === 0)
      return powRule(a.k === "neg" ? a.a : a.args[0], b);
  }
  return pow(a, b);
}

const AT_ZERO: Record<string, number> = {
  exp: 1,
  log1p: 0,
  tanh: 0,
  sinh: 0,
  cosh: 1,
  erf: 0,
  erfc: 1,
  ncdf: 0.5,
  sigmoid: 0.5,
};

function fnRule(name: string, args: Expr[]): Expr {
  const [a, b] = args;
  if (a.k === "num") {
    if (name === "abs") return num(Math.abs(a.v));
    if (name === "sign") return num(Math.sign(a.v));
    if (a.v === 0 && Object.hasOwn(AT_ZERO, name)) return num(AT_ZERO[name]);
    if (name === "log" && a.v === 1) return num(0);
    if (name === "sqrt" && Number.isInteger(Math.sqrt(a.v))) return num(Math.sqrt(a.v));
    if ((name === "min" || name === "max") && b.k === "num") return num(Math[name](a.v, b.v));
  }
  if (a.k === "neg" && name === "abs") return fn("abs", a.a);
  if (a.k === "neg" && name === "sign") return neg(fn("sign", a.a));
  return fn(name, ...args);
}

// ---- products: value = (c / d) * prod(top) / prod(bottom)
interface Mono {
  c: number;
  d: number;
  top: Expr[];
  bottom: Expr[];
}

function collect(e: Expr, m: Mono, below: boolean): void {
  if (e.k === "num") {
    if (below) m.d *= e.v;
    else m.c *= e.v;
  } else if (e.k === "neg") {
    m.c = -m.c;
    collect(e.a, m, below);
  } else if (e.k === "mul") {
    collect(e.a, m, below);
    collect(e.b, m, below);
  } else if (e.k === "div") {
    collect(e.a, m, below);
    collect(e.b, m, !below);
  } else if (
    e.k === "pow" &&
    e.b.k === "num" &&
    Number.isInteger(e.b.v) &&
    ["mul", "div", "neg"].includes(e.a.k)
  ) {
    // (a * b / c)^n -> a^n * b^n / c^n
    const n = e.b.v;
    const inner = toMono(e.a);
    const flip = n < 0 ? !below : below;
    const k = Math.abs(n);
    collect(num(inner.c ** k), m, flip);
    collect(num(inner.d ** k), m, !flip);
    for (const f of inner.top) (flip ? m.bottom : m.top).push(powRule(f, num(k)));
    for (const f of inner.bottom) (flip ? m.top : m.bottom).push(powRule(f, num(k)));
  } else (below ? m.bottom : m.top).push(e);
}

export function toMono(e: Expr): Mono {
  const m: Mono = { c: 1, d: 1, top: [], bottom: [] };
  collect(e, m, false);
  return m;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const rank = (e: Expr) => (e.k === "sym" ? 0 : e.k === "pow" && e.a.k === "sym" ? 1 : 2);
const product = (xs: Expr[]) => xs.reduce((acc, x) => mul(acc, x));

/** Merges like factors into powers, reduces the coefficient, orders factors, rebuilds the tree. */
export function fromMono(m: Mono): Expr {
  let { c, d } = m;
  if (d === 0 || !Number.isFinite(c / d)) return div(num(c), num(d));
  if (c === 0) return num(0);
  const powers = new Map<string, { base: Expr; exp: number; other?: Expr }>();
  const order: string[] = [];
  const add = (f: Expr, sign: number) => {
    // sqrt(u) is u^(1/2), so that e.g. sqrt(u)^2 -> u and u / sqrt(u) -> sqrt(u).
    let base = f;
    let exp = 1;
    if (base.k === "pow" && base.b.k === "num") [base, exp] = [base.a, base.b.v];
    if (base.k === "fn" && base.name === "sqrt") [base, exp] = [base.args[0], exp / 2];
    const key = toText(base);
    const slot = powers.get(key);
    if (slot) slot.exp += sign * exp;
    else {
      powers.set(key, { base, exp: sign * exp });
      order.push(key);
    }
  };
  for (const f of m.top) add(f, 1);
  for (const f of m.bottom) add(f, -1);
  const top: Expr[] = [];
  const bottom: Expr[] = [];
  for (const key of order) {
    const { base, exp } = powers.get(key)!;
    if (exp === 0) continue;
    const abs = Math.abs(exp);
    const whole = Math.floor(abs);
    const side = exp > 0 ? top : bottom;
    if (abs - whole === 0.5) {
      if (whole > 0) side.push(whole === 1 ? base : powRule(base, num(whole)));
      side.push(fn("sqrt", base));
    } else side.push(abs === 1 ? base : powRule(base, num(abs)));
  }
  c *= kinks(top);
  if (d < 0) [c, d] = [-c, -d];
  if (Number.isInteger(c) && Number.isInteger(d)) {
    const g = gcd(Math.abs(c), d);
    [c, d] = [c / g, d / g];
  } else [c, d] = [c / d, 1];
  top.sort((x, y) => rank(x) - rank(y));
  const sign = c < 0 ? -1 : 1;
  const cAbs = Math.abs(c);
  const numer = top.length === 0 ? num(cAbs) : cAbs === 1 ? product(top) : mul(num(cAbs), product(top));
  const denom = [...(d === 1 ? [] : [num(d)]), ...bottom];
  const body = denom.length === 0 ? numer : div(numer, product(denom));
  return sign < 0 ? neg(body) : body;
}

const isFn = (e: Expr, name: string): e is Expr & { k: "fn" } => e.k === "fn" && e.name === name;

/**
 * Exact identities at kinks, applied to the factors of a product (in place; returns a coefficient):
 * u sign(u) -> abs(u), abs(u) sign(u) -> u, max(0, u)^n (1 + sign(u)) -> 2 max(0, u)^n,
 * min(0, u)^n (1 - sign(u)) -> 2 min(0, u)^n (n > 0). They keep e.g. the squared hinge's l free of sign().
 */
function kinks(top: Expr[]): number {
  let coef = 1;
  for (let i = 0; i < top.length; i++) {
    const s = top[i];
    if (!isFn(s, "sign")) continue;
    const u = toText(s.args[0]);
    const j = top.findIndex((f) => toText(f) === u || (isFn(f, "abs") && toText(f.args[0]) === u));
    if (j < 0) continue;
    top[j] = isFn(top[j], "abs") ? s.args[0] : fn("abs", s.args[0]);
    top.splice(i, 1);
    i--;
  }
  for (const g of [...top]) {
    // max(0, u)^n (1 + sign(u)) = 2 max(0, u)^n for n > 0 as well
    const f = g.k === "pow" && g.b.k === "num" && g.b.v > 0 ? g.a : g;
    if (!(isFn(f, "max") || isFn(f, "min"))) continue;
    const k = f.args.findIndex((a) => isNum(a, 0));
    if (k < 0) continue;
    // ... and the negated factor -(1 + sign(u)) = -1 - sign(u) (a decreasing argument), coefficient -2
    const sgn = f.name === "max" ? 1 : -1;
    for (const one of [1, -1]) {
      const target = toText(sumOf(one, sgn * one, fn("sign", f.args[1 - k])));
      const j = top.findIndex((g) => toText(g) === target);
      if (j >= 0) {
        top.splice(j, 1);
        coef *= 2 * one;
        break;
      }
    }
  }
  return coef;
}

const sumOf = (one: number, sgn: number, s: Expr): Expr =>
  sumNormal({ k: "add", a: num(one), b: sgn > 0 ? s : neg(s) });

function monoNormal(e: Expr): Expr {
  return fromMono(toMono(e));
}

// ---- sums: terms with like factors collected, numeric constants added, zero terms dropped
export function terms(e: Expr, sign: number, out: Array<{ s: number; e: Expr }>): void {
  if (e.k === "add" || e.k === "sub") {
    terms(e.a, sign, out);
    terms(e.b, e.k === "sub" ? -sign : sign, out);
  } else if (e.k === "neg") terms(e.a, -sign, out);
  else out.push({ s: sign, e });
}

function sumNormal(e: Expr): Expr {
  const list: Array<{ s: number; e: Expr }> = [];
  terms(e, 1, list);
  const groups = new Map<string, Mono>();
  for (const { s, e: t } of list) {
    const m = toMono(t);
    m.c *= s;
    const sorted = (xs: Expr[]) => [...xs].sort((x, y) => (toText(x) < toText(y) ? -1 : 1));
    const key = toText(fromMono({ c: 1, d: 1, top: sorted(m.top), bottom: sorted(m.bottom) }));
    const g = groups.get(key);
    if (!g) groups.set(key, m);
    else if (Number.isInteger(g.c * m.d + m.c * g.d) && Number.isInteger(g.d * m.d)) {
      [g.c, g.d] = [g.c * m.d + m.c * g.d, g.d * m.d];
    } else [g.c, g.d] = [g.c / g.d + m.c / m.d, 1];
  }
  let acc: Expr | undefined;
  for (const m of groups.values()) {
    if (m.c === 0) continue;
    const t = fromMono(m);
    if (!acc) acc = t;
    else if (t.k === "neg") acc = { k: "sub", a: acc, b: t.a };
    else if (t.k === "num" && t.v < 0) acc = { k: "sub", a: acc, b: num(-t.v) };
    else acc = { k: "add", a: acc, b: t };
  }
  return acc ?? num(0);
}
