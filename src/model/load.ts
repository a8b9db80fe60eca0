// Model files: read the YAML, validate the schema, apply --set overrides -> Model (src/types.ts).
// Every problem is a one-line UsageError naming the file and line. Expressions stay text here; the
// symbolic stage (src/symbolic) parses and checks them.
import { readFileSync, statSync } from "node:fs";
import { isMap, isScalar, LineCounter, type Pair, parseDocument, type YAMLMap } from "yaml";
import { compileSchedule, parseSchedule, scheduleText, usesTime } from "../symbolic/schedule.js";
import type { Model } from "../types.js";
import { UsageError } from "../util/errors.js";
import { checkTimeGrid } from "../util/time.js";

const MAX_BYTES = 256 * 1024;
/** Largest k and k_teacher: the symbolic Hessian has k^2 entries and every kernel k^2 blocks. */
export const MAX_K = 8;
const EXPRESSION_KEYS = ["activation", "loss", "label", "penalty"] as const;
const KEYS = [
  "name",
  "description",
  ...EXPRESSION_KEYS,
  "init_std",
  "init_overlap",
  "teacher_variance",
  "k",
  "k_teacher",
  "parameters",
  "time",
] as const;
const REQUIRED = ["name", "description", "loss", "label", "parameters"];
/** Names a parameter may not take: variables, constants, functions, and the k > 1 variable families. */
const RESERVED = /^(t|r|y|yhat|wstar|eps|theta|pi|e|r\d+|yhat\d+|wstar\d+|r_\w*|wstar_\w*)$/;
const FUNCTION_NAMES =
  "exp log log1p sqrt abs sign tanh cosh sinh erf sigmoid softplus min max sum constructor prototype".split(
    " ",
  );
export const DEFAULT_TIME = { T: 4, dt: 0.1 };
/** Settings other than parameters that `--set name=value` may override (unless a parameter has the name). */
export const SETTABLE = ["init_std", "init_overlap", "teacher_variance", "T", "dt"] as const;

/** --set values: a number, or a schedule text (an expression in t). */
export type Sets = Record<string, number | string>;

