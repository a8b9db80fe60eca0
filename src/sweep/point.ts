// One point of a sweep: exactly `dmftkit solve MODEL --set ... [options]` as plain data (model text, the
// parameter values, the solve options with the seed), its content key, and the solve itself.
import { createHash } from "node:crypto";
import type { CliSolveOptions } from "../cli/solve.js";
import type { Result } from "../types.js";
import { tidyTimes } from "../util/time.js";

/** Everything a point's solve depends on; plain JSON (sent to worker threads and through Redis). */
export interface PointSpec {
  /** The model file's text and its path as given (error messages, Result.meta.source). */
  model: { text: string; source: string };
  /** --set values and this point's grid values, as `--set` overrides. */
  sets: Record<string, number | string>;
  /** The solve options, seed included; no thread count (results do not depend on it). */
  options: Omit<CliSolveOptions, "threads" | "onProgress">;
}

/** JSON with object keys sorted at every level (undefined members dropped), for hashing. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of (dmftkit version, model text, parameter values, solve options with seed), hex, 32 chars. */
export function pointKey(spec: PointSpec, version: string): string {
  const { model, sets, options } = spec;
  const text = canonical({ version, model: model.text, sets, options });
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/** Solves the point as `dmftkit solve` does (same derivation, solver choice and seed streams). */
export async function solvePoint(spec: PointSpec, threads: number): Promise<Result> {
  const [{ parseModel }, { derive }, { solve }] = await Promise.all([
    import("../model/load.js"),
    import("../symbolic/index.js"),
    import("../solvers/index.js"),
  ]);
  const derived = derive(parseModel(spec.model.text, spec.model.source, spec.sets));
  const result = tidyTimes(await solve(derived, { ...spec.options, threads }));
  // What `solve --out` writes is the JSON text of the result (times without float noise): same object after
  // a round trip (NaN -> null).
  return JSON.parse(JSON.stringify(result)) as Result;
}
