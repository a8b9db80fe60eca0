// The model's DMFT system for the report, from the dmft and latex stages (no second copy): the .tex
// document (equations.tex) and the body of the KaTeX page, embedded in the report.
import { buildDmftSystem } from "../dmft/index.js";
import { renderHtml, renderTex } from "../latex/index.js";
import type { Derived } from "../types.js";

export interface Equations {
  tex: string;
  /** Sections of the KaTeX page (without its title, ids prefixed "eq-"), or undefined if its layout is not recognised. */
  html?: string;
}

export function equations(derived: Derived): Equations {
  const system = buildDmftSystem(derived);
  const page = renderHtml(system);
  const start = page.indexOf("<body><main>");
  const end = page.lastIndexOf("</main></body>");
  let html: string | undefined;
  if (start >= 0 && end > start) {
    html = page
      .slice(start + "<body><main>".length, end)
      .replace(/^\s*<h1>[\s\S]*?<\/h1>/, "")
      // The page's section ids (model, kernels, ...) would collide with the report's own.
      .replace(/ id="/g, ' id="eq-')
      .replace(/ href="#/g, ' href="#eq-');
  }
  return { tex: renderTex(system), html };
}
