// The point store of a sweep directory: DIR/points/<key>.json, one file per solved point, written atomically
// (temporary file, then rename), so that a crash or Ctrl-C leaves only whole points behind; writeAtomic
// does the same for the collected files (shards finishing together may both write them).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Result } from "../types.js";
import { RunError } from "../util/errors.js";

/** One solved point: its grid values, content key and the Result `dmftkit solve --out` writes. */
export interface StoredPoint {
  params: Record<string, number>;
  key: string;
  result: Result;
}

export class Store {
  readonly dir: string;
  constructor(root: string) {
    this.dir = join(root, "points");
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw new RunError(`cannot create '${this.dir}': ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }

  private file(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  has(key: string): boolean {
    return existsSync(this.file(key));
  }

  read(key: string): StoredPoint {
    return JSON.parse(readFileSync(this.file(key), "utf8")) as StoredPoint;
  }

  /** Writes the point as one JSON text (its result as `solve --out` writes it), atomically. */
  write(point: StoredPoint): void {
    writeAtomic(this.file(point.key), `${JSON.stringify(point)}\n`);
  }
}

/** Writes `text` to a temporary file next to `path`, then renames it: readers see the old or the new file. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    throw new RunError(`cannot write '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}
