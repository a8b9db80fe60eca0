// The playground's state as text: the URL hash (#model=<base64url YAML>&seed=S&samples=M&sim=1&run=1), the
// preset a model text is (up to parameter values, which become --set), the CLI command that reproduces the
// view, slider edits of the YAML, and the line/column of an error message. Pure functions, tested in Node.
import { isMap, parseDocument } from "yaml";

export interface ViewState {
  /** The model YAML as typed. */
  text: string;
  seed: number;
  /** Monte-Carlo population size M. */
  samples: number;
  /** Also run the finite-d simulation (points). */
  sim: boolean;
  /** Start the solve on load. */
  run: boolean;
}

export const DEFAULTS = { seed: 1, samples: 4000, sim: false, run: false };
/** The simulation the page runs when asked (small enough to stay interactive). */
export const SIM = { d: 200, seeds: 4 };

export function toBase64Url(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(s: string): string {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function positiveInt(s: string | null, fallback: number): number {
  const v = s === null ? Number.NaN : Number(s);
  return Number.isInteger(v) && v >= 0 ? v : fallback;
}

/** Reads the hash; missing or unreadable fields keep their defaults (text undefined: no model given). */
export function parseHash(hash: string): Omit<ViewState, "text"> & { text?: string } {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  let text: string | undefined;
  const m = q.get("model");
  if (m) {
    try {
      text = fromBase64Url(m);
    } catch {
      text = undefined;
    }
  }
  return {
    text,
    seed: positiveInt(q.get("seed"), DEFAULTS.seed),
    samples: positiveInt(q.get("samples"), DEFAULTS.samples),
    sim: q.get("sim") === "1",
    run: q.get("run") === "1",
  };
}

export function formatHash(s: ViewState): string {
  const parts = [`model=${toBase64Url(s.text)}`, `seed=${s.seed}`, `samples=${s.samples}`];
  if (s.sim) parts.push("sim=1");
  if (s.run) parts.push("run=1");
  return `#${parts.join("&")}`;
}

function parsed(text: string): Record<string, unknown> | undefined {
  try {
    const doc = parseDocument(text);
    if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
    return doc.toJS() as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Canonical JSON (sorted keys) for comparing parsed YAML values. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export interface PresetMatch {
  /** Preset file name under models/. */
  file: string;
  /** Parameters whose values differ from the preset's (the CLI's --set). */
  sets: Record<string, number>;
}

/**
 * The preset this text is, up to comments, layout and parameter values (same parameter names), or
 * undefined. Such a model is solved as `models/<file> --set ...`, so its JSON equals the CLI's exactly.
 */
export function matchPreset(text: string, presets: Record<string, string>): PresetMatch | undefined {
  const mine = parsed(text);
  if (!mine) return undefined;
  const params = mine.parameters as Record<string, unknown> | undefined;
  for (const [file, presetText] of Object.entries(presets)) {
    const theirs = parsed(presetText);
    if (!theirs || !params || typeof params !== "object") continue;
    const base = theirs.parameters as Record<string, number>;
    const same =
      canonical({ ...mine, parameters: 0 }) === canonical({ ...theirs, parameters: 0 }) &&
      canonical(Object.keys(params).sort()) === canonical(Object.keys(base).sort());
    if (!same) continue;
    const sets: Record<string, number> = {};
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== "number") return undefined;
      if (!Object.is(v, base[k])) sets[k] = v;
    }
    return { file, sets };
  }
  return undefined;
}

/** Shell commands that reproduce the view with the CLI (the JSON download equals the solve's --out file). */
export function cliCommand(s: ViewState, presets: Record<string, string>): string {
  const hit = matchPreset(s.text, presets);
  const lines: string[] = [];
  let file = "model.yaml";
  let sets = "";
  if (hit) {
    file = `models/${hit.file}`;
    sets = Object.entries(hit.sets)
      .map(([k, v]) => ` --set ${k}=${v}`)
      .join("");
  } else {
    const body = s.text.endsWith("\n") ? s.text : `${s.text}\n`;
    lines.push(`cat > model.yaml <<'EOF'\n${body}EOF`);
  }
  lines.push(`npx dmftkit solve ${file}${sets} --seed ${s.seed} --samples ${s.samples} --out dmft.json`);
  if (s.sim)
    lines.push(
      `npx dmftkit simulate ${file}${sets} --d ${SIM.d} --seeds ${SIM.seeds} --dynamics sgf --seed ${s.seed} --out sgf.json`,
    );
  return lines.join("\n");
}

/** The text with parameters.<name> set to `value` (comments and layout kept where the YAML library can). */
export function setParameter(text: string, name: string, value: number): string {
  const doc = parseDocument(text);
  doc.setIn(["parameters", name], value);
  return doc.toString();
}

/**
 * Line and column (1-based) of a model error message (`<source>:<line>: <key>: ...`): the column is
 * where the quoted culprit ('exq') first appears in that line's value, or mathjs's "(char N)", or the
 * value's start.
 */
export function errorPosition(text: string, message: string): { line: number; column: number } | undefined {
  const hit = /^[^:\n]+:(\d+):/.exec(message);
  if (!hit) return undefined;
  const lineNo = Number(hit[1]);
  const line = text.split("\n")[lineNo - 1];
  if (line === undefined || lineNo < 1) return { line: Math.max(1, lineNo), column: 1 };
  const colon = line.indexOf(":");
  const valueStart =
    colon < 0 ? 0 : colon + 1 + (line.slice(colon + 1).length - line.slice(colon + 1).trimStart().length);
  const char = /\(char (\d+)\)/.exec(message);
  if (char) return { line: lineNo, column: valueStart + Number(char[1]) };
  const quoted = /'([^']+)'/.exec(message.slice(hit[0].length));
  if (quoted) {
    const at = line.indexOf(quoted[1], valueStart);
    if (at >= 0) return { line: lineNo, column: at + 1 };
  }
  return { line: lineNo, column: valueStart + 1 };
}
