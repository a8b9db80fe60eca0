// Continuation (issue 15): `solve --checkpoint FILE` then `solve --resume FILE --T T'` writes the same JSON,
// byte for byte (but meta.timings and meta.resumed), as one `solve --T T'`; the prefix property of the
// Gaussian inputs it rests on; and the refusals (exit 2) of a resume that cannot continue.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/index.js";
import { readCheckpoint } from "../src/solvers/mc/checkpoint-file.js";
import { GaussianColumns, type InputPrefix } from "../src/solvers/mc/columns.js";
import { type McContinuation, solveMc } from "../src/solvers/mc/index.js";
import { WasmArena } from "../src/solvers/mc/wasm.js";
import { loadDerived } from "../src/symbolic/index.js";
import { Rng } from "../src/util/rng.js";

const logistic = "models/logistic-regression.yaml";
const committee = "models/committee-erf.yaml";
const dir = mkdtempSync(join(tmpdir(), "dmftkit-ckpt-"));
const file = (name: string) => join(dir, name);

/** The JSON a solve wrote, without what may differ between a resumed and a single run. */
function comparable(path: string): string {
  const r = JSON.parse(readFileSync(path, "utf8")) as { meta: Record<string, unknown> };
  delete r.meta.timings;
  delete r.meta.resumed;
  return JSON.stringify(r);
}

let stderr: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterAll(() => stderr.mockRestore());
const said = () => stderr.mock.calls.map((c: unknown[]) => String(c[0])).join("");

describe("the prefix property of the Gaussian inputs", () => {
  it("the first columns of a wider GaussianColumns are the same bits (one block, renewed blocks, apart)", () => {
    const M = 150;
    const cases: [number, number[], boolean][] = [
      [60, [], true], // one block at both widths
      [70, [], true], // 70 fits one block; 200 is in renewed blocks of orthoBlock(150, 200) = 86
      [80, [5, 9, 13, 17], true], // columns apart, from their own stream
      [60, [], false],
    ];
    for (const [w, apart, orthogonal] of cases) {
      const columns = (width: number) => {
        const sep = [...apart, ...Array.from({ length: apart.length ? width - w : 0 }, (_, j) => w + j)];
        const arena = new WasmArena(GaussianColumns.doubles(M, width, 2));
        const z = new GaussianColumns(M, width, new Rng(3, 0), orthogonal, arena, 2, sep, new Rng(3, 9));
        const out = z.Z.slice(0, w * M);
        arena.release();
        return out;
      };
      const [a, b] = [columns(w), columns(200)];
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)), `width ${w}`).toBe(0);
    }
  });

  it("a wider GaussianColumns built on a narrower one's stored columns (Stein's resume) is the same bits", () => {
    const M = 150;
    for (const [w, apart] of [
      [60, []],
      [70, []],
      [80, [5, 9, 13, 17]],
    ] as [number, number[]][]) {
      const sep = (width: number) => [
        ...apart,
        ...Array.from({ length: apart.length ? width - w : 0 }, (_, j) => w + j),
      ];
      const build = (width: number, prefix?: InputPrefix) =>
        new GaussianColumns(M, width, new Rng(3, 0), true, undefined, 2, sep(width), new Rng(3, 9), prefix);
      const narrow = build(w).storedColumns();
      const fresh = build(200).Z;
      const resumed = build(200, { ...narrow, Z: narrow.Z.slice() }).Z;
      expect(Buffer.compare(Buffer.from(fresh.buffer), Buffer.from(resumed.buffer)), `width ${w}`).toBe(0);
      // The stored columns are what is used: altered, they come out altered.
      const altered = narrow.Z.slice();
      altered[M + 1] += 1;
      expect(build(200, { ...narrow, Z: altered }).Z[M + 1]).toBe(altered[M + 1]);
    }
  });

  it("an Rng continues exactly from a saved state", () => {
    const a = new Rng(5, 1, 2);
    for (let i = 0; i < 37; i++) a.normal();
    const b = new Rng(0);
    b.restore(a.save());
    expect([b.normal(), b.poisson(3), b.uniform()]).toEqual([a.normal(), a.poisson(3), a.uniform()]);
  });
});

