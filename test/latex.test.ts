// LaTeX and HTML rendering of the DMFT system: golden .tex files for the logistic, linear and erf-committee models
// (regenerate on purpose with UPDATE_GOLDEN=1), a self-contained HTML page, escaping of user text, and
// writeDerivationDocs.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDmftSystem } from "../src/dmft/index.js";
import { escapeHtml } from "../src/latex/html.js";
import { katexCss, renderHtml, renderMath, renderTex, writeDerivationDocs } from "../src/latex/index.js";
import { escapeTex } from "../src/latex/tex.js";
import { parseModel } from "../src/model/load.js";
import { derive, loadDerived } from "../src/symbolic/index.js";
import { RunError } from "../src/util/errors.js";
import { COMMITTEE_LOGISTIC, vectorDerived } from "./fixtures/vector-derived.js";

describe("renderTex", () => {
  // committee-erf (K = K* = 2) pins the matrix form of issue 7; the k = 1 goldens must stay byte-identical.
  it.each(["logistic-regression", "linear-regression", "committee-erf"])(
    "%s matches test/golden/%s.tex",
    (m) => {
      const tex = renderTex(buildDmftSystem(loadDerived(`models/${m}.yaml`)));
      const golden = `test/golden/${m}.tex`;
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, tex);
      expect(
        existsSync(golden),
        `${golden} missing: run UPDATE_GOLDEN=1 npx vitest run test/latex.test.ts`,
      ).toBe(true);
      expect(tex).toBe(readFileSync(golden, "utf8"));
    },
  );

  it("is a standalone article with amsmath and amssymb and the required sections", () => {
    const tex = renderTex(buildDmftSystem(loadDerived("models/logistic-regression.yaml")));
    expect(tex).toMatch(/\\documentclass(\[[^\]]*\])?\{article\}/);
    expect(tex).toContain("\\usepackage{amsmath}");
    expect(tex).toContain("\\usepackage{amssymb}");
    expect(tex.trimEnd().endsWith("\\end{document}")).toBe(true);
    for (const title of [
      "Notation",
      "Model",
      "Derivatives",
      "Stochastic gradient flow and SGD",
      "The DMFT system",
      "Kernels",
      "Discrete-time scheme",
      "Special cases",
    ])
      expect(tex).toContain(`\\section{${title}}`);
    expect(tex).toContain("\\ell(r; y) &= -y \\operatorname{sigmoid}\\left(-y r\\right)");
  });

  it("vector model: the matrix sections, the gradient and Hessian with pmatrix, and an HTML page without errors", () => {
    const s = buildDmftSystem(vectorDerived(COMMITTEE_LOGISTIC));
    const tex = renderTex(s);
    expect(tex).toContain("\\section{The DMFT system}");
    expect(tex).toContain("\\ell(r; y) = \\nabla_r L(r; y) = \\begin{pmatrix} \\ell_{1}(r; y)");
    expect(tex).toContain("\\frac{dQ}{dt} &= ");
    expect(tex).toContain("J^{(s)}_s &= I_K");
    const html = renderHtml(s);
    expect(html).not.toContain("katex-error");
    expect((html.match(/class="katex-display"/g) ?? []).length).toBeGreaterThan(20);
  });

  it("escapes user text (name, description) in LaTeX and HTML", () => {
    const yaml = [
      "name: odd_name",
      'description: "50% & $x_1$ #1 {a} ~b^c \\\\ <tag>"',
      "loss: (yhat - y)^2 / 2",
      "label: wstar",
      "penalty: 0",
      "parameters: { delta: 2, tau: 0.5 }",
    ].join("\n");
    const s = buildDmftSystem(derive(parseModel(yaml, "mem.yaml")));
    const tex = renderTex(s);
    expect(tex).toContain(
      "odd\\_name: 50\\% \\& \\$x\\_1\\$ \\#1 \\{a\\} \\textasciitilde{}b\\textasciicircum{}c \\textbackslash{} \\textless{}tag\\textgreater{}.",
    );
    const html = renderHtml(s);
    expect(html).toContain("odd_name: 50% &#38; $x_1$ #1 {a} ~b^c \\ &#60;tag&#62;.");
    expect(html).not.toContain("<tag>");
  });

  it("escape helpers", () => {
    expect(escapeTex("a_b%c")).toBe("a\\_b\\%c");
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
  });
});

describe("renderHtml and KaTeX helpers", () => {
  const html = renderHtml(buildDmftSystem(loadDerived("models/phase-retrieval.yaml")));

  it("is self-contained: KaTeX CSS with inlined woff2 fonts, no network references", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("data:font/woff2;base64,");
    expect(html).not.toMatch(/url\((?!data:)/);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).not.toContain("katex-error");
    expect((html.match(/class="katex-display"/g) ?? []).length).toBeGreaterThan(20);
  });

  it("katexCss inlines every font face as woff2", () => {
    const css = katexCss();
    const faces = css.match(/@font-face\{[^}]*\}/g) ?? [];
    expect(faces.length).toBeGreaterThan(15);
    for (const f of faces)
      expect(f).toMatch(/src:url\(data:font\/woff2;base64,[A-Za-z0-9+/=]+\) format\("woff2"\)\}/);
  });

  it("renderMath renders inline and display math and throws on invalid TeX", () => {
    expect(renderMath("x^2", false)).toContain('class="katex"');
    expect(renderMath("x^2", true)).toContain('class="katex-display"');
    expect(() => renderMath("\\frac{1}{", true)).toThrow();
    expect(() => renderMath("\\notacommand x", false)).toThrow();
  });
});

describe("writeDerivationDocs", () => {
  const d = loadDerived("models/linear-regression.yaml");

  it("writes the .tex and the .html", () => {
    const dir = mkdtempSync(join(tmpdir(), "dmftkit-latex-"));
    writeDerivationDocs(d, { latex: join(dir, "a.tex"), html: join(dir, "a.html") });
    expect(readFileSync(join(dir, "a.tex"), "utf8")).toBe(renderTex(buildDmftSystem(d)));
    expect(readFileSync(join(dir, "a.html"), "utf8")).toContain(
      "<title>DMFT of stochastic gradient flow: linear-regression</title>",
    );
    writeDerivationDocs(d, { html: join(dir, "only.html") });
    expect(existsSync(join(dir, "only.html"))).toBe(true);
    expect(existsSync(join(dir, "only.tex"))).toBe(false);
  });

  it("throws a RunError naming the path when it cannot write", () => {
    const bad = join(tmpdir(), "dmftkit-no-such-dir", "x", "a.tex");
    expect(() => writeDerivationDocs(d, { latex: bad })).toThrow(RunError);
    expect(() => writeDerivationDocs(d, { latex: bad })).toThrow(bad);
  });
});
