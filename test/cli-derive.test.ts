// `dmftkit derive` through main(): output, --json, and exit code 2 with one stderr line for bad input.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/index.js";

const dir = mkdtempSync(join(tmpdir(), "dmftkit-derive-"));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

function file(name: string, loss: string, params = "{ delta: 2, tau: 1 }"): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: ${name}\ndescription: x\nloss: "${loss}"\nlabel: sign(wstar)\nparameters: ${params}\n`,
  );
  return path;
}

afterEach(() => {
  process.exitCode = undefined;
});

describe("dmftkit derive", () => {
  it("prints the model, derivatives as text and LaTeX, and the checks; writes --json", async () => {
    const json = join(dir, "out.json");
    const r = await run("derive", "models/logistic-regression.yaml", "--set", "lambda=0.1", "--json", json);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toContain("l = dL/dr            = -y * sigmoid(-y * r)");
    expect(r.out).toContain("\\ell'(r; y) = -y \\operatorname{sigmoid}\\left(-y r\\right)");
    expect(r.out).toContain("lambda = 0.1");
    expect(r.out).toMatch(/ok {2}l = dL\/dr matches finite difference/);
    const doc = JSON.parse(readFileSync(json, "utf8"));
    expect(Object.keys(doc.derivatives)).toEqual(["l", "dl", "d2l", "h", "dh", "jumps"]);
    expect(doc.derivatives.jumps).toEqual([]);
    expect(r.out).not.toContain("jumps of l");
    expect(doc.derivatives.h).toBe("lambda * theta");
    expect(doc.model.parameters.lambda).toBe(0.1);
    expect(doc.model.name).toBe("logistic-regression");
    expect(Object.keys(doc.latex)).toContain("dl");
    expect(doc.binaryLabels).toBe(true);
  });

  it("vector models: prints the prediction, gradient entries and Hessian entries; --json has them", async () => {
    const json = join(dir, "committee.json");
    const r = await run("derive", "models/committee-erf.yaml", "--json", json);
    expect(r.code).toBe(0);
    expect(r.out).toContain("k = 2 student units, k_teacher = 2 teacher units");
    for (const lhs of [
      "yhat(r1, r2)",
      "l_1 = dL/dr1",
      "l_2 = dL/dr2",
      "H_11 = d2L/dr1dr1",
      "H_22 = d2L/dr2dr2",
    ])
      expect(r.out).toMatch(new RegExp(`^${lhs.replace(/[()]/g, "\\$&")} +=`, "m"));
    expect(r.out).toContain("H_12 = H_21 = d2L/dr1dr2 = ");
    expect(r.out).toContain("LaTeX: \\ell_{2} = ");
    expect(r.out).not.toContain("l = dL/dr "); // no scalar placeholders
    expect(r.out).toMatch(/ok {2}hess: /);
    const doc = JSON.parse(readFileSync(json, "utf8"));
    expect(doc.model.k).toBe(2);
    expect(doc.variables).toEqual({ r: ["r1", "r2"], wstar: ["wstar1", "wstar2"] });
    expect(doc.derivatives.grad).toHaveLength(2);
    expect(doc.derivatives.hess).toHaveLength(4);
    expect(doc.derivatives.hess[1]).toBe(doc.derivatives.hess[2]);
    expect(doc.latex.grad).toHaveLength(2);
  });

  it("non-smooth models: prints the jumps of l and writes them under derivatives.jumps", async () => {
    const json = join(dir, "hinge.json");
    const r = await run("derive", "models/hinge-svm.yaml", "--json", json);
    expect(r.code).toBe(0);
    expect(r.out).toContain("  l jumps at r = 1 / y by J = abs(y)");
    expect(r.out).toContain("LaTeX: c = \\frac{1}{y},\\quad J = \\left|y\\right|");
    expect(r.out).toMatch(/ok {2}jumps: 1 size\(s\) match one-sided limits of l/);
    const doc = JSON.parse(readFileSync(json, "utf8"));
    expect(doc.derivatives.jumps).toEqual([
      { unit: 0, loc: "1 / y", size: "abs(y)", latex: { loc: "\\frac{1}{y}", size: "\\left|y\\right|" } },
    ]);
    const rc = await run("derive", "models/committee-relu.yaml", "--json", json);
    expect(rc.code).toBe(0);
    expect(rc.out).toContain("yhat = none (the loss is written in r1..rk)");
    expect(rc.out).toContain("  l_2 jumps at r2 = 0 by J = (max(0, r1) / 2 - y) / 2");
    const vdoc = JSON.parse(readFileSync(json, "utf8"));
    expect(vdoc.derivatives.jumps.map((j: { unit: number }) => j.unit)).toEqual([0, 1]);
  });

  it.each([
    ["malformed YAML", () => writeBad("bad", "name: x\nloss: [r\n"), /bad\.yaml:\d+: malformed YAML/],
    [
      "unknown symbol",
      () => file("sym", "log(1 + exp(-y * r * foo))"),
      /sym\.yaml:3: loss: unknown symbol 'foo'/,
    ],
    ["misused function", () => file("mis", "exp(1, 2)"), /exp takes 1 argument, got 2/],
    ["misused max", () => file("max", "max(r)"), /max takes 2 arguments, got 1/],
    ["constructor", () => file("ctor", "constructor"), /unknown symbol 'constructor'/],
    ["process", () => file("proc", "process.exit(1)"), /unsupported call/],
    ["this", () => file("this", "this"), /unknown symbol 'this'/],
    ["r.constructor", () => file("acc", "r.constructor"), /unsupported construct/],
    ["__proto__", () => file("proto", "__proto__"), /unknown symbol '__proto__'/],
    [
      "non-finite parameter",
      () => file("inf", "r", "{ delta: 2, tau: .inf }"),
      /parameter 'tau' must be finite/,
    ],
    ["Dirac delta", () => file("step", "(r > y)"), /L jumps where r - y = 0.*Dirac delta/],
    ["missing file", () => join(dir, "nope.yaml"), /cannot read model file/],
  ])("%s: one-line error, exit 2", async (_what, make, pattern) => {
    const r = await run("derive", make());
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(pattern);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  it("rejects --set of an undeclared or non-finite parameter with exit 2", async () => {
    expect((await run("derive", "models/linear-regression.yaml", "--set", "foo=1")).err).toMatch(
      /--set foo: 'foo' is not a parameter/,
    );
    const r = await run("derive", "models/linear-regression.yaml", "--set", "tau=Infinity");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a finite number/);
    // Anything that is not a number is read as a schedule (an expression in t) and checked as one.
    const s = await run("derive", "models/linear-regression.yaml", "--set", "tau=inf");
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/--set tau: schedule of tau: unknown symbol 'inf'/);
  });
});

function writeBad(name: string, text: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}
