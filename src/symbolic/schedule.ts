// Schedules (issue 16): a parameter given as an expression in the time t, e.g. "1 / (1 + t)" or a drop
// "t < 3 ? 1 : 0.1". A schedule is a tree of conditionals `t <op> c ? a : b` (c free of t, op one of
// < <= > >=) whose leaves are checked expressions in t (parse.ts whitelist; numeric parameters allowed).
// Convention: the value used on step [t_k, t_k+1) is the schedule at the left end t_k = k dt, and at a switch
// point c the value after it (the right limit), so `t < 3` and `t <= 3` both switch at the step starting at
// t = 3; a switch point must lie on the time grid. Values are computed once per step into a table
// (scheduleTable); hot loops read the table, never the expression.
import { UsageError } from "../util/errors.js";
import { dependsOn, type Expr, sym, toText } from "./ast.js";
import { genSource } from "./codegen.js";
import { compileSource } from "./compile.js";
import { toLatex } from "./latex.js";
import { math } from "./mathjs.js";
import { parseExpr } from "./parse.js";
import { typeset } from "./typeset.js";

/** A parsed schedule: a leaf expression in t, or a switch at t = c. */
export type Schedule =
  | { k: "leaf"; e: Expr }
  | { k: "switch"; c: number; cText: string; op: string; before: Schedule; after: Schedule };

interface MNode {
  type: string;
  name?: string;
  op?: string;
  args?: MNode[];
  content?: MNode;
  condition?: MNode;
  trueExpr?: MNode;
  falseExpr?: MNode;
  toString(): string;
}

const COMPARE = ["<", "<=", ">", ">="];

/**
 * Parses a schedule. `where` prefixes messages; `params` are the numeric parameters it may use.
 * Throws a UsageError saying what is wrong (unknown symbol, comparison not of the form t < c, ...).
 */
export function parseSchedule(text: string, where: string, params: Record<string, number>): Schedule {
  const fail = (msg: string): never => {
    throw new UsageError(`${where}: ${msg}`);
  };
  let root: MNode;
  try {
    root = math.parse(text) as unknown as MNode;
  } catch (err) {
    return fail(`cannot parse schedule '${text}': ${(err as Error).message}`);
  }
  const names = Object.keys(params);
  const value = (n: MNode): number => {
    const e = parseExpr(n.toString(), { where, vars: [], params: names });
    const v = compileSource(genSource(e, [], params))();
    if (!Number.isFinite(v)) fail(`switch point '${n.toString()}' is not a finite number`);
    return v;
  };
  const isT = (n: MNode) => n.type === "SymbolNode" && n.name === "t";
  const conv = (n: MNode): Schedule => {
    while (n.type === "ParenthesisNode") n = n.content as MNode;
    if (n.type !== "ConditionalNode") {
      const bad = (n as unknown as { filter(f: (x: MNode) => boolean): MNode[] }).filter(
        (x) => x.type === "ConditionalNode" || (x.type === "OperatorNode" && COMPARE.includes(String(x.op))),
      );
      if (bad.length > 0)
        fail(
          `'${bad[0].toString()}': comparisons and 'a ? b : c' may only form the whole schedule or a branch of another conditional, e.g. t < 3 ? 1 : 0.1`,
        );
      return { k: "leaf", e: parseExpr(n.toString(), { where, vars: ["t"], params: names }) };
    }
    let cond = n.condition as MNode;
    while (cond.type === "ParenthesisNode") cond = cond.content as MNode;
    const args = cond.args ?? [];
    if (cond.type !== "OperatorNode" || !COMPARE.includes(String(cond.op)) || args.length !== 2)
      return fail(`condition '${cond.toString()}' must compare t with a number, e.g. t < 3`);
    const [l, r] = args;
    const tLeft = isT(l);
    if (tLeft === isT(r) || dependsOnT(tLeft ? r : l))
      return fail(`condition '${cond.toString()}' must compare t with an expression free of t, e.g. t < 3`);
    const op = String(cond.op);
    // "t < c" / "c > t": the true branch is before c; "t > c" / "c < t": after c.
    const trueBefore = tLeft ? op.startsWith("<") : op.startsWith(">");
    const side = tLeft ? r : l;
    const yes = conv(n.trueExpr as MNode);
    const no = conv(n.falseExpr as MNode);
    return {
      k: "switch",
      c: value(side),
      cText: side.toString(),
      op: tLeft ? op : { "<": ">", "<=": ">=", ">": "<", ">=": "<=" }[op]!,
      before: trueBefore ? yes : no,
      after: trueBefore ? no : yes,
    };
  };
  return conv(root);
}

