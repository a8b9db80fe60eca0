// dmftkit sweep, local executor and shards: every point equals the plain `dmftkit solve` with the grid
// values as --set (same seed), a second run recomputes nothing, and shard slices cover the grid once.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/index.js";
import { gridPoints, parseAxis, parseShard, shardOf } from "../src/sweep/grid.js";

const MODEL = "models/logistic-regression.yaml";
const SOLVE = [MODEL, "--samples", "400", "--T", "1", "--seed", "3", "--set", "sigma=0.2", "--quiet"];
const GRID = ["--grid", "tau=0.5,1", "--grid", "lambda=0.01,0.1"];

interface Point {
  params: Record<string, number>;
  key: string;
  result: { t: number[]; meta: Record<string, unknown> };
}

/** A result without what depends on the machine: timings, and the memory of the solver threads used. */
function untimed<T extends { meta: Record<string, unknown> }>(r: T): T {
  const { timings: _t, memoryBytes: _m, ...meta } = r.meta;
  return { ...r, meta };
}

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("grid and shards", () => {
  it("parses lists and a:b:n ranges, and the Cartesian product varies the last axis fastest", () => {
    expect(parseAxis("tau=0:1:5").values).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(parseAxis("lambda=0:0.5:6").values).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(parseAxis("x=2:-1:1").values).toEqual([2]);
    expect(parseAxis("lambda=0.1, 0.2").values).toEqual([0.1, 0.2]);
    const pts = gridPoints([parseAxis("a=1,2"), parseAxis("b=3,4,5")]);
    expect(pts).toEqual([
      { a: 1, b: 3 },
      { a: 1, b: 4 },
      { a: 1, b: 5 },
      { a: 2, b: 3 },
      { a: 2, b: 4 },
      { a: 2, b: 5 },
    ]);
    for (const bad of ["tau", "tau=", "tau=1,x", "tau=0:1:0", "tau=1,1", "1x=2"])
      expect(() => parseAxis(bad)).toThrow();
  });

  it("the shards i/n of a grid are disjoint and their union is the grid", () => {
    const pts = gridPoints([parseAxis("a=0:1:7"), parseAxis("b=1,2,3")]);
    for (const n of [1, 2, 5, 21, 30]) {
      const slices = Array.from({ length: n }, (_, i) => shardOf(pts, parseShard(`${i}/${n}`)));
      const union = slices.flat();
      expect(union).toHaveLength(pts.length);
      expect(new Set(union).size).toBe(pts.length);
      expect(
        Math.max(...slices.map((s) => s.length)) - Math.min(...slices.map((s) => s.length)),
      ).toBeLessThanOrEqual(1);
    }
    for (const bad of ["2/2", "1", "-1/2", "a/b", "0/0"]) expect(() => parseShard(bad)).toThrow();
  });
});

