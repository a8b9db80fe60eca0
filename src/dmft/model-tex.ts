// LaTeX of a model's own functions with their argument substituted (e.g. l(w; y) in the online ODEs),
// built from the symbolic stage's checked expression text and printer; plus the numeric shape tests
// (h(theta) = lambda theta, l = a r + b(y)) that decide which special cases are written out.
import { type Expr, num, substitute, sym } from "../symbolic/ast.js";
import { FN_ARGS } from "../symbolic/compile.js";
import { toLatex } from "../symbolic/latex.js";
import { parseExpr } from "../symbolic/parse.js";
import { simplify } from "../symbolic/simplify.js";
import type { Derived, FnName } from "../types.js";

const SLOT = "zzdmftslot";
const VARS = FN_ARGS;
const TH_PROBES = [-2.7, -0.3, 0.6, 1.9];

function close(u: number, v: number): boolean {
  return Math.abs(u - v) <= 1e-9 * (1 + Math.abs(u) + Math.abs(v));
}

/** Wraps a LaTeX factor in parentheses unless it is a single symbol or number. */
export function factor(tex: string): string {
  return /^(\\?[A-Za-z]+|[\d.]+|\{[^{}]*\})$/.test(tex) ? tex : `\\left(${tex}\\right)`;
}

/** Collects the top-level terms of a sum with their signs. */
function topTerms(e: Expr, sign: number, out: Array<{ s: number; e: Expr }>): void {
  if (e.k === "add" || e.k === "sub") {
    topTerms(e.a, sign, out);
    topTerms(e.b, e.k === "sub" ? -sign : sign, out);
  } else if (e.k === "neg") topTerms(e.a, -sign, out);
  else {
    const p = pullSign(e);
    out.push({ s: sign * p.s, e: p.e });
  }
}

/** Moves a leading minus of a product or quotient out: (-4) x -> -(4 x). */
function pullSign(e: Expr): { s: number; e: Expr } {
  if (e.k === "mul" || e.k === "div") {
    const left = pullSign(e.a);
    return { s: left.s, e: { k: e.k, a: left.e, b: e.b } };
  }
  if (e.k === "neg") {
    const inner = pullSign(e.a);
    return { s: -inner.s, e: inner.e };
  }
  if (e.k === "num" && e.v < 0) return { s: -1, e: num(-e.v) };
  return { s: 1, e };
}

/** A term's LaTeX after a sign: products, powers, atoms stand as they are. */
function factorOf(e: Expr, tex: string): string {
  return e.k === "add" || e.k === "sub" ? `\\left(${tex}\\right)` : tex;
}

/** Rough width of LaTeX as typeset (commands count as one character). */
export function visible(tex: string): number {
  return tex
    .replace(/\\(left|right|Big)/g, "")
    .replace(/\\operatorname\{(\w+)\}/g, "$1")
    .replace(/\\(tanh|cosh|sinh|log|exp|min|max|sqrt)/g, "$1")
    .replace(/\^\{\d\}/g, "")
    .replace(/\\[A-Za-z]+/g, "x")
    .replace(/[{}\s]/g, "").length;
}

/**
 * Breaks an expression at top-level + and - into chunks of about `width` visible characters (LaTeX by `tex`)
 * for multi-line displays; later chunks start with their sign.
 */
export function splitExpr(e: Expr, tex: (x: Expr) => string, width = 40): string[] {
  const isSum = (x: Expr) => x.k === "add" || x.k === "sub";
  // Top-level terms; a long product with a sum factor is opened with \Big( ... \Big) so it may break too.
  const pieces = (x: Expr): string[] => {
    const terms: Array<{ s: number; e: Expr }> = [];
    topTerms(x, 1, terms);
    return terms.flatMap((t, i) => {
      const sign = i === 0 ? (t.s < 0 ? "-" : "") : t.s < 0 ? "- " : "+ ";
      const body = tex(t.e);
      const f = t.e;
      if (visible(body) <= width || f.k !== "mul" || !(isSum(f.a) || isSum(f.b)))
        return [`${sign}${factorOf(f, body)}`];
      const sumRight = isSum(f.b);
      const inner = pieces(sumRight ? f.b : f.a);
      const other = sumRight ? f.a : f.b;
      const otherTex = factorOf(other, tex(other));
      inner[0] = `${sign}${sumRight ? `${otherTex} ` : ""}\\Big(${inner[0]}`;
      inner[inner.length - 1] += `\\Big)${sumRight ? "" : ` ${otherTex}`}`;
      return inner;
    });
  };
  const chunks: string[] = [];
  let line = "";
  for (const piece of pieces(e)) {
    if (line !== "" && visible(line) + visible(piece) > width) {
      chunks.push(line);
      line = piece;
    } else line = line === "" ? piece : `${line} ${piece}`;
  }
  chunks.push(line);
  return chunks;
}

