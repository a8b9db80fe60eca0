// The report of a real (small) `dmftkit validate` run of the logistic model, opened in Debian's chromium:
// KaTeX renders without errors, every plot has drawn marks, the verdict table is there, nothing is fetched
// from the network. Saves a screenshot under the test's temp dir. Skipped only when /usr/bin/chromium is absent.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/index.js";
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from "./helpers/shared.js";

if (!HAVE_CHROMIUM) {
  console.warn(`report-browser: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium)`);
}

describe.skipIf(!HAVE_CHROMIUM)("report in chromium (logistic regression, validate --quick, small)", () => {
  it("renders math, plots and the verdict table, offline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dmftkit-report-browser-"));
    const out = join(dir, "report");
    const code = await main([
      "validate",
      "models/logistic-regression.yaml",
      "--quick",
      "--d",
      "200",
      "--seeds",
      "8",
      "--samples",
      "3000",
      "--T",
      "2",
      "--quiet",
      "--out",
      out,
    ]);
    // The verdict itself is tested elsewhere (test/validate.test.ts, the solver tests); here only that the
    // exit status and the page agree: 0 with PASS, 1 with FAIL (tiny sizes can fail the 4-SE rule).
    expect([0, 1]).toContain(code);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const external: string[] = [];
      page.on("request", (r) => {
        if (!/^(file|data):/.test(r.url())) external.push(r.url());
      });
      await page.goto(pathToFileURL(join(out, "index.html")).href);
      await page.evaluate(() => document.fonts.ready);
      expect(await page.locator(".katex-error").count()).toBe(0);
      expect(await page.locator(".katex").count()).toBeGreaterThan(10);

      const plots = await page.evaluate(() =>
        Array.from(document.querySelectorAll("figure.plot")).map((f) => {
          const drawn = Array.from(f.querySelectorAll("path, rect")).filter((e) => {
            const box = (e as SVGGraphicsElement).getBBox();
            const d = e.getAttribute("d");
            return box.width > 0 && box.height > 0 && (e.tagName !== "path" || (d !== null && d.length > 20));
          });
          return { id: f.getAttribute("data-plot"), drawn: drawn.length };
        }),
      );
      expect(plots.map((p) => p.id)).toEqual([
        "train_loss",
        "test_loss",
        "test_error",
        "q",
        "m",
        "residuals",
        "C_theta-dmft",
        "C_theta-sgf",
        "C_theta-diff",
      ]);
      for (const p of plots) expect(p.drawn, `plot ${p.id}`).toBeGreaterThan(0);

      const gating = page.locator('section[data-table="gating"] table.verdict-table tbody tr');
      expect(await gating.count()).toBe(5);
      expect(await gating.locator("td.verdict").count()).toBe(5);
      expect(await page.locator("#verdict").textContent()).toContain(code === 0 ? "PASS" : "FAIL");
      expect(external).toEqual([]);
      const shot = join(dir, "report.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
      console.log(`report-browser: screenshot at ${shot}`);
    } finally {
      await browser.close();
    }
  });
});