function dependsOnT(n: MNode): boolean {
  return (n as unknown as { filter(f: (x: MNode) => boolean): MNode[] })
    .filter((x) => x.type === "SymbolNode" && x.name === "t")
    .some(() => true);
}

/** True when the schedule uses t (otherwise it is a constant and is stored as a number). */
export function usesTime(s: Schedule): boolean {
  return s.k === "switch" || dependsOn(s.e, "t");
}

/** The switch points of a schedule. */
export function switchPoints(s: Schedule): number[] {
  return s.k === "leaf" ? [] : [s.c, ...switchPoints(s.before), ...switchPoints(s.after)];
}

/** A compiled schedule: value(t) with the right-limit convention at switch points. */
export function compileSchedule(s: Schedule, params: Record<string, number>): (t: number) => number {
  if (s.k === "leaf") {
    const f = compileSource(genSource(s.e, ["t"], params));
    return (t) => f(t);
  }
  const before = compileSchedule(s.before, params);
  const after = compileSchedule(s.after, params);
  return (t) => (t >= s.c ? after(t) : before(t));
}

/** mathjs-syntax text of a schedule (what derive and the report display). */
export function scheduleText(s: Schedule): string {
  if (s.k === "leaf") return toText(s.e);
  return `t ${s.op} ${s.cText} ? ${scheduleText(s.op.startsWith("<") ? s.before : s.after)} : ${scheduleText(s.op.startsWith("<") ? s.after : s.before)}`;
}

/** LaTeX of a schedule: a cases environment for switches (t < c first). */
export function scheduleLatex(s: Schedule, name: string): string {
  const rows: string[] = [];
  const walk = (x: Schedule, cond: string[]) => {
    if (x.k === "leaf") {
      rows.push(`${typeset(name, x.e, name)} & ${cond.join(",\\ ")}`);
      return;
    }
    const c = Number.isInteger(x.c) ? String(x.c) : x.cText;
    walk(x.before, [...cond, `t < ${c}`]);
    walk(x.after, [...cond, `t \\ge ${c}`]);
  };
  if (s.k === "leaf") return typeset(name, s.e, name);
  walk(s, []);
  return `\\begin{cases} ${rows.join(" \\\\ ")} \\end{cases}`;
}

/** The scheduled parameters of a derived model (Derived.schedule), in slot order. */
export interface ScheduleSet {
  names: string[];
  /** Normalised text and LaTeX (right-hand side) of each schedule. */
  text: Record<string, string>;
  latex: Record<string, string>;
  /** Switch points of all schedules (must lie on a solver's time grid). */
  switches: number[];
  /** out[i] = value of schedule i at time t (right limit at switch points). */
  at(t: number, out: Float64Array): void;
}

/** LaTeX of a parameter name, as in the model's formulas. */
export const texName = (name: string): string => toLatex(sym(name));

/** Builds the ScheduleSet of Model.schedules with the model's numeric parameters. */
export function scheduleSet(
  schedules: Record<string, string>,
  parameters: Record<string, number>,
  where: string,
): ScheduleSet {
  const names = Object.keys(schedules);
  const numbers = Object.fromEntries(Object.entries(parameters).filter(([k]) => !names.includes(k)));
  const parsed = names.map((n) => parseSchedule(schedules[n], `${where}: schedule of ${n}`, numbers));
  const fns = parsed.map((s) => compileSchedule(s, numbers));
  return {
    names,
    text: Object.fromEntries(names.map((n, i) => [n, scheduleText(parsed[i])])),
    latex: Object.fromEntries(names.map((n, i) => [n, scheduleLatex(parsed[i], `${texName(n)}(t)`)])),
    switches: [...new Set(parsed.flatMap(switchPoints))].sort((a, b) => a - b),
    at: (t, out) => {
      for (let i = 0; i < fns.length; i++) out[i] = fns[i](t);
    },
  };
}

