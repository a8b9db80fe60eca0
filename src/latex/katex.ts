// KaTeX rendering shared by the derivation page and the report (issue 6): `renderMath` (KaTeX's default
// HTML+MathML output, errors thrown) and `katexCss` (katex.min.css with its woff2 fonts inlined as data:
// URLs, so pages need no network).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import katex from "katex";

const require = createRequire(import.meta.url);
let cssCache: string | undefined;

/** Renders TeX with KaTeX; throws (katex.ParseError) on invalid input or non-LaTeX-compatible input. */
export function renderMath(tex: string, display: boolean): string {
  return katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "error" });
}

/** katex.min.css with every font as an inlined woff2 data: URL (woff/ttf fallbacks dropped). */
export function katexCss(): string {
  if (cssCache !== undefined) return cssCache;
  const dist = dirname(require.resolve("katex/dist/katex.min.css"));
  const css = readFileSync(join(dist, "katex.min.css"), "utf8");
  cssCache = css.replace(
    /url\((fonts\/[^)]+\.woff2)\)\s*format\("woff2"\)(,[^;}]*)?/g,
    (_m, file: string) => {
      const data = readFileSync(join(dist, file)).toString("base64");
      return `url(data:font/woff2;base64,${data}) format("woff2")`;
    },
  );
  return cssCache;
}
