// The playground in Debian's chromium, served by `dmftkit playground` (a child process) from a fresh web
// build: a model given through the URL hash is solved in the page's Web Worker; its JSON download equals
// `dmftkit solve` at the same seed and samples (to rounding, see `differences`) and its .tex download the
// document of `dmftkit derive --latex`; moving a parameter slider re-solves and changes the curve; a broken
// expression shows the CLI's message at its line and column; no console error, no request outside
// 127.0.0.1. The Monte-Carlo groups run on 2 task Web Workers with the JSON of an in-process solve. Also: a Content-Security-Policy without 'unsafe-eval' gets a clear message, not a blank page.
// Skipped only when /usr/bin/chromium is absent.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/index.js";
import { parseModel } from "../src/model/load.js";
import { derive } from "../src/symbolic/index.js";
import { fromBase64Url, toBase64Url } from "../web/state.js";
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from "./helpers/shared.js";

if (!HAVE_CHROMIUM)
  console.warn(`playground-browser: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium)`);

const LOGISTIC = readFileSync("models/logistic-regression.yaml", "utf8");
const SEED = 3;
const SAMPLES = 3000;

/** The JSON `dmftkit solve` writes for these arguments. */
async function cliSolve(args: string[]): Promise<unknown> {
  const out = join(mkdtempSync(join(tmpdir(), "dmftkit-pg-")), "dmft.json");
  expect(await main(["solve", ...args, "--quiet", "--out", out])).toBe(0);
  return JSON.parse(readFileSync(out, "utf8"));
}

/**
 * Differences between the page's JSON and the CLI's: every key and string the same, every number within
 * 1e-12 relative. Not bit-identical: Chromium's V8 rounds Math.exp, log, pow, sin, cos in the last bit
 * differently from Node 20's V8 for a few % of arguments (measured), so sums differ by a few ulps
 * (max 5e-15 relative measured). Skipped: meta.timings, and meta.memoryBytes (peak memory of the
 * concurrently running groups: the page runs one thread, the CLI one per core).
 */