describe("solve --checkpoint / --resume", () => {
  // [name, model, settings, T0, T1]: tangent, Stein and branching, scalar and committee, threads 1 and 2.
  const runs: [string, string, string[], string, string][] = [
    ["tangent-1", logistic, ["--response", "tangent", "--threads", "1", "--kernels"], "1", "2"],
    ["stein-2", logistic, ["--response", "stein", "--samples", "800", "--threads", "2"], "1", "1.5"],
    [
      "stein-kernels-1",
      logistic,
      ["--response", "stein", "--samples", "800", "--threads", "1", "--kernels"],
      "1",
      "1.5",
    ],
    ["committee-tangent-2", committee, ["--response", "tangent", "--threads", "2", "--kernels"], "1", "1.5"],
    [
      "committee-stein-1",
      committee,
      ["--response", "stein", "--samples", "800", "--threads", "1"],
      "0.5",
      "1",
    ],
    ["hinge-branch-2", "models/hinge-svm.yaml", ["--threads", "2"], "1", "1.5"], // auto: branching
  ];
  for (const [name, model, settings, T0, T1] of runs) {
    it(`${name}: resuming ${T0} -> ${T1} writes what one solve to ${T1} writes`, async () => {
      const base = [
        "solve",
        model,
        "--quiet",
        "--seed",
        "4",
        "--samples",
        "400",
        "--groups",
        "4",
        ...settings,
      ];
      const ck = file(`${name}.ckpt`);
      expect(await main([...base, "--T", T0, "--checkpoint", ck, "--out", file(`${name}-0.json`)])).toBe(0);
      // The settings come from the checkpoint; output options (--kernels, --threads) are given again.
      const output = settings.filter(
        (s, i) => s === "--kernels" || settings[i - 1] === "--threads" || s === "--threads",
      );
      const resumed = file(`${name}-r.json`);
      expect(
        await main(["solve", model, "--quiet", "--resume", ck, "--T", T1, ...output, "--out", resumed]),
      ).toBe(0);
      const single = file(`${name}-1.json`);
      expect(await main([...base, "--T", T1, "--out", single])).toBe(0);
      expect(comparable(resumed)).toBe(comparable(single));
      expect(JSON.parse(readFileSync(resumed, "utf8")).meta.resumed.steps).toBe(Math.round(Number(T0) / 0.1));
    });
  }

  it("Stein in closed form keeps no R_theta: a resume asking for --kernels rebuilds it from rho", async () => {
    // The checkpoint holds the memory terms' history instead (step.ts memoryNext); R_theta is output only.
    const base = ["solve", logistic, "--quiet", "--seed", "3", "--samples", "800", "--groups", "4"];
    const stein = ["--response", "stein", "--threads", "1"];
    const ck = file("stein-nokernels.ckpt");
    expect(await main([...base, ...stein, "--T", "1", "--checkpoint", ck, "--out", file("snk-0.json")])).toBe(
      0,
    );
    const resumed = file("snk-r.json");
    expect(
      await main([
        "solve",
        logistic,
        "--quiet",
        "--resume",
        ck,
        "--T",
        "1.5",
        "--kernels",
        "--threads",
        "1",
        "--out",
        resumed,
      ]),
    ).toBe(0);
    const single = file("snk-1.json");
    expect(await main([...base, ...stein, "--T", "1.5", "--kernels", "--out", single])).toBe(0);
    expect(comparable(resumed)).toBe(comparable(single));
    expect(JSON.parse(readFileSync(resumed, "utf8")).kernels.R_theta.data.some((v: number) => v !== 0)).toBe(
      true,
    );
  });

  it("a resume can checkpoint again: 0.5 -> 1 -> 1.5 is one solve to 1.5 (sgd-fraction, --record)", async () => {
    const base = ["solve", logistic, "--quiet", "--samples", "400", "--groups", "4", "--record", "2"];
    const dyn = ["--dynamics", "sgd-fraction", "--batch-fraction", "0.5", "--persistence", "0.3"];
    expect(
      await main([...base, ...dyn, "--T", "0.5", "--checkpoint", file("a.ckpt"), "--out", file("a.json")]),
    ).toBe(0);
    const resume = ["solve", logistic, "--quiet", "--record", "2", "--resume"];
    expect(
      await main([
        ...resume,
        file("a.ckpt"),
        "--T",
        "1",
        "--checkpoint",
        file("b.ckpt"),
        "--out",
        file("b.json"),
      ]),
    ).toBe(0);
    expect(await main([...resume, file("b.ckpt"), "--T", "1.5", "--out", file("c.json")])).toBe(0);
    expect(await main([...base, ...dyn, "--T", "1.5", "--out", file("d.json")])).toBe(0);
    expect(comparable(file("c.json"))).toBe(comparable(file("d.json")));
  });

  it("a resume keeps the checkpoint's input layout where the planner would choose another at the new N", async () => {
    // Stein, 200 samples per half group: all 2N + 4 input columns fit one block up to N = 66; beyond, the
    // planner puts the noise columns apart, but the resume of an N = 60 checkpoint keeps them together.
    const derived = loadDerived(logistic, {});
    const opts = { dynamics: "sgf" as const, samples: 1600, groups: 4, seed: 2, response: "stein" as const };
    const cont: McContinuation = { save: file("layout.ckpt") };
    await solveMc(derived, { ...opts, T: 6, threads: 1 }, {}, cont);
    const resume = { file: "layout.ckpt", ...readCheckpoint(file("layout.ckpt")) };
    const resumed = await solveMc(derived, { ...opts, T: 8, threads: 1 }, {}, { resume });
    const single = await solveMc(derived, { ...opts, T: 8, threads: 1 }, { noiseApart: [false] });
    expect(resumed.meta.response.reason).toMatch(/kept from the checkpoint at N = 60/);
    expect(resumed.observables).toEqual(single.observables);
    expect(resumed.stderr).toEqual(single.stderr);
    const own = await solveMc(derived, { ...opts, T: 8, threads: 1 });
    expect(own.meta.varianceReduction).toMatch(/apart/);
    expect(single.meta.varianceReduction).not.toMatch(/apart/);
  });

  it("a solve that fails leaves no checkpoint (its states are written to FILE.partial, removed)", async () => {
    const ck = file("blown.ckpt");
    const model = ["solve", "models/linear-regression.yaml", "--quiet", "--set", "lambda=-30"];
    const args = [...model, "--solver", "mc", "--T", "4", "--samples", "400", "--groups", "2"];
    expect(await main([...args, "--checkpoint", ck])).toBe(1);
    expect(said()).toMatch(/blew up at step 11/);
    expect(existsSync(ck) || existsSync(`${ck}.partial`)).toBe(false);
  });

  it("refuses (exit 2) a missing, foreign, corrupt or truncated file, a shorter T, another model or settings", async () => {
    const ck = file("tangent-1.ckpt"); // written above
    const resume = (args: string[]) => main(["solve", logistic, "--quiet", "--T", "2", ...args]);
    expect(await resume(["--resume", file("nothing.ckpt")])).toBe(2);
    expect(said()).toMatch(/does not exist/);
    writeFileSync(file("foreign.ckpt"), "not a checkpoint at all");
    expect(await resume(["--resume", file("foreign.ckpt")])).toBe(2);
    expect(said()).toMatch(/not a dmftkit checkpoint/);
    const bytes = readFileSync(ck);
    const flipped = Buffer.from(bytes);
    flipped[100] ^= 1; // in the first state
    writeFileSync(file("flipped.ckpt"), flipped);
    expect(await resume(["--resume", file("flipped.ckpt")])).toBe(2);
    expect(said()).toMatch(/corrupt \(checksum/);
    writeFileSync(file("short.ckpt"), bytes.subarray(0, bytes.length - 8));
    expect(await resume(["--resume", file("short.ckpt")])).toBe(2);
    expect(said()).toMatch(/truncated/);
    expect(await main(["solve", logistic, "--quiet", "--T", "0.5", "--resume", ck])).toBe(2);
    expect(said()).toMatch(/shorter than the checkpoint's T = 1/);
    expect(await main(["solve", committee, "--quiet", "--T", "2", "--resume", ck])).toBe(2);
    expect(said()).toMatch(/another model/);
    expect(await resume(["--resume", ck, "--set", "lambda=0.2"])).toBe(2);
    expect(await resume(["--resume", ck, "--samples", "800"])).toBe(2);
    expect(said()).toMatch(/other settings: samples 400 there, 800 here/);
    // A tau schedule that switches the SGF noise on after the checkpoint's T changes the inputs' layout.
    const quiet = ["solve", logistic, "--quiet", "--set", "tau=t < 1 ? 0 : 0.5"];
    const small = ["--samples", "400", "--groups", "4", "--out", file("n.json")];
    expect(await main([...quiet, ...small, "--T", "0.5", "--checkpoint", file("n.ckpt")])).toBe(0);
    expect(await main([...quiet, "--T", "2", "--resume", file("n.ckpt")])).toBe(2);
    expect(said()).toMatch(/noise switches on after the checkpoint's T = 0.5/);
    // Explicitly given settings that agree are fine.
    expect(await resume(["--resume", ck, "--samples", "400", "--seed", "4", "--out", file("ok.json")])).toBe(
      0,
    );
  });

  it("--checkpoint: size in the plan line; refused (exit 2) for the exact solvers", async () => {
    stderr.mockClear();
    const args = [
      "solve",
      logistic,
      "--T",
      "0.5",
      "--samples",
      "400",
      "--groups",
      "4",
      "--out",
      file("p.json"),
    ];
    expect(await main([...args, "--checkpoint", file("p.ckpt")])).toBe(0);
    const size = readFileSync(file("p.ckpt")).length;
    const line = said().match(/checkpoint ~([\d.]+) (KiB|MiB)/);
    expect(line).not.toBeNull();
    const estimate = Number(line![1]) * (line![2] === "KiB" ? 1024 : 2 ** 20);
    expect(estimate).toBeGreaterThanOrEqual(0.95 * size);
    expect(estimate).toBeLessThan(1.2 * size + 8192);
    expect(
      await main(["solve", "models/linear-regression.yaml", "--quiet", "--checkpoint", file("l.ckpt")]),
    ).toBe(2);
    expect(said()).toMatch(/for the Monte-Carlo solver/);
  });
});
