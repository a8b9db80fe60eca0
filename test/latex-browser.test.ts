// Opens the derivation HTML of every shipped model and of a hand-built vector model in headless Debian Chromium
// (playwright-core) and checks that KaTeX rendered (no .katex-error, many .katex), that the KaTeX fonts load
// from the inlined data: URLs, and that the page makes no network request. Skipped, with a message, only when
// /usr/bin/chromium is absent.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDmftSystem } from "../src/dmft/index.js";
import { renderHtml } from "../src/latex/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import { COMMITTEE_LOGISTIC, vectorDerived } from "./fixtures/vector-derived.js";
import { CHROMIUM, HAVE_CHROMIUM, launchChromium, SHIPPED_MODELS } from "./helpers/shared.js";

const MODELS = SHIPPED_MODELS;
const FIXTURE = COMMITTEE_LOGISTIC.name;
const HAVE = HAVE_CHROMIUM;
if (!HAVE)
  console.warn(`latex-browser.test: SKIPPED — ${CHROMIUM} not found (install Debian's chromium package)`);

describe.skipIf(!HAVE)(`derivation HTML in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), "dmftkit-browser-"));

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  // Plus a hand-built vector model (K = 3, sign labels, gradient and Hessian listed entry by entry).
  it.each([...MODELS, FIXTURE])(
    "%s: KaTeX rendered, fonts loaded from data: URLs, no network",
    async (m) => {
      const file = join(dir, `${m}.html`);
      const derived = m === FIXTURE ? vectorDerived(COMMITTEE_LOGISTIC) : loadDerived(`models/${m}.yaml`);
      writeFileSync(file, renderHtml(buildDmftSystem(derived)));
      const page = await browser.newPage();
      const external: string[] = [];
      page.on("request", (r) => {
        if (!/^(file|data):/.test(r.url())) external.push(r.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const res = await page.evaluate(async () => {
        await document.fonts.ready;
        const loaded = Array.from(document.fonts as unknown as Iterable<FontFace>)
          .filter((f) => f.status === "loaded")
          .map((f) => f.family);
        return {
          errors: document.querySelectorAll(".katex-error").length,
          katex: document.querySelectorAll(".katex").length,
          display: document.querySelectorAll(".katex-display").length,
          loaded,
        };
      });
      await page.close();
      expect(res.errors).toBe(0);
      expect(res.katex).toBeGreaterThan(100);
      expect(res.display).toBeGreaterThan(20);
      expect(res.loaded.map((f) => f.replaceAll('"', ""))).toContain("KaTeX_Main");
      expect(external).toEqual([]);
    },
    60_000,
  );
});
