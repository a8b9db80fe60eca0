// The kernel library (src/kernels/) end to end: the solver and the simulator with the JS kernels forced,
// or with a WebAssembly module that fails to compile, give the WebAssembly results to rounding (the kernels
// themselves against their JS loops: solver-kernels.test.ts), and `meta.kernels` records which kernels ran.
import { afterEach, describe, expect, it, vi } from "vitest";
import { kernelModuleBytes, useKernels } from "../src/kernels/loader.js";
import { simulate } from "../src/simulate/index.js";
import { solveMc } from "../src/solvers/mc/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import type { Result } from "../src/types.js";

const logistic = loadDerived("models/logistic-regression.yaml");
const committee = loadDerived("models/committee-erf.yaml");

afterEach(() => {
  vi.unstubAllGlobals();
  useKernels("wasm-simd");
});

/** Largest |a - b| / max |b| over every observable series. */
function maxRelDiff(a: Result, b: Result): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(b.observables)) {
    const got = a.observables[name as keyof Result["observables"]]!;
    const scale = Math.max(...ref!.map(Math.abs));
    for (let i = 0; i < ref!.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref![i]) / scale);
  }
  return worst;
}

describe("kernel library", () => {
  it("assembles a valid WebAssembly module", () => {
    expect(WebAssembly.validate(kernelModuleBytes())).toBe(true);
  });

  it("simulator: forced JS kernels equal WebAssembly to rounding; meta.kernels says which ran", async () => {
    const opts = { d: 150, seeds: 1, T: 2, seed: 3, threads: 1 };
    const wasm = await simulate(logistic, { ...opts, dynamics: "sgf" });
    useKernels("js");
    const js = await simulate(logistic, { ...opts, dynamics: "sgf" });
    expect(wasm.meta.kernels).toEqual({ dots: "wasm-simd" });
    expect(js.meta.kernels).toEqual({ dots: "js" });
    const diff = maxRelDiff(js, wasm);
    expect(diff).toBeLessThan(1e-10);
    expect(diff).toBeGreaterThan(0); // different summation orders: really two paths
  });

  it("solver: forced JS kernels equal WebAssembly to rounding, k = 1 and the committee", async () => {
    for (const [derived, tangent] of [
      [logistic, "wasm-simd"],
      [committee, "js"],
    ] as const) {
      const opts = { dynamics: "sgf" as const, T: 1, dt: 0.1, samples: 400, groups: 2, seed: 5, threads: 1 };
      const wasm = await solveMc(derived, { ...opts, response: "tangent" });
      useKernels("js");
      const js = await solveMc(derived, { ...opts, response: "tangent" });
      useKernels("wasm-simd");
      expect(wasm.meta.kernels).toEqual({ tangent, dots: "wasm-simd" });
      expect(js.meta.kernels).toEqual({ tangent: "js", dots: "js" });
      expect(maxRelDiff(js, wasm)).toBeLessThan(1e-10);
    }
  });

  it("a module that fails to compile is reported in meta.kernels and the JS kernels run", async () => {
    vi.stubGlobal("WebAssembly", {
      ...WebAssembly,
      Module: class {
        constructor() {
          throw new Error("no SIMD here");
        }
      },
    });
    useKernels("wasm-simd"); // compile afresh, under the stub
    const sim = await simulate(logistic, { d: 100, seeds: 1, T: 1, seed: 3, threads: 1, dynamics: "sgf" });
    const sol = await solveMc(logistic, {
      dynamics: "sgf",
      T: 1,
      dt: 0.1,
      samples: 200,
      groups: 2,
      seed: 5,
      threads: 1,
    });
    for (const meta of [sim.meta, sol.meta]) {
      expect(meta.kernels).toMatchObject({ dots: "js", unavailable: expect.stringMatching(/no SIMD here/) });
    }
  });
});
