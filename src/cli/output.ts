// Output paths are checked before any work (issue 19): a subcommand that computes for minutes must not
// find out at the end that it cannot write. checkOutput creates the missing directories one level at a
// time (Node's recursive mkdir loops forever on some paths, e.g. under /proc) and probes writability by
// creating a file; any problem is a UsageError (exit 2) naming the path.
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../util/errors.js";

function statOf(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new UsageError(`--out '${path}': cannot inspect (${code ?? err})`);
  }
}

/** Makes `dir` exist (creating missing parents one level at a time); UsageError when that is impossible. */
function ensureDir(dir: string, what: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (let s = statOf(p); s === undefined; s = statOf(p)) {
    missing.push(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  const existing = statOf(p);
  if (existing && !existing.isDirectory())
    throw new UsageError(`--out '${what}': '${p}' exists and is not a directory`);
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (err) {
      throw new UsageError(
        `--out '${what}': cannot create directory '${m}' (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
    }
  }
}

/** Creates and removes a file at `path` to prove it can be written. */
function probe(path: string, what: string, keep: boolean): void {
  try {
    closeSync(openSync(path, "a"));
    if (!keep) unlinkSync(path);
  } catch (err) {
    throw new UsageError(
      `--out '${what}': cannot write there (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
}

/**
 * Checks an output path before any work: `kind` "dir" (validate's report directory: created if missing,
 * must be writable) or "file" (a JSON/LaTeX/HTML file: must not be a directory, its directory must be
 * writable). Throws UsageError (exit 2).
 */
export function checkOutput(path: string, kind: "dir" | "file"): void {
  if (path.trim() === "") throw new UsageError("--out must not be empty");
  if (kind === "dir") {
    ensureDir(path, path);
    probe(join(path, `.dmftkit-write-test-${process.pid}`), path, false);
    return;
  }
  const existing = statOf(path);
  if (existing?.isDirectory())
    throw new UsageError(
      `--out '${path}' is a directory; give a file name (e.g. ${join(path, "result.json")})`,
    );
  ensureDir(dirname(resolve(path)), path);
  probe(path, path, existing !== undefined);
}
