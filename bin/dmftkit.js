#!/usr/bin/env node
// Entry point of the dmftkit CLI: runs the compiled TypeScript in dist/ (built by `npm ci` via `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/index.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("dmftkit: dist/ is missing; run `npm run build` (npm ci does it) first\n");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
