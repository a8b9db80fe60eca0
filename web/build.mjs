// Builds the playground's static site (default dist-web/): web/main.ts (page), web/worker.ts (solver
// Web Worker) and src/platform/web-tasks.ts (its task Web Workers) bundled by esbuild with KaTeX's CSS and fonts, the shipped models as presets, and every
// `node:*` import of the shared pipeline resolved to src/platform/browser.ts (the platform seam).
// Usage: node web/build.mjs [outdir]. Run by `npm run build`.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = resolve(process.argv[2] ?? join(root, "dist-web"));

/** The Node built-ins the shared code imports, with their browser implementations (one module). */
const platform = {
  name: "platform-browser",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, () => ({ path: join(root, "src/platform/browser.ts") }));
  },
};

const presets = {};
for (const f of readdirSync(join(root, "models")).sort())
  if (f.endsWith(".yaml")) presets[f] = readFileSync(join(root, "models", f), "utf8");

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "linked",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
};
await esbuild.build({
  ...common,
  entryPoints: { main: "web/main.ts", worker: "web/worker.ts" },
  loader: { ".woff2": "file", ".woff": "file", ".ttf": "file" },
  assetNames: "fonts/[name]-[hash]",
  define: { ...common.define, __PRESETS__: JSON.stringify(presets) },
  plugins: [platform],
});
/**
 * The task workers run generated model code, kernels and quadratures only: mathjs and KaTeX (parsing and
 * typesetting, pulled in by module imports they never call) are left out, so each worker loads ~0.1 MB
 * instead of ~1 MB. A call into them would fail loudly ("... is not a function"), never silently.
 */
const notInTasks = {
  name: "not-in-tasks",
  setup(build) {
    build.onResolve({ filter: /^(katex|mathjs\/lib\/browser\/math\.js)$/ }, () => ({
      path: "unused",
      namespace: "not-in-tasks",
    }));
    build.onLoad({ filter: /.*/, namespace: "not-in-tasks" }, () => ({ contents: "export default {};" }));
  },
};
await esbuild.build({
  ...common,
  entryPoints: { tasks: "src/platform/web-tasks.ts" },
  plugins: [platform, notInTasks],
});
copyFileSync(join(root, "web/index.html"), join(outdir, "index.html"));
