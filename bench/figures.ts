// Shared helpers of the documentation figure scripts (bench/*-figure.ts, not benchmarks): standalone SVG
// files drawn with the report's own renderer (src/report/plots.ts), a legend made of text marks (the
// report's HTML swatch legends do not fit in a plain .svg file), and markdown table cells.
import { writeFileSync } from "node:fs";
import * as Plot from "@observablehq/plot";
import { render } from "../src/report/plots.js";

/** One text mark per legend entry, stacked in a corner of the panel. */
export function legendMarks(
  items: Array<{ label: string; color: string }>,
  corner: "top-left" | "bottom-right" = "bottom-right",
): Plot.Markish[] {
  const top = corner === "top-left";
  return items.map((it, i) =>
    Plot.text([it.label], {
      frameAnchor: corner,
      dx: top ? 8 : -8,
      dy: top ? 8 + 15 * i : -8 - 15 * (items.length - 1 - i),
      fill: it.color,
      fontWeight: "bold",
      text: (d: string) => d,
    }),
  );
}

/**
 * Renders a plot and writes it as a standalone SVG file with a <title> (accessibility; the repository's lint
 * checks .svg files too) and without Plot's duplicate `height: intrinsic` CSS fallback.
 */
export function writeSvg(path: string, title: string, options: Plot.PlotOptions): void {
  let svg = render({ ...options, style: { fontSize: "12px", background: "white" } });
  if (!svg.includes('xmlns="http://www.w3.org/2000/svg"'))
    svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"');
  svg = svg.replace(/(<svg[^>]*>)/, `$1<title>${title}</title>`).replace(/\s*height: intrinsic;/, "");
  writeFileSync(path, `${svg}\n`);
}

/** "0.1234 ± 0.0012" */
export function pm(v: number, se: number, digits = 4): string {
  return `${v.toFixed(digits)} ± ${se.toFixed(digits)}`;
}