export class ModelTex {
  private readonly params: string[];

  constructor(private readonly derived: Derived) {
    this.params = Object.keys(derived.model.parameters);
  }

  parse(text: string, vars: string[], what: string): Expr {
    return parseExpr(text, {
      where: `${this.derived.model.name}: ${what}`,
      vars,
      params: this.params,
      derived: true,
    });
  }

  /** The function's expression, or null when the symbolic stage could not produce it (Dirac delta). */
  expr(name: FnName): Expr | null {
    const text = this.derived.text[name];
    // The symbolic stage marks a derivative it cannot represent (a Dirac delta) with "unsupported...".
    if (text.startsWith("unsupported")) return null;
    return this.parse(text, VARS[name], name);
  }

  /** LaTeX of `name` with its first argument (r or theta) replaced by the LaTeX `arg`. */
  at(name: "loss" | "l" | "dl" | "h" | "dh", arg: string): string {
    return this.split(name, arg, Number.POSITIVE_INFINITY).join(" ");
  }

  /**
   * Like `at` (arg optional), broken at top-level + and - into chunks of about `width` visible characters
   * for multi-line displays; later chunks start with their sign.
   */
  split(name: FnName, arg?: string, width = 40): string[] {
    const e = this.expr(name);
    if (!e) return ["\\text{not representable (a Dirac delta)}"];
    const by = arg === undefined ? "" : /[\^_]/.test(arg) ? `{${arg}}` : arg;
    const tex = (x: Expr) => {
      const t = toLatex(arg === undefined ? x : substitute(x, VARS[name][0], sym(SLOT)));
      return arg === undefined ? t : t.replaceAll(`\\mathrm{${SLOT}}`, by);
    };
    return splitExpr(e, tex, width);
  }

  /** Names of the helper functions (sigmoid, softplus) that appear in the model's functions. */
  helpers(): string[] {
    const v = this.derived.vector?.text;
    const all = [
      ...Object.values(this.derived.text),
      ...(v ? [v.loss, v.predict, v.label, ...v.grad, ...v.hess] : []),
    ].join(" ");
    return ["sigmoid", "softplus"].filter((f) => new RegExp(`\\b${f}\\(`).test(all));
  }

  /** Like `at`, in parentheses when it is a sum or starts with a minus sign (for use as a factor). */
  atFactor(name: "l" | "h", arg: string): string {
    const e = this.expr(name)!;
    const bare = this.at(name, arg);
    const wrap = e.k === "add" || e.k === "sub" || pullSign(e).s < 0;
    return wrap ? `\\left(${bare}\\right)` : bare;
  }

  /** LaTeX of b(y) = l(0; y). */
  lAtZero(): string {
    return toLatex(simplify(substitute(this.expr("l")!, "r", num(0))));
  }

  /** The activation yhat(r) and the loss in yhat, as the user wrote them (checked). */
  activation(): string {
    return toLatex(this.parse(this.derived.model.activation, ["r"], "activation"));
  }

  lossInYhat(): string {
    return toLatex(this.parse(this.derived.model.loss, ["yhat", "r", "y"], "loss"));
  }

  /** LaTeX symbol of a parameter name, as in the model's formulas. */
  param(name: string): string {
    return toLatex(sym(name));
  }

  /** lambda when h(theta) = lambda theta (checked at several points), else null. */
  ridge(): number | null {
    const { h, dh } = this.derived.fns;
    const lambda = dh(0);
    return TH_PROBES.every((th) => close(h(th), lambda * th) && close(dh(th), lambda)) ? lambda : null;
  }
}
