// Model files: schema validation, --set overrides, one-line errors with file:line.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel, parseModel } from "../src/model/load.js";
import { UsageError } from "../src/util/errors.js";

const BASE = `name: t
description: test model
loss: (yhat - y)^2 / 2
label: wstar + sigma * eps
parameters: { delta: 2, tau: 0.5, sigma: 0.3 }
`;

function err(text: string, sets: Record<string, number> = {}): string {
  try {
    parseModel(text, "m.yaml", sets);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const msg = (e as Error).message;
    expect(msg).not.toContain("\n");
    return msg;
  }
  throw new Error("expected a UsageError");
}

describe("loadModel", () => {
  it("loads the issue's logistic model with defaults, lines and --set", () => {
    const m = loadModel("models/logistic-regression.yaml", { lambda: 0.1 });
    expect(m.name).toBe("logistic-regression");
    expect(m.parameters).toEqual({ delta: 2, tau: 1, lambda: 0.1, sigma: 0.3 });
    expect(m.time).toEqual({ T: 4, dt: 0.1 });
    expect(m.k).toBe(1);
    expect(m.kTeacher).toBe(1);
    expect(m.activation).toBe("r");
    expect(m.lines.loss).toBe(4);
    expect(m.source).toBe("models/logistic-regression.yaml");
  });

  it("fills optional keys with documented defaults", () => {
    const m = parseModel(BASE, "m.yaml");
    expect(m.activation).toBe("r");
    expect(m.penalty).toBe("0");
    expect(m.initStd).toBe(0);
    expect(m.teacherVariance).toBe(1);
    expect(m.time).toEqual({ T: 4, dt: 0.1 });
  });

  it("rejects bad files with one-line messages naming the line", () => {
    expect(err(`${BASE}foo: 1\n`)).toMatch(/^m\.yaml:6: unknown key 'foo'/);
    expect(err(BASE.replace("loss: (yhat - y)^2 / 2\n", ""))).toMatch(/missing required key 'loss'/);
    expect(err(`${BASE}time: { T: 4, dt: 0.1\n`)).toMatch(/^m\.yaml:\d+: malformed YAML/);
    expect(err("- a\n- b\n")).toMatch(/must be a YAML mapping/);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 7; i++)
      bomb.push(
        `l${i}: &l${i} [${Array(8)
          .fill(i === 1 ? "*a" : `*l${i - 1}`)
          .join(", ")}]`,
      );
    expect(err(`${bomb.join("\n")}\n`)).toMatch(/malformed YAML: Excessive alias count/);
    expect(err(`${BASE}name: u\n`)).toMatch(/^m\.yaml:6: malformed YAML: Map keys must be unique/);
    expect(err(BASE.replace("tau: 0.5", "tau: .inf"))).toMatch(/^m\.yaml:5: parameter 'tau' must be finite/);
    expect(err(BASE.replace("tau: 0.5", "tau: .nan"))).toMatch(/parameter 'tau' must be finite/);
    expect(err(BASE.replace("tau: 0.5", "tau: [1]"))).toMatch(
      /parameter 'tau' must be a number or a schedule/,
    );
    expect(err(BASE.replace("tau: 0.5", 'tau: "1 +"'))).toMatch(/^m\.yaml:5: schedule of tau: cannot parse/);
    expect(err(BASE.replace("delta: 2", "delta: 0"))).toMatch(/delta \(= n\/d\) must be > 0/);
    expect(err(BASE.replace("tau: 0.5", "tau: -1"))).toMatch(/tau .* must be >= 0/);
    expect(err(BASE.replace("delta: 2, ", ""))).toMatch(/must declare 'delta'/);
    expect(err(BASE.replace("sigma: 0.3", "sigma: 0.3, e: 1"))).toMatch(/parameter name 'e' is reserved/);
    expect(err(`${BASE}time: { T: 4, dt: 0 }\n`)).toMatch(/time\.dt must be a number > 0/);
    expect(err(`${BASE}time: { T: -1, dt: 0.1 }\n`)).toMatch(/time\.T must be a number > 0/);
    expect(err(`${BASE}time: { T: 4, step: 0.1 }\n`)).toMatch(/unknown key 'time\.step'/);
    expect(err(`${BASE}init_std: -1\n`)).toMatch(/'init_std' must be a finite number >= 0/);
    expect(err(`${BASE}teacher_variance: 0\n`)).toMatch(/'teacher_variance' must be a finite number > 0/);
    expect(err(BASE.replace("loss: (yhat - y)^2 / 2", "loss: [r]"))).toMatch(
      /'loss' must be a non-empty string/,
    );
  });

  it("accepts k, k_teacher from 1 to 8 and names the line of a bad width", () => {
    expect(parseModel(`${BASE}k: 1\nk_teacher: 1\n`, "m.yaml").k).toBe(1);
    const m = parseModel(`${BASE}k: 8\nk_teacher: 3\nactivation: sum(r_a, a)\n`, "m.yaml");
    expect([m.k, m.kTeacher]).toEqual([8, 3]);
    expect(err(`${BASE}k: 9\n`)).toMatch(/^m\.yaml:6: 'k' must be an integer from 1 to 8, got 9/);
    expect(err(`${BASE}k: 2\nk_teacher: 0\n`)).toMatch(
      /^m\.yaml:7: 'k_teacher' must be an integer from 1 to 8/,
    );
    expect(err(`${BASE}k: 1.5\n`)).toMatch(/'k' must be an integer from 1 to 8/);
    expect(err(BASE.replace("sigma: 0.3", "sigma: 0.3, r_a: 1"))).toMatch(/parameter name 'r_a' is reserved/);
    expect(err(BASE.replace("sigma: 0.3", "sigma: 0.3, sum: 1"))).toMatch(/parameter name 'sum' is reserved/);
  });

  it("rejects --set of undeclared parameters and invalid overrides", () => {
    expect(err(BASE, { lambda: 1 })).toMatch(/^--set lambda: 'lambda' is not a parameter of m\.yaml/);
    expect(err(BASE, { delta: -1 })).toMatch(/^--set delta: delta .* must be > 0/);
    expect(err(BASE, { sigma: Number.NaN })).toMatch(/finite/);
    expect(parseModel(BASE, "m.yaml", { tau: 0 }).parameters.tau).toBe(0);
  });

  it("reports unreadable files as usage errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "dmftkit-model-"));
    expect(() => loadModel(join(dir, "missing.yaml"))).toThrow(/cannot read model file .*ENOENT/);
    const big = join(dir, "big.yaml");
    writeFileSync(big, `${BASE}#${"x".repeat(300_000)}\n`);
    expect(() => loadModel(big)).toThrow(/larger than 256 KiB/);
  });
});
