// The latex stage: DmftSystem -> standalone .tex document and self-contained KaTeX HTML page; plus
// writeDerivationDocs, the one call behind `dmftkit derive --latex FILE --html FILE`.
import { writeFileSync } from "node:fs";
import { buildDmftSystem } from "../dmft/index.js";
import type { Derived } from "../types.js";
import { RunError } from "../util/errors.js";
import { renderHtml } from "./html.js";
import { renderTex } from "./tex.js";

export { renderHtml } from "./html.js";
export { katexCss, renderMath } from "./katex.js";
export { renderTex } from "./tex.js";

function writeOut(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new RunError(`cannot write '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** Builds the model's DMFT system and writes it as LaTeX and/or HTML. */
export function writeDerivationDocs(derived: Derived, out: { latex?: string; html?: string }): void {
  if (out.latex === undefined && out.html === undefined) return;
  const system = buildDmftSystem(derived);
  if (out.latex !== undefined) writeOut(out.latex, renderTex(system));
  if (out.html !== undefined) writeOut(out.html, renderHtml(system));
}
