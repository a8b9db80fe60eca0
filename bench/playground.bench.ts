// Time to first curve in the browser playground vs the CLI, for the exact solver (linear regression) and
// the Monte-Carlo DMFT at M = 4000 (logistic regression, seed 1), measured in this one script:
//   browser cold: page load -> first curve / final JSON (page clock, includes loading the 1.9 MB worker
//                 bundle, deriving, the solve (2 task Web Workers on a 2-core machine), SVG plots); warm: "Solve" again in the same page;
//   CLI cold: `node bin/dmftkit.js solve ...` wall time (process start to JSON written), default threads
//             (one per core) and --threads 1; warm: derive + solve again in this process, one thread.
// Needs /usr/bin/chromium and dist/ + dist-web/ (`npm run build`, done by `npm run bench`).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { servePlayground } from "../src/cli/playground.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from "../test/helpers/shared.js";
import { toBase64Url } from "../web/state.js";

if (!HAVE_CHROMIUM || !existsSync("dist-web/index.html") || !existsSync("dist/cli/index.js")) {
  console.log(`playground bench: SKIPPED (needs ${CHROMIUM} and \`npm run build\`)`);
  process.exit(0);
}

const CASES = [
  { label: "exact (linear-regression)", model: "linear-regression", samples: 4000 },
  { label: "Monte-Carlo M = 4000 (logistic-regression)", model: "logistic-regression", samples: 4000 },
];
const REPS = 2;
const best = (xs: number[]) => Math.min(...xs);

async function pageTimes(page: Page): Promise<{ first: number; solved: number }> {
  await page.waitForSelector('body[data-phase="done"], body[data-phase="error"]', { timeout: 300_000 });
  const d = await page.evaluate(() => ({ ...document.body.dataset }));
  if (d.phase !== "done")
    throw new Error(`playground bench: the page failed: ${await page.textContent("#pg-error")}`);
  const at = (k: string) => Number(d[k]);
  return { first: at("firstCurveAt") - at("runAt"), solved: at("solvedAt") - at("runAt") };
}

function cliSeconds(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [
    "bin/dmftkit.js",
    "solve",
    ...args,
    "--quiet",
    "--out",
    "/dev/null",
  ]);
  if (r.status !== 0) throw new Error(`dmftkit solve failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const { server, url } = await servePlayground("dist-web", 0);
const browser = await launchChromium();
const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
try {
  for (const c of CASES) {
    const cold: Array<{ first: number; solved: number }> = [];
    const warm: typeof cold = [];
    for (let rep = 0; rep < REPS; rep++) {
      const page = await browser.newPage();
      const yaml = readFileSync(`models/${c.model}.yaml`, "utf8");
      await page.goto(`${url}#model=${toBase64Url(yaml)}&seed=1&samples=${c.samples}&run=1`);
      // Cold: from navigation start (runAt is measured from it too, so add it back).
      const t = await pageTimes(page);
      const runAt = Number(await page.getAttribute("body", "data-run-at"));
      cold.push({ first: t.first + runAt, solved: t.solved + runAt });
      await page.evaluate(() => {
        delete document.body.dataset.phase;
      });
      await page.click("#pg-run");
      warm.push(await pageTimes(page));
      await page.close();
    }
    const args = [`models/${c.model}.yaml`, "--seed", "1", "--samples", String(c.samples)];
    const cli2 = best(Array.from({ length: REPS }, () => cliSeconds(args)));
    const cli1 = best(Array.from({ length: REPS }, () => cliSeconds([...args, "--threads", "1"])));
    // Warm CLI: derive from the file and solve again in this process (modules, JIT and WebAssembly warm).
    const opts = { dynamics: "sgf" as const, seed: 1, samples: c.samples, threads: 1 };
    await solve(loadDerived(`models/${c.model}.yaml`), opts);
    const t0 = performance.now();
    await solve(loadDerived(`models/${c.model}.yaml`), opts);
    const cliWarm = performance.now() - t0;
    const bc = { first: best(cold.map((x) => x.first)), solved: best(cold.map((x) => x.solved)) };
    const bw = { first: best(warm.map((x) => x.first)), solved: best(warm.map((x) => x.solved)) };
    console.log(`\n${c.label}:`);
    console.log(
      `  browser cold (page load -> curve): first curve ${f(bc.first)}, final ${f(bc.solved)}; ` +
        `CLI process ${f(1000 * cli2)} (default threads), ${f(1000 * cli1)} (1 thread); ` +
        `ratio browser final / CLI 1 thread ${(bc.solved / (1000 * cli1)).toFixed(2)}`,
    );
    console.log(
      `  warm (same page; same process, 1 thread): browser first curve ${f(bw.first)}, final ${f(bw.solved)}; ` +
        `CLI derive + solve ${f(cliWarm)}; ratio ${(bw.solved / cliWarm).toFixed(2)}`,
    );
  }
} finally {
  await browser.close();
  server.close();
}
