// Expr -> LaTeX (KaTeX-compatible), keeping the tree's term order; plus the left-hand sides used when
// printing each function. Callers check the output with katex.renderToString(..., {throwOnError: true}).
import type { FnName } from "../types.js";
import { type Expr, prec } from "./ast.js";

export const LATEX_LHS: Record<FnName, string> = {
  loss: "\\ell(r; y)",
  l: "\\ell'(r; y)",
  dl: "\\ell''(r; y)",
  d2l: "\\ell'''(r; y)",
  label: "y = \\varphi(w^{*}, \\varepsilon)",
  pen: "\\mathrm{pen}(\\theta)",
  h: "h(\\theta) = \\mathrm{pen}'(\\theta)",
  dh: "h'(\\theta)",
};

const SYMBOLS: Record<string, string> = {
  yhat: "\\hat{y}",
  wstar: "{w^{*}}",
  eps: "\\varepsilon",
  theta: "\\theta",
  pi: "\\pi",
};
const GREEK = new Set(
  (
    "alpha beta gamma delta epsilon zeta eta iota kappa lambda mu nu xi rho sigma tau upsilon phi chi psi " +
    "omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
  ).split(" "),
);
const OPERATORS: Record<string, string> = {
  exp: "\\exp",
  log: "\\log",
  tanh: "\\tanh",
  cosh: "\\cosh",
  sinh: "\\sinh",
  min: "\\min",
  max: "\\max",
  sign: "\\operatorname{sign}",
  erf: "\\operatorname{erf}",
  erfc: "\\operatorname{erfc}",
  ncdf: "\\Phi",
  logncdf: "\\log\\Phi",
  invmills: "\\frac{\\phi}{\\Phi}",
  sigmoid: "\\operatorname{sigmoid}",
  softplus: "\\operatorname{softplus}",
};

function symbol(name: string): string {
  if (Object.hasOwn(SYMBOLS, name)) return SYMBOLS[name];
  const m = /^([A-Za-z]+?)_?(\d+)$/.exec(name) ?? /^([A-Za-z]+)_([A-Za-z0-9_]+)$/.exec(name);
  if (m) return `{${symbol(m[1])}_{${m[2].replaceAll("_", "\\_")}}}`;
  if (GREEK.has(name)) return `\\${name}`;
  return name.length === 1 ? name : `\\mathrm{${name.replaceAll("_", "\\_")}}`;
}

function number(v: number): string {
  const s = String(Math.abs(v));
  const m = /^(\d+(?:\.\d+)?)e([+-]\d+)$/.exec(s);
  const body = m ? `${m[1]} \\times 10^{${Number(m[2])}}` : s;
  return v < 0 ? `-${body}` : body;
}

const paren = (s: string) => `\\left(${s}\\right)`;
const isNegative = (e: Expr) => e.k === "neg" || (e.k === "num" && e.v < 0);

export function toLatex(e: Expr): string {
  const wrap = (c: Expr, min: number) => (prec(c) < min ? paren(toLatex(c)) : toLatex(c));
  const right = (c: Expr, min: number) => (isNegative(c) ? paren(toLatex(c)) : wrap(c, min));
  switch (e.k) {
    case "num":
      return number(e.v);
    case "sym":
      return symbol(e.name);
    case "neg":
      return `-${wrap(e.a, 2)}`;
    case "add":
      return `${toLatex(e.a)} + ${right(e.b, 1)}`;
    case "sub":
      return `${toLatex(e.a)} - ${right(e.b, 2)}`;
    case "mul": {
      const b = right(e.b, 2);
      const sep = /^[\d.]/.test(b) ? " \\cdot " : " ";
      return `${wrap(e.a, 2)}${sep}${b}`;
    }
    case "div":
      return `\\frac{${toLatex(e.a)}}{${toLatex(e.b)}}`;
    case "pow": {
      const base = e.a.k === "sym" || (e.a.k === "num" && e.a.v >= 0) ? toLatex(e.a) : paren(toLatex(e.a));
      return `${base}^{${toLatex(e.b)}}`;
    }
    case "fn": {
      const args = e.args.map(toLatex);
      if (e.name === "sqrt") return `\\sqrt{${args[0]}}`;
      if (e.name === "abs") return `\\left|${args[0]}\\right|`;
      if (e.name === "log1p") return `\\log${paren(`1 + ${right(e.args[0], 1)}`)}`;
      return `${OPERATORS[e.name] ?? `\\operatorname{${e.name}}`}${paren(args.join(", "))}`;
    }
  }
}
