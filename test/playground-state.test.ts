// The playground's state helpers (web/state.ts), in Node: URL hash, preset matching (--set), the CLI
// command, slider edits of the YAML, and error positions for the messages the CLI's checks produce.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseModel } from "../src/model/load.js";
import { derive } from "../src/symbolic/index.js";
import {
  cliCommand,
  DEFAULTS,
  errorPosition,
  formatHash,
  fromBase64Url,
  matchPreset,
  parseHash,
  setParameter,
  toBase64Url,
} from "../web/state.js";

const LOGISTIC = readFileSync("models/logistic-regression.yaml", "utf8");
const PRESETS = {
  "linear-regression.yaml": readFileSync("models/linear-regression.yaml", "utf8"),
  "logistic-regression.yaml": LOGISTIC,
};

function messageOf(text: string): string {
  try {
    derive(parseModel(text, "model.yaml"));
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a model error");
}

describe("playground state", () => {
  it("round-trips the hash, base64url of UTF-8", () => {
    const text = "description: δ = n/d, τ ≥ 0 ✓\n";
    expect(toBase64Url(text)).not.toMatch(/[+/=]/);
    expect(fromBase64Url(toBase64Url(text))).toBe(text);
    const s = { text: LOGISTIC, seed: 7, samples: 3000, sim: true, run: true };
    expect(parseHash(formatHash(s))).toEqual(s);
    expect(parseHash("#seed=x&samples=-3")).toEqual({ text: undefined, ...DEFAULTS });
  });

  it("recognises a preset up to layout and parameter values, and writes the CLI command", () => {
    expect(matchPreset(LOGISTIC, PRESETS)).toEqual({ file: "logistic-regression.yaml", sets: {} });
    const edited = setParameter(LOGISTIC, "delta", 3.5);
    expect(edited).toContain("# per-sample loss"); // comments kept
    expect(parseModel(edited, "x").parameters.delta).toBe(3.5);
    const hit = matchPreset(edited, PRESETS);
    expect(hit).toEqual({ file: "logistic-regression.yaml", sets: { delta: 3.5 } });
    const s = { text: edited, seed: 2, samples: 4000, sim: true, run: true };
    expect(cliCommand(s, PRESETS)).toBe(
      "npx dmftkit solve models/logistic-regression.yaml --set delta=3.5 --seed 2 --samples 4000 --out dmft.json\n" +
        "npx dmftkit simulate models/logistic-regression.yaml --set delta=3.5 --d 200 --seeds 4 --dynamics sgf --seed 2 --out sgf.json",
    );
    const custom = LOGISTIC.replace("lambda / 2 * theta^2", "lambda * abs(theta)");
    expect(matchPreset(custom, PRESETS)).toBeUndefined();
    expect(matchPreset(LOGISTIC.replace("sigma: 0.3 }", "sigma: 0.3, c: 1 }"), PRESETS)).toBeUndefined();
    expect(cliCommand({ ...s, text: custom, sim: false }, PRESETS)).toBe(
      `cat > model.yaml <<'EOF'\n${custom}EOF\nnpx dmftkit solve model.yaml --seed 2 --samples 4000 --out dmft.json`,
    );
  });

  it("places the CLI's error messages at line and column", () => {
    const unknown = LOGISTIC.replace("exp(-y * yhat)", "exq(-y * yhat)");
    const line = 4;
    expect(unknown.split("\n")[line - 1]).toMatch(/^loss: log\(1 \+ exq/);
    expect(errorPosition(unknown, messageOf(unknown))).toEqual({ line, column: 15 });
    const syntax = LOGISTIC.replace("log(1 + exp(-y * yhat))", "log(1 + * y)");
    const msg = messageOf(syntax);
    expect(msg).toMatch(/^model\.yaml:4: loss: cannot parse .*\(char \d+\)/);
    const at = errorPosition(syntax, msg)!;
    expect(at.line).toBe(4);
    expect(syntax.split("\n")[3].slice(at.column - 1)).toMatch(/^(\* y\)| y\))/);
    const badParam = LOGISTIC.replace("delta: 2", "delta: -1");
    expect(errorPosition(badParam, messageOf(badParam))).toEqual({ line: 9, column: 13 });
    expect(errorPosition(LOGISTIC, "solve: dt and T must be positive")).toBeUndefined();
  });
});
