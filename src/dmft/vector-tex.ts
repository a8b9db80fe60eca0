// LaTeX of a vector model's own functions (k > 1 or kTeacher > 1) for the DMFT document, from
// Derived.vector (the symbolic stage's checked text and LaTeX): the gradient vector and the Hessian as
// pmatrix (entry lists when a matrix would be too wide), the gradient at r = w for the online ODEs, and
// whether the Hessian depends on r.
import { dependsOn, type Expr, mul, neg, num, substitute, sym } from "../symbolic/ast.js";
import { toLatex } from "../symbolic/latex.js";
import type { Derived, VectorForms } from "../types.js";
import { aligned, display, eqLines } from "./blocks.js";
import { type ModelTex, splitExpr, visible } from "./model-tex.js";
import type { Block } from "./types.js";

/** Widest entry (visible characters) shown inside a pmatrix, and the width of one display line. */
const ENTRY = 60;
const LINE = 50;

/** A 1-based index pair as a subscript: 12, or 1,10 when an index has two digits. */
export function pair(a: number, b: number): string {
  return a < 10 && b < 10 ? `${a}${b}` : `${a},${b}`;
}

/**
 * A pmatrix of LaTeX entries given row by row (a 1 x 1 matrix is its entry); fractions are set in display style
 * with room between rows.
 */
export function pmatrix(rows: string[][]): string {
  if (rows.length === 1 && rows[0].length === 1) return rows[0][0];
  const tall = rows.some((r) => r.some((x) => x.includes("\\frac")));
  const cell = (x: string) => (tall ? `\\displaystyle ${x}` : x);
  const body = rows.map((r) => r.map(cell).join(" & ")).join(tall ? " \\\\[2ex] " : " \\\\ ");
  return `\\begin{pmatrix} ${body} \\end{pmatrix}`;
}

/** (a + b) / c -> (1/c) (a + b), also under minus signs: a quotient of a sum becomes a product splitExpr can break. */
function openFraction(e: Expr): Expr {
  if (e.k === "neg") return neg(openFraction(e.a));
  if (e.k !== "div") return e;
  const inv: Expr = { k: "div", a: num(1), b: e.b };
  if (e.a.k === "add" || e.a.k === "sub") return mul(inv, e.a);
  if (e.a.k === "neg" && (e.a.a.k === "add" || e.a.a.k === "sub")) return neg(mul(inv, e.a.a));
  return e;
}

export class VectorTex {
  readonly k: number;
  readonly kT: number;
  readonly forms: VectorForms;
  private readonly grad: Expr[];
  private readonly hess: Expr[];
  private readonly loss: Expr;

  constructor(derived: Derived, mt: ModelTex) {
    if (!derived.vector) throw new Error("internal: VectorTex needs Derived.vector");
    this.forms = derived.vector;
    this.k = derived.model.k;
    this.kT = derived.model.kTeacher;
    const vars = [...this.forms.rNames, "y"];
    const t = this.forms.text;
    this.grad = t.grad.map((s, a) => mt.parse(s, vars, `l_${a + 1}`));
    this.hess = t.hess.map((s, i) =>
      mt.parse(s, vars, `H_${pair(1 + Math.floor(i / this.k), 1 + (i % this.k))}`),
    );
    this.loss = mt.parse(t.loss, vars, "loss");
  }

  /** H does not depend on r, i.e. the gradient l is affine in r. */
  hessianConstant(): boolean {
    return this.hess.every((e) => this.forms.rNames.every((r) => !dependsOn(e, r)));
  }

  /** Aligned lines `lhs &= ...`, the expression broken at + and - when its LaTeX is wider than LINE. */
  private lines(lhs: string, e: Expr, tex: string, end: string): string[] {
    const chunks = visible(tex) <= LINE ? [tex] : splitExpr(openFraction(e), toLatex, LINE);
    return eqLines(lhs, chunks.length === 1 ? [tex] : chunks, end);
  }

  /** The composed loss L(r; y) as aligned lines. */
  lossLines(end: string): string[] {
    return this.lines("L(r; y)", this.loss, this.forms.latex.loss, end);
  }

  /** The gradient l = grad_r L as a column pmatrix, or symbolically with its entries listed. */
  gradientBlocks(): Block[] {
    const g = this.forms.latex.grad;
    if (this.k === 1) return [aligned(this.lines("\\ell(r; y)", this.grad[0], g[0], "."))];
    if (g.every((x) => visible(x) <= ENTRY))
      return [display(`\\ell(r; y) = \\nabla_r L(r; y) = ${pmatrix(g.map((x) => [x]))}.`)];
    const sym1 = g.map((_, a) => [`\\ell_{${a + 1}}(r; y)`]);
    return [
      display(`\\ell(r; y) = \\nabla_r L(r; y) = ${pmatrix(sym1)},`),
      aligned(
        g.flatMap((x, a) =>
          this.lines(`\\ell_{${a + 1}}(r; y)`, this.grad[a], x, a === g.length - 1 ? "." : ","),
        ),
      ),
    ];
  }

  /** The Hessian H = grad_r^2 L as a pmatrix, or symbolically with its upper triangle listed. */
  hessianBlocks(): Block[] {
    const k = this.k;
    const h = this.forms.latex.hess;
    if (k === 1) return [aligned(this.lines("H(r; y)", this.hess[0], h[0], "."))];
    const rows = Array.from({ length: k }, (_, a) => h.slice(a * k, (a + 1) * k));
    if (k * Math.max(...h.map(visible)) <= ENTRY)
      return [display(`H(r; y) = \\nabla_r^2 L(r; y) = ${pmatrix(rows)}.`)];
    const symRows = rows.map((r, a) => r.map((_, b) => `H_{${pair(a + 1, b + 1)}}`));
    const lines: string[] = [];
    for (let a = 0; a < k; a++)
      for (let b = a; b < k; b++) {
        const last = a === k - 1 && b === k - 1;
        lines.push(
          ...this.lines(`H_{${pair(a + 1, b + 1)}}`, this.hess[a * k + b], h[a * k + b], last ? "." : ","),
        );
      }
    const note = k > 1 ? ", \\qquad H_{ba} = H_{ab}," : ",";
    return [display(`H(r; y) = \\nabla_r^2 L(r; y) = ${pmatrix(symRows)}${note}`), aligned(lines)];
  }

  /** Aligned lines l_a(w; y) = ... : the model's gradient with each r_a replaced by w_a. */
  gradientAtW(): string[] {
    const names = this.forms.rNames;
    const w = names.length === 1 ? ["w"] : names.map((_, a) => `w${a + 1}`);
    return this.grad.flatMap((e, a) => {
      const lhs = `\\ell_{${a + 1}}(w; y)`;
      const end = a === this.k - 1 ? "." : ",";
      // The symbolic stage replaces a formula too long to typeset by a \text{...} note: keep it short here too.
      if (this.forms.latex.grad[a].startsWith("\\text{"))
        return [`${lhs} &= \\ell_{${a + 1}}(r; y)\\big|_{r = w}${end}`];
      const at = names.reduce((x, r, i) => substitute(x, r, sym(w[i])), e);
      return this.lines(lhs, at, toLatex(at), end);
    });
  }
}
