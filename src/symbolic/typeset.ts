// LaTeX of derived expressions for display, checked to parse with KaTeX (a failure is an internal bug).
// Kept apart from latex.ts so that importing the printer does not load KaTeX (CLI start-up time).
import katex from "katex";
import { type Expr, toText } from "./ast.js";
import { toLatex } from "./latex.js";

const MAX_LATEX = 10_000;

/** LaTeX of `e` (a note when it is too long to typeset usefully), checked as `lhs = ...` with KaTeX. */
export function typeset(lhs: string, e: Expr | undefined, what: string): string {
  let tex = e ? toLatex(e) : "\\text{unsupported}";
  // Typesetting a page-long formula helps nobody and costs seconds of KaTeX time.
  if (e && tex.length > MAX_LATEX) tex = `\\text{(too long to typeset: ${toText(e).length} characters)}`;
  checkLatex(`${lhs} = ${tex}`, what);
  return tex;
}

export function checkLatex(tex: string, what: string): void {
  try {
    katex.renderToString(tex, { throwOnError: true });
  } catch (err) {
    throw new Error(`internal: LaTeX of ${what} does not parse with KaTeX: ${(err as Error).message}`);
  }
}
