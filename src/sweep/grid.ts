// The grid of a sweep: `--grid NAME=v1,v2,...` or `--grid NAME=a:b:n` (n evenly spaced values from a to b),
// their Cartesian product (the last --grid varies fastest), and the `--shard i/n` slices of it.
import { UsageError } from "../util/errors.js";

/** One grid axis: a model parameter and its values, in the order given. */
export interface Axis {
  name: string;
  values: number[];
}

function finite(name: string, text: string): number {
  const v = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(v))
    throw new UsageError(`--grid ${name}: '${text}' is not a finite number`);
  return v;
}

/** Parses one `--grid` value. */
export function parseAxis(item: string): Axis {
  const eq = item.indexOf("=");
  if (eq <= 0) throw new UsageError(`--grid expects NAME=v1,v2,... or NAME=a:b:n, got '${item}'`);
  const name = item.slice(0, eq).trim();
  const text = item.slice(eq + 1).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new UsageError(`--grid: '${name}' is not a parameter name`);
  const range = text.split(":");
  if (range.length === 3) {
    const [a, b] = [finite(name, range[0]), finite(name, range[1])];
    const n = Number(range[2]);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--grid ${name}: a:b:n needs an integer n >= 1`);
    // n = 1 is the single value a. Values are rounded to 12 significant digits (0:0.5:6 gives 0.3, not
    // 0.30000000000000004), so that each is the number one would type after --set.
    return {
      name,
      values: Array.from({ length: n }, (_, i) => Number((a + ((b - a) * i) / (n - 1 || 1)).toPrecision(12))),
    };
  }
  if (range.length !== 1) throw new UsageError(`--grid ${name}: expected v1,v2,... or a:b:n, got '${text}'`);
  const values = text.split(",").map((v) => finite(name, v));
  if (new Set(values).size !== values.length) throw new UsageError(`--grid ${name}: repeated values`);
  return { name, values };
}

/** Checks that grid names are distinct and not also fixed with --set. */
export function checkAxes(axes: Axis[], sets: Record<string, number | string>): void {
  if (axes.length === 0) throw new UsageError("sweep needs at least one --grid NAME=values");
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.name)) throw new UsageError(`--grid ${a.name} is given twice`);
    if (Object.hasOwn(sets, a.name)) throw new UsageError(`${a.name} is both a --grid and a --set parameter`);
    seen.add(a.name);
  }
}

/** Every combination of the axes' values, the last axis varying fastest. */
export function gridPoints(axes: Axis[]): Array<Record<string, number>> {
  let out: Array<Record<string, number>> = [{}];
  for (const a of axes) out = out.flatMap((p) => a.values.map((v) => ({ ...p, [a.name]: v })));
  return out;
}

export interface Shard {
  /** 0-based slice index (SLURM_ARRAY_TASK_ID with --array=0-(n-1)). */
  index: number;
  count: number;
}

/** Parses `--shard i/n` with 0 <= i < n. */
export function parseShard(text: string): Shard {
  const hit = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(hit?.[1]);
  const count = Number(hit?.[2]);
  if (!hit || count < 1 || index >= count)
    throw new UsageError(`--shard expects i/n with 0 <= i < n, got '${text}'`);
  return { index, count };
}

/** Shard i of n: the points whose position in the grid is i modulo n (neighbours land on different shards). */
export function shardOf<T>(points: T[], shard: Shard): T[] {
  return points.filter((_, k) => k % shard.count === shard.index);
}
