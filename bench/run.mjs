// `npm run bench`: builds dist/, then runs every bench/*.bench.ts (or those named on the command line) one
// after another with tsx. Each script prints its own timings as ratios against a baseline run in the same
// script.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const dir = new URL(".", import.meta.url);
const wanted = process.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
// Benchmarks that time the shipped code import it from dist/: build it first.
const build = spawnSync("npm", ["run", "build"], { stdio: ["ignore", "ignore", "inherit"] });
if (build.status !== 0) {
  process.stderr.write("bench: npm run build failed\n");
  process.exit(1);
}
let failed = 0;
for (const f of scripts) {
  process.stdout.write(`\n### ${f}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", new URL(f, dir).pathname], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