describe("dmftkit sweep (local)", () => {
  const dir = mkdtempSync(join(tmpdir(), "dmftkit-sweep-"));
  const out = join(dir, "sweep");

  it("a 4-point sweep equals four plain solves; re-running it recomputes nothing", async () => {
    expect(await main(["sweep", ...SOLVE, ...GRID, "--out", out, "--jobs", "2"])).toBe(0);
    const sweep = readJson(join(out, "sweep.json")) as { grid: Record<string, number[]>; points: Point[] };
    expect(sweep.grid).toEqual({ tau: [0.5, 1], lambda: [0.01, 0.1] });
    expect(sweep.points.map((p) => p.params)).toEqual(
      gridPoints([parseAxis("tau=0.5,1"), parseAxis("lambda=0.01,0.1")]),
    );
    for (const p of sweep.points) {
      const file = join(dir, `plain-${p.key}.json`);
      const sets = Object.entries(p.params).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
      expect(await main(["solve", ...SOLVE, ...sets, "--out", file])).toBe(0);
      expect(untimed(p.result)).toEqual(untimed(readJson(file)));
    }
    // The tidy table: header, one row per point and recorded time.
    const csv = readFileSync(join(out, "points.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe(
      "tau,lambda,t,train_loss,train_loss_se,test_loss,test_loss_se,test_error,test_error_se,q,q_se,m,m_se",
    );
    expect(csv).toHaveLength(1 + 4 * sweep.points[0].result.t.length);
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).toContain('data-plot="phase-test_error"');
    expect(html).toContain('data-plot="curves-q"');

    const stored = readdirSync(join(out, "points")).sort();
    expect(stored).toEqual(sweep.points.map((p) => `${p.key}.json`).sort());
    const mtimes = stored.map((f) => statSync(join(out, "points", f)).mtimeMs);
    expect(await main(["sweep", ...SOLVE, ...GRID, "--out", out])).toBe(0);
    expect(readdirSync(join(out, "points")).sort()).toEqual(stored);
    expect(stored.map((f) => statSync(join(out, "points", f)).mtimeMs)).toEqual(mtimes);
    expect(readJson(join(out, "sweep.json"))).toEqual(sweep);
  });

  it("two shards fill the store; the second collects the same table as the local run", async () => {
    const sharded = join(dir, "sharded");
    expect(await main(["sweep", ...SOLVE, ...GRID, "--out", sharded, "--shard", "0/2"])).toBe(0);
    expect(readdirSync(join(sharded, "points"))).toHaveLength(2);
    expect(() => statSync(join(sharded, "sweep.json"))).toThrow();
    expect(await main(["sweep", ...SOLVE, ...GRID, "--out", sharded, "--shard", "1/2"])).toBe(0);
    const a = readJson(join(sharded, "sweep.json")) as { points: Point[] };
    const b = readJson(join(out, "sweep.json")) as { points: Point[] };
    expect(a.points.map((p) => untimed(p.result))).toEqual(b.points.map((p) => untimed(p.result)));
    expect(readFileSync(join(sharded, "points.csv"), "utf8")).toBe(
      readFileSync(join(out, "points.csv"), "utf8"),
    );
  });

  it("a sweep SIGKILLed mid-way loses no finished point; the next run solves only the rest", async () => {
    const crashed = join(dir, "crashed");
    const points = join(crashed, "points");
    const cli = pathToFileURL(join(process.cwd(), "src/cli/index.ts")).href;
    const argv = [
      "sweep",
      ...SOLVE,
      "--grid",
      "tau=0.5,1,1.5",
      "--grid",
      "lambda=0.01,0.1",
      "--out",
      crashed,
      "--jobs",
      "1",
    ];
    const script = `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(${JSON.stringify(argv)});`;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { stdio: "ignore" });
    const stored = () => (existsSync(points) ? readdirSync(points).filter((f) => f.endsWith(".json")) : []);
    while (stored().length === 0) {
      expect(child.exitCode).toBeNull();
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const before = stored();
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(6);
    const mtimes = before.map((f) => statSync(join(points, f)).mtimeMs);
    expect(await main(argv)).toBe(0);
    expect(before.map((f) => statSync(join(points, f)).mtimeMs)).toEqual(mtimes);
    expect(stored()).toHaveLength(6);
    expect((readJson(join(crashed, "sweep.json")) as { points: Point[] }).points).toHaveLength(6);
  });

  it("bad grids and options are usage errors (exit 2)", async () => {
    const bad = [
      [...GRID, "--out", join(dir, "x"), "--grid", "nosuch=1,2"],
      [...GRID, "--out", join(dir, "x"), "--grid", "tau=3"],
      [...GRID, "--out", join(dir, "x"), "--set", "tau=2"],
      [...GRID, "--out", join(dir, "x"), "--grid", "delta=-1,1"],
      [...GRID],
      [...GRID, "--out", join(dir, "x"), "--shard", "3/2"],
      ["--out", join(dir, "x")],
    ];
    for (const args of bad) expect(await main(["sweep", ...SOLVE, ...args])).toBe(2);
  });
});