/**
 * The values of every scheduled parameter at t_k = k dt, k = 0..N, row k at k * names.length (evaluated once
 * per step, here). A switch point strictly inside (0, N dt) must be a multiple of dt (else UsageError: the
 * step containing it would blur the drop and the dt/2 solve of --extrapolate would see another schedule);
 * k dt within rounding of a switch point counts as the switch point.
 */
export function scheduleTable(s: ScheduleSet, dt: number, N: number, what: string): Float64Array {
  const n = s.names.length;
  const out = new Float64Array((N + 1) * n);
  for (const c of s.switches) {
    const k = Math.round(c / dt);
    if (c > 0 && c < N * dt && Math.abs(c - k * dt) > 1e-9 * Math.max(1, Math.abs(c)))
      throw new UsageError(
        `${what}: a schedule switches at t = ${c}, between grid points of dt = ${dt}; ` +
          `move the switch onto the grid (t = ${+(Math.floor(c / dt) * dt).toFixed(12)} or ${+(Math.ceil(c / dt) * dt).toFixed(12)}) or pick a dt that divides it`,
      );
  }
  for (let k = 0; k <= N; k++) {
    let t = k * dt;
    for (const c of s.switches) if (Math.abs(t - c) <= 1e-9 * Math.max(1, Math.abs(c))) t = c;
    s.at(t, out.subarray(k * n, (k + 1) * n));
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(out[k * n + i]))
        throw new UsageError(`${what}: the schedule of ${s.names[i]} is ${out[k * n + i]} at t = ${t}`);
  }
  return out;
}

/** Per-step values of one parameter: its schedule column, or the constant repeated (N + 1 entries). */
export function stepValues(
  parameters: Record<string, number>,
  s: ScheduleSet | undefined,
  table: Float64Array | undefined,
  name: string,
  N: number,
): Float64Array {
  const i = s ? s.names.indexOf(name) : -1;
  const out = new Float64Array(N + 1);
  if (i < 0 || !s || !table) return out.fill(parameters[name]);
  for (let k = 0; k <= N; k++) out[k] = table[k * s.names.length + i];
  return out;
}

/** A solve's per-step parameter values for its workers: `table` as scheduleTable, tau per step. */
export interface StepSchedule {
  n: number;
  table: Float64Array;
  tau: Float64Array;
}

/**
 * The StepSchedule of a model on t_k = k dt (undefined without schedules). tau is 0 at every step for gradient
 * flow; `positiveTau` (SGD, the sgd-limit) requires tau(t_k) > 0 at every step, otherwise tau(t_k) >= 0.
 */
export function stepSchedule(
  model: { parameters: Record<string, number> },
  s: ScheduleSet | undefined,
  dt: number,
  N: number,
  what: string,
  opts: { gd?: boolean; positiveTau?: boolean } = {},
): StepSchedule | undefined {
  if (!s) return undefined;
  const table = scheduleTable(s, dt, N, what);
  const tau = opts.gd ? new Float64Array(N + 1) : stepValues(model.parameters, s, table, "tau", N);
  for (let k = 0; k <= N; k++)
    if (opts.positiveTau ? !(tau[k] > 0) : !(tau[k] >= 0))
      throw new UsageError(
        `${what}: tau(t) must be ${opts.positiveTau ? "> 0 for this dynamics (SGD steps of eta = tau B)" : ">= 0"}, but tau(${+(k * dt).toFixed(12)}) = ${tau[k]}`,
      );
  return { n: s.names.length, table, tau };
}

/** Writes step k's scheduled values into the slots P of the model functions. */
export function setSlots(P: Float64Array, sc: StepSchedule, k: number): void {
  for (let i = 0; i < sc.n; i++) P[i] = sc.table[k * sc.n + i];
}

/** Puts the t = 0 values back into a derived model's slots (after a run that stepped them in-process). */
export function resetSlots(derived: {
  model: { parameters: Record<string, number> };
  schedule?: { names: string[]; slots: Float64Array };
}): void {
  derived.schedule?.names.forEach((n, i) => {
    derived.schedule!.slots[i] = derived.model.parameters[n];
  });
}
