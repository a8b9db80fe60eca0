// renderHtml: a DmftSystem as a self-contained HTML page (KaTeX HTML output, CSS and fonts inlined: no
// network), with the same sections and displays as the .tex document.

import { inline } from "../dmft/blocks.js";
import type { Block, DmftSystem, Inline } from "../dmft/index.js";
import { katexCss, renderMath } from "./katex.js";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function inlineHtml(parts: Inline[]): string {
  return parts
    .map((x) =>
      typeof x === "string" ? escapeHtml(x) : "math" in x ? renderMath(x.math, false) : escapeHtml(x.user),
    )
    .join("");
}

function blockHtml(b: Block): string {
  switch (b.kind) {
    case "p":
      return `<p>${inlineHtml(b.content)}</p>`;
    case "display":
      return `<div class="display">${renderMath(b.tex, true)}</div>`;
    case "table": {
      const head = b.head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
      const rows = b.rows.map((r) => `<tr>${r.map((c) => `<td>${inlineHtml(c)}</td>`).join("")}</tr>`);
      return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
    }
  }
}

const STYLE = `
body { font: 16px/1.5 Georgia, "Times New Roman", serif; color: #222; margin: 0; }
main { max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; } h3 { font-size: 1.1rem; }
.display { overflow-x: auto; overflow-y: hidden; margin: 0.8rem 0; }
table { border-collapse: collapse; margin: 0.8rem auto; }
th, td { border-top: 1px solid #bbb; border-bottom: 1px solid #bbb; padding: 0.25rem 0.7rem; text-align: left; }
`;

/** The page's sections (headings and blocks, no title): the body of renderHtml, also shown by the playground. */
export function renderSections(system: DmftSystem): string[] {
  const body: string[] = [];
  for (const s of system.sections) {
    const tag = s.level === 1 ? "h2" : "h3";
    body.push(`<${tag} id="${escapeHtml(s.id)}">${inlineHtml(inline(s.title))}</${tag}>`);
    for (const b of s.blocks) body.push(blockHtml(b));
  }
  return body;
}

export function renderHtml(system: DmftSystem): string {
  const title = `DMFT of stochastic gradient flow: ${system.model.name}`;
  const body = [`<h1>${escapeHtml(title)}</h1>`, ...renderSections(system)];
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${katexCss()}</style>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body><main>",
    ...body,
    "</main></body>",
    "</html>",
    "",
  ].join("\n");
}
