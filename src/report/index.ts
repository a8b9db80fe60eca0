// writeReport(): the output directory of `dmftkit validate` — index.html (self-contained), equations.tex,
// results.json (everything plotted, plus the verdict tables), one wide CSV per observable and tidy.csv
// (every run in long form: run, observable, t, value, se).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ObservableName } from "../types.js";
import type { Verdict } from "../validate/index.js";
import { equations } from "./equations.js";
import { renderPage } from "./html.js";
import { observablesOf, points, seriesOf } from "./series.js";

export interface ReportOptions {
  /** The command line, shown in the metadata. */
  command?: string;
}

/** Versions of dmftkit, Node and the libraries that shape the numbers and the page. */
export function versions(): Record<string, string> {
  const out: Record<string, string> = { dmftkit: "unknown", node: process.versions.node };
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
      dependencies: Record<string, string>;
    };
    out.dmftkit = pkg.version;
    for (const name of ["mathjs", "katex", "@observablehq/plot", "linkedom"])
      out[name] = pkg.dependencies[name];
  } catch {
    // package.json not found next to the sources (unusual install): versions stay "unknown".
  }
  return out;
}

/** A CSV cell: empty when there is no such row; NaN, Infinity and -Infinity are written out, never dropped. */
function csvNumber(x: number | undefined): string {
  return x === undefined ? "" : String(x);
}

/** One tidy long CSV of every run: run, observable, t, value, se (one line per recorded point). */
export function tidyCsv(v: Verdict): string {
  const lines = ["run,observable,t,value,se"];
  for (const s of seriesOf(v)) {
    for (const name of observablesOf(v)) {
      for (const p of points(v.runs[s.key], name))
        lines.push([s.key, name, csvNumber(p.t), csvNumber(p.value), csvNumber(p.se)].join(","));
    }
  }
  return `${lines.join("\n")}\n`;
}

/** JSON cannot hold NaN or ±Infinity (JSON.stringify writes null): they are written as the strings "NaN", "Infinity". */
function nonFiniteAsText(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

/** Wide CSV of one observable: per series its time column, value and standard error. Row k = record k. */
export function observableCsv(v: Verdict, name: ObservableName): string {
  const cols = seriesOf(v)
    .map((s) => ({ key: s.key, pts: points(v.runs[s.key], name) }))
    .filter((c) => c.pts.length > 0);
  const header = cols.flatMap((c) => [`t_${c.key}`, c.key, `${c.key}_se`]);
  const rows = Math.max(...cols.map((c) => c.pts.length));
  const lines = [header.join(",")];
  for (let k = 0; k < rows; k++) {
    lines.push(
      cols
        .flatMap((c) => [csvNumber(c.pts[k]?.t), csvNumber(c.pts[k]?.value), csvNumber(c.pts[k]?.se)])
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Everything plotted and decided, as plain JSON. */
export function resultsJson(v: Verdict, vers: Record<string, string>): unknown {
  const runs: Record<string, unknown> = {};
  for (const s of seriesOf(v)) {
    const run = v.runs[s.key]!;
    const C = run.kernels?.C_theta;
    runs[s.key] = {
      label: s.label,
      t: run.t,
      observables: run.observables,
      stderr: run.stderr,
      ...(C ? { kernels: { C_theta: C } } : {}),
      meta: run.meta,
    };
  }
  const { derived: _derived, runs: _runs, ...rest } = v;
  return { ...rest, runs, versions: vers };
}

/** Writes the report into `dir` (created if needed); returns the file names written. */
export function writeReport(v: Verdict, dir: string, opts: ReportOptions = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const vers = versions();
  const csvs = observablesOf(v).map((name) => ({ file: `${name}.csv`, text: observableCsv(v, name) }));
  const files = ["index.html", "equations.tex", "results.json", "tidy.csv", ...csvs.map((c) => c.file)];
  const eq = equations(v.derived);
  writeFileSync(join(dir, "equations.tex"), eq.tex);
  writeFileSync(join(dir, "results.json"), `${JSON.stringify(resultsJson(v, vers), nonFiniteAsText, 1)}\n`);
  writeFileSync(join(dir, "tidy.csv"), tidyCsv(v));
  for (const c of csvs) writeFileSync(join(dir, c.file), c.text);
  const html = renderPage(v, {
    versions: vers,
    command: opts.command,
    equations: eq.html,
    files: files.slice(1),
  });
  writeFileSync(join(dir, "index.html"), html);
  return files;
}
