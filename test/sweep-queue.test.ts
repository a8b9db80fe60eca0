// dmftkit sweep --queue on a real redis-server (started here on a free loopback port, no persistence, a
// temporary directory) with two `dmftkit worker` processes, one SIGKILLed mid-job: the sweep completes and
// every point equals the plain solve. Redis unreachable: exit 2. Skipped only when redis-server is absent.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/index.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import { tidyTimes } from "../src/util/time.js";

const HAVE_REDIS = spawnSync("redis-server", ["--version"]).status === 0;
const MODEL = "models/logistic-regression.yaml";
const SOLVE = { samples: 400, T: 1, seed: 5 };
const ARGS = [MODEL, "--samples", "400", "--T", "1", "--seed", "5", "--quiet"];
const GRID = ["--grid", "tau=0.5,1", "--grid", "lambda=0.01,0.05,0.1"];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves with the child's first stderr/stdout line matching `re`. */
function waitFor(child: ChildProcess, log: { text: string }, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const hit = re.exec(log.text);
      if (hit) {
        child.stdout?.off("data", check);
        child.stderr?.off("data", check);
        resolve(hit);
      }
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", (code) => reject(new Error(`exited (${code}) before ${re}: ${log.text}`)));
    check();
  });
}

function capture(child: ChildProcess): { text: string } {
  const log = { text: "" };
  child.stdout?.on("data", (d) => {
    log.text += d;
  });
  child.stderr?.on("data", (d) => {
    log.text += d;
  });
  return log;
}

/** `dmftkit worker` in its own process (so that it can be SIGKILLed), from the TypeScript sources. */
function worker(url: string) {
  const cli = pathToFileURL(join(process.cwd(), "src/cli/index.ts")).href;
  const argv = ["worker", "--queue", url, "--jobs", "1", "--lock", "2000"];
  const script = `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(${JSON.stringify(argv)});`;
  const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { child, log: capture(child) };
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    c.exitCode !== null ? resolve(c.exitCode) : c.once("exit", resolve),
  );

describe.skipIf(!HAVE_REDIS)("dmftkit sweep --queue (BullMQ on redis-server)", () => {
  let redis: ChildProcess;
  let url = "";
  beforeAll(async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "dmftkit-redis-"));
    redis = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    await waitFor(redis, capture(redis), /Ready to accept connections/);
    url = `redis://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    redis?.kill("SIGTERM");
    if (redis) await exited(redis);
  });

  it("two workers, one SIGKILLed mid-job: every point is collected and equals the plain solve", async () => {
    const a = worker(url);
    const b = worker(url);
    try {
      await Promise.all([a, b].map((w) => waitFor(w.child, w.log, /taking points/)));
      const out = mkdtempSync(join(tmpdir(), "dmftkit-sweepq-"));
      const sweep = main(["sweep", ...ARGS, ...GRID, "--out", out, "--queue", url]);
      const [, killed] = await waitFor(a.child, a.log, /solving ([0-9a-f]{32})/);
      a.child.kill("SIGKILL");
      expect(await sweep).toBe(0);
      // The killed worker's point was handed to the other worker after its lock expired.
      expect(b.log.text).toContain(`solved ${killed}`);
      b.child.kill("SIGTERM");
      expect(await exited(b.child)).toBe(0);

      const result = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as {
        points: Array<{ params: Record<string, number>; key: string; result: Record<string, unknown> }>;
      };
      expect(result.points).toHaveLength(6);
      expect(result.points.map((p) => p.key)).toContain(killed);
      for (const p of result.points) {
        const plain = await solve(loadDerived(MODEL, p.params), {
          ...SOLVE,
          dynamics: "sgf",
          solver: "auto",
        });
        // As `solve --out` writes it: times without float noise.
        const { t, observables, stderr } = JSON.parse(JSON.stringify(tidyTimes(plain)));
        expect({ t: p.result.t, observables: p.result.observables, stderr: p.result.stderr }).toEqual({
          t,
          observables,
          stderr,
        });
      }
    } finally {
      a.child.kill("SIGKILL");
      b.child.kill("SIGKILL");
    }
  });

  it("Redis unreachable: a clear error, exit 2", async () => {
    const port = await freePort();
    const dead = `redis://127.0.0.1:${port}`;
    expect(await main(["worker", "--queue", dead, "--quiet"])).toBe(2);
    const out = mkdtempSync(join(tmpdir(), "dmftkit-sweepq-"));
    expect(await main(["sweep", ...ARGS, ...GRID, "--out", out, "--queue", dead])).toBe(2);
  });
});
