// `dmftkit --help` must not load the pipeline: the subcommands import their heavy modules (symbolic
// stage, solvers, simulators, report with Plot/linkedom/KaTeX) inside their actions. A child Node with a
// resolve hook lists every module that `main(["--help"])` loads.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const HOOK = `import { register } from "node:module";
const code = \`export async function resolve(s, c, next) {
  const r = await next(s, c);
  if (!r.url.startsWith("node:")) console.error("LOADED " + r.url);
  return r;
}\`;
register("data:text/javascript," + encodeURIComponent(code));
`;

function loadedBy(argv: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "dmftkit-startup-"));
  const hook = join(dir, "hook.mjs");
  writeFileSync(hook, HOOK);
  const cli = pathToFileURL(join(process.cwd(), "src/cli/index.ts")).href;
  const script = `const { main } = await import(${JSON.stringify(cli)}); await main(${JSON.stringify(argv)});`;
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--import", pathToFileURL(hook).href, "-e", script],
    {
      encoding: "utf8",
    },
  );
  expect(r.status).toBe(0);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("LOADED "))
    .map((l) => l.slice(7).replace(pathToFileURL(process.cwd()).href, ""));
}

const HEAVY =
  /node_modules\/(@observablehq|linkedom|mathjs|katex|yaml|ml-matrix)\/|\/src\/(simulate|solvers|report|dmft|latex|model)\/|\/src\/symbolic\/index/;

describe("CLI start-up", () => {
  it("--help and validate --help load only the CLI, commander and light helpers", () => {
    for (const argv of [["--help"], ["validate", "--help"]]) {
      const loaded = loadedBy(argv);
      expect(loaded).toContain("/src/cli/validate.ts");
      expect(loaded.filter((u) => HEAVY.test(u))).toEqual([]);
    }
  });
});