function differences(a: unknown, b: unknown, path = ""): string[] {
  if (path === ".meta.timings" || path === ".meta.memoryBytes") return [];
  if (typeof a === "number" && typeof b === "number")
    return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)) ? [] : [`${path}: ${a} vs ${b}`];
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object")
    return a === b ? [] : [`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((k) =>
    differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
  );
}

async function waitSolved(page: Page): Promise<void> {
  await page.waitForSelector('body[data-phase="done"], body[data-phase="error"]', { timeout: 90_000 });
  expect(await page.textContent("#pg-error")).toBe("");
  expect(await page.getAttribute("body", "data-phase")).toBe("done");
}

async function downloadText(page: Page, what: "json" | "tex"): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId(`download-${what}`).click(),
  ]);
  return readFileSync((await download.path())!, "utf8");
}

describe.skipIf(!HAVE_CHROMIUM)("playground in chromium", () => {
  let server: ChildProcess;
  let url = "";
  let browser: Browser;

  beforeAll(async () => {
    // `npm run build` writes the site; rebuild it here so the test never sees a stale one (~3 s).
    const build = spawnSync(process.execPath, ["web/build.mjs"], { encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const script = `const { main } = await import("./src/cli/index.ts"); process.exitCode = await main(["playground", "--port", "0"]);`;
    server = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    url = await new Promise<string>((resolve, reject) => {
      let text = "";
      server.stdout!.on("data", (b: Buffer) => {
        text += b;
        const hit = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
        if (hit) resolve(hit[0]);
      });
      server.once("exit", (code) => reject(new Error(`dmftkit playground exited (${code}): ${text}`)));
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("solves a model from the hash like the CLI, re-solves on a slider, shows inline errors, offline", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith(url) && !/^(data|blob):/.test(r.url())) problems.push(`request: ${r.url()}`);
    });

    // 1. The model through the hash; the download stays disabled until the solve is done.
    await page.goto(`${url}#model=${toBase64Url(LOGISTIC)}&seed=${SEED}&samples=${SAMPLES}&run=1`);
    expect(await page.getByTestId("download-json").isDisabled()).toBe(true);
    await waitSolved(page);
    expect(await page.locator(".katex-error").count()).toBe(0);
    expect(await page.locator("#pg-equations .katex").count()).toBeGreaterThan(10);
    const names = await page
      .locator("#pg-plots figure")
      .evaluateAll((fs) => fs.map((f) => f.getAttribute("data-plot")));
    expect(names).toEqual(["train_loss", "test_loss", "test_error", "q", "m"]);
    // The .tex download is the document of `dmftkit derive --latex`.
    const texFile = join(mkdtempSync(join(tmpdir(), "dmftkit-pg-")), "eq.tex");
    expect(await main(["derive", "models/logistic-regression.yaml", "--latex", texFile, "--quiet"])).toBe(0);
    expect(await downloadText(page, "tex")).toBe(readFileSync(texFile, "utf8"));
    const page1 = JSON.parse(await downloadText(page, "json"));
    const cli1 = await cliSolve([
      "models/logistic-regression.yaml",
      "--seed",
      `${SEED}`,
      "--samples",
      `${SAMPLES}`,
    ]);
    expect(differences(page1, cli1)).toEqual([]);
    expect(await page.textContent("#pg-cli")).toBe(
      `npx dmftkit solve models/logistic-regression.yaml --seed ${SEED} --samples ${SAMPLES} --out dmft.json`,
    );

    // 2. A slider: the YAML, the hash and the CLI command follow, and the curve changes.
    const before = await page.locator('figure[data-plot="test_loss"] svg').innerHTML();
    await page.getByTestId("param-delta").evaluate((el: HTMLInputElement) => {
      delete document.body.dataset.phase;
      el.value = "4";
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await waitSolved(page);
    expect(await page.locator('figure[data-plot="test_loss"] svg').innerHTML()).not.toBe(before);
    const hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    expect(fromBase64Url(hash.get("model")!)).toContain("parameters: { delta: 4, tau: 1,");
    expect(hash.get("run")).toBe("1");
    expect(await page.textContent("#pg-cli")).toContain(
      "models/logistic-regression.yaml --set delta=4 --seed",
    );
    const page2 = JSON.parse(await downloadText(page, "json"));
    const cli2 = await cliSolve([
      "models/logistic-regression.yaml",
      "--set",
      "delta=4",
      "--seed",
      `${SEED}`,
      "--samples",
      `${SAMPLES}`,
    ]);
    expect(differences(page2, cli2)).toEqual([]);
    expect(differences(page2, cli1).length).toBeGreaterThan(0);

    // 3. A broken expression: the CLI's message, at its line and column, and the line marked in the gutter.
    const broken = LOGISTIC.replace("log(1 + exp(-y * yhat))", "log(1 + exq(-y * yhat))");
    await page.getByTestId("yaml").fill(broken);
    const error = page.getByTestId("model-error");
    await error.waitFor({ state: "visible", timeout: 60_000 });
    let expected = "";
    try {
      derive(parseModel(broken, "model.yaml"));
    } catch (err) {
      expected = (err as Error).message;
    }
    expect(expected).toContain("unknown function 'exq'");
    const line = broken.split("\n").findIndex((l) => l.startsWith("loss:")) + 1;
    const column = broken.split("\n")[line - 1].indexOf("exq") + 1;
    expect(await error.textContent()).toBe(`line ${line}, column ${column}: ${expected}`);
    expect(await page.locator("#pg-gutter .bad").textContent()).toBe(String(line));
    await error.click();
    const caret = await page.getByTestId("yaml").evaluate((el: HTMLTextAreaElement) => el.selectionStart);
    expect(broken.slice(caret, caret + 3)).toBe("exq");
    expect(await page.getAttribute("body", "data-phase")).toBe("error");

    expect(problems).toEqual([]);
    await page.close();
  });

  it("runs the Monte-Carlo groups and simulation seeds on 2 Web Workers, as in-process", async () => {
    const solved = async (cores?: number) => {
      const page = await browser.newPage();
      // The page tells its solver worker how many cores it has (Job.cores); 1 means in-process.
      if (cores !== undefined)
        await page.addInitScript(
          (n) => Object.defineProperty(navigator, "hardwareConcurrency", { get: () => n }),
          cores,
        );
      await page.goto(`${url}#model=${toBase64Url(LOGISTIC)}&seed=${SEED}&samples=${SAMPLES}&sim=1&run=1`);
      await waitSolved(page);
      const workers = await page.getAttribute("body", "data-workers");
      const json = JSON.parse(await downloadText(page, "json"));
      // The plots show the simulation too (its seeds ran on the same executor).
      const plots = await page.locator("#pg-plots").innerHTML();
      await page.close();
      // Wall-clock timings differ, and the peak memory counts the groups running at once.
      delete json.meta.timings;
      delete json.meta.memoryBytes;
      return { workers, json, plots };
    };
    const parallel = await solved(2);
    const here = await solved(1);
    expect(parallel.workers).toBe("2");
    expect(here.workers).toBe("1");
    expect(parallel.json).toEqual(here.json);
    expect(parallel.plots).toContain(`aria-label="dot"`); // the simulation points
    expect(parallel.plots).toBe(here.plots);
  });

  it("says clearly why it cannot solve under a Content-Security-Policy without 'unsafe-eval'", async () => {
    const page = await browser.newPage();
    await page.route("**/*", async (route) => {
      const response = await route.fetch();
      const headers = {
        ...response.headers(),
        "content-security-policy": "script-src 'self'; worker-src 'self'",
      };
      await route.fulfill({ response, headers });
    });
    await page.goto(`${url}#model=${toBase64Url(LOGISTIC)}&seed=1&samples=${SAMPLES}&run=1`);
    await page.waitForSelector('body[data-phase="error"]', { timeout: 60_000 });
    expect(await page.getByTestId("model-error").textContent()).toContain(
      "Content-Security-Policy forbids compiling code ('unsafe-eval' is not allowed)",
    );
    await page.close();
  });
});