export function loadModel(path: string, sets: Sets = {}): Model {
  let text: string;
  try {
    if (statSync(path).size > MAX_BYTES) throw new UsageError(`${path}: model file larger than 256 KiB`);
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read model file '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseModel(text, path, sets);
}

/** Validates model-file text (exported for tests and for models built in memory). */
export function parseModel(text: string, source: string, sets: Sets = {}): Model {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : counter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const msg = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new UsageError(`${source}:${lineOf(e.pos[0])}: malformed YAML: ${msg}`);
  }
  const root = doc.contents;
  if (!isMap(root))
    throw new UsageError(`${source}:1: a model file must be a YAML mapping of keys to values`);
  const fail = (line: number, msg: string): never => {
    throw new UsageError(`${source}:${line}: ${msg}`);
  };
  const lines: Record<string, number> = {};
  let values: Record<string, unknown>;
  try {
    values = doc.toJS({ maxAliasCount: 50 }) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${source}: malformed YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  for (const pair of (root as YAMLMap).items as Pair[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const line = lineOf(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    if (!(KEYS as readonly string[]).includes(key))
      fail(line, `unknown key '${key}' (allowed: ${KEYS.join(", ")})`);
    lines[key] = line;
  }
  for (const key of REQUIRED) if (!Object.hasOwn(values, key)) fail(1, `missing required key '${key}'`);
  const at = (key: string) => lines[key] ?? 1;
  const str = (key: string, fallback?: string): string => {
    const v = values[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === "number" && EXPRESSION_KEYS.includes(key as never)) return String(v);
    if (typeof v !== "string" || v.trim() === "") return fail(at(key), `'${key}' must be a non-empty string`);
    return v.trim();
  };
  const number = (key: string, fallback: number, ok: (v: number) => boolean, what: string): number => {
    const v = values[key] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v))
      return fail(at(key), `'${key}' must be ${what}, got ${shown(v)}`);
    return v;
  };
  const setting = (
    key: (typeof SETTABLE)[number],
    fallback: number,
    ok: (v: number) => boolean,
    what: string,
  ) => {
    if (!Object.hasOwn(settings, key)) return number(key, fallback, ok, what);
    if (!ok(settings[key])) throw new UsageError(`--set ${key}: must be ${what}, got ${settings[key]}`);
    return settings[key];
  };
  const name = str("name");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
    fail(at("name"), `'name' must be letters, digits, '-', '_' or '.', got '${name}'`);
  const width = (v: number) => Number.isInteger(v) && v >= 1 && v <= MAX_K;
  const k = number("k", 1, width, `an integer from 1 to ${MAX_K}`);
  const kTeacher = number("k_teacher", 1, width, `an integer from 1 to ${MAX_K}`);
  const raw = readParameters(values.parameters, at("parameters"), fail);
  // --set init_std / teacher_variance / T / dt: the file's values are replaced before they are checked.
  const settings: Record<string, number> = {};
  for (const [key, v] of Object.entries(sets)) {
    if (!Object.hasOwn(raw, key) && (SETTABLE as readonly string[]).includes(key)) {
      if (typeof v !== "number") throw new UsageError(`--set ${key}: must be a number, got '${v}'`);
      settings[key] = v;
      continue;
    }
    if (!Object.hasOwn(raw, key))
      throw new UsageError(
        `--set ${key}: '${key}' is not a parameter of ${source} (declared: ${Object.keys(raw).join(", ")}; ` +
          `also settable: ${SETTABLE.join(", ")})`,
      );
    if (typeof v === "number" && !Number.isFinite(v))
      throw new UsageError(`--set ${key}: value must be a finite number`);
    raw[key] = v;
  }
  const where = (key: string) =>
    Object.hasOwn(sets, key) ? `--set ${key}` : `${source}:${at("parameters")}`;
  const { parameters, schedules } = readSchedules(raw, where);
  if (!(parameters.delta > 0))
    throw new UsageError(`${where("delta")}: delta (= n/d) must be > 0, got ${parameters.delta}`);
  if (!(parameters.tau >= 0))
    throw new UsageError(`${where("tau")}: tau (SGF noise level) must be >= 0, got ${parameters.tau}`);
  return {
    name,
    description: str("description"),
    k,
    kTeacher,
    // k > 1 without an activation: the loss is written in r1..rk and there is no scalar prediction yhat.
    activation: Object.hasOwn(values, "activation") ? str("activation") : k > 1 ? "" : "r",
    loss: str("loss"),
    label: str("label"),
    penalty: str("penalty", "0"),
    initStd: setting("init_std", 0, (v) => v >= 0, "a finite number >= 0"),
    initOverlap: setting(
      "init_overlap",
      0,
      (v) => v === 0 || k === kTeacher,
      "a finite number (theta^0 = init_overlap theta* + init_std xi needs k = k_teacher)",
    ),
    teacherVariance: setting("teacher_variance", 1, (v) => v > 0, "a finite number > 0"),
    parameters,
    ...(Object.keys(schedules).length > 0 ? { schedules } : {}),
    time: readTime(values.time, at("time"), fail, settings, source),
    source,
    lines,
  };
}

/**
 * Splits numbers from schedules (strings, expressions in t; src/symbolic/schedule.ts). A schedule that does
 * not use t is stored as its number (so it behaves exactly like the constant); one that does keeps its text in
 * `schedules` and its value at t = 0 in `parameters`. delta cannot be scheduled (the data are fixed); label
 * parameters are refused by the symbolic stage, which parses the label.
 */
function readSchedules(raw: Record<string, number | string>, where: (key: string) => string) {
  const numbers: Record<string, number> = {};
  for (const [key, v] of Object.entries(raw)) if (typeof v === "number") numbers[key] = v;
  const parameters = { ...numbers };
  const schedules: Record<string, string> = {};
  for (const [key, v] of Object.entries(raw)) {
    if (typeof v === "number") continue;
    if (key === "delta")
      throw new UsageError(
        `${where(key)}: delta (= n/d) cannot be a schedule: the data set, and so n/d, is fixed during training`,
      );
    const s = parseSchedule(v, `${where(key)}: schedule of ${key}`, numbers);
    const value = compileSchedule(s, numbers)(0);
    if (!Number.isFinite(value))
      throw new UsageError(`${where(key)}: schedule of ${key} is ${value} at t = 0`);
    parameters[key] = value;
    if (usesTime(s)) schedules[key] = scheduleText(s);
  }
  return { parameters: Object.fromEntries(Object.keys(raw).map((k) => [k, parameters[k]])), schedules };
}

function readParameters(
  raw: unknown,
  line: number,
  fail: (line: number, msg: string) => never,
): Record<string, number | string> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return fail(
      line,
      "'parameters' must be a mapping of names to numbers or schedules, e.g. { delta: 2, tau: \"1 / (1 + t)\" }",
    );
  const out: Record<string, number | string> = {};
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) fail(line, `parameter name '${key}' is not an identifier`);
    if (RESERVED.test(key) || FUNCTION_NAMES.includes(key))
      fail(line, `parameter name '${key}' is reserved (a variable, constant or function name)`);
    if (typeof v === "string" && v.trim() !== "") {
      out[key] = v.trim();
      continue;
    }
    if (typeof v !== "number")
      fail(
        line,
        `parameter '${key}' must be a number or a schedule (an expression in t, in quotes), got ${JSON.stringify(v)}`,
      );
    if (!Number.isFinite(v)) fail(line, `parameter '${key}' must be finite, got ${v}`);
    out[key] = v as number;
  }
  for (const key of ["delta", "tau"])
    if (!Object.hasOwn(out, key))
      fail(
        line,
        `parameters must declare '${key}' (delta = n/d, tau = SGF noise level; tau: 0 is gradient flow)`,
      );
  return out;
}

/** A YAML value for a message: strings quoted (T: "4" is a string, not the number 4). */
function shown(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function readTime(
  raw: unknown,
  line: number,
  fail: (line: number, msg: string) => never,
  sets: Record<string, number>,
  source: string,
): Model["time"] {
  if (raw !== undefined && (raw === null || typeof raw !== "object" || Array.isArray(raw)))
    return fail(line, "'time' must be a mapping { T: <end time>, dt: <step> }");
  const t = (raw ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(t))
    if (key !== "T" && key !== "dt") fail(line, `unknown key 'time.${key}' (allowed: T, dt)`);
  const read = (key: "T" | "dt"): number => {
    if (Object.hasOwn(sets, key)) {
      if (!(sets[key] > 0)) throw new UsageError(`--set ${key}: must be a number > 0, got ${sets[key]}`);
      return sets[key];
    }
    const v = t[key] ?? DEFAULT_TIME[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0)
      fail(
        line,
        `time.${key} must be a number > 0, got ${shown(v)}${typeof v === "string" ? " (a string; drop the quotes)" : ""}`,
      );
    return v as number;
  };
  const T = read("T");
  const dt = read("dt");
  const from = Object.hasOwn(sets, "T") || Object.hasOwn(sets, "dt") ? "--set" : `${source}:${line}`;
  if (dt > T) throw new UsageError(`${from}: time.dt = ${dt} must not exceed time.T = ${T}`);
  checkTimeGrid(T, dt, from);
  return { T, dt };
}
