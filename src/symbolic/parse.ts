// Model expressions -> checked Expr. mathjs parses the text; every node is checked against a whitelist
// (arithmetic, ^, the functions below, the variables of this expression, declared parameters, pi, e)
// before it is converted, so nothing else (property access, assignment, strings, ...) gets through.
// Vector models: the families r1..rK / wstar1..wstarK* and the compact form sum(body, a), expanded here
// over a = 1..K when the body uses r_a, over 1..K* when it uses wstar_a; the bare index a inside the body
// is the number a. Steps: step(u) and the comparisons a > b, a >= b, a < b, a <= b become
// (1 + sign(a - b)) / 2 (value 1/2 at a tie), so every step the symbolic core sees is a sign(u) node.
import { UsageError } from "../util/errors.js";
import { add, div, type Expr, fn, mul, neg, num, pow, sub, sym } from "./ast.js";
import { math } from "./mathjs.js";

/** Whitelisted functions and their number of arguments. */
export const FUNCTIONS: Record<string, number> = {
  exp: 1,
  log: 1,
  log1p: 1,
  sqrt: 1,
  abs: 1,
  sign: 1,
  tanh: 1,
  cosh: 1,
  sinh: 1,
  erf: 1,
  erfc: 1,
  ncdf: 1,
  logncdf: 1,
  step: 1,
  sigmoid: 1,
  softplus: 1,
  min: 2,
  max: 2,
};
/** Helpers that only derivatives contain (invmills = phi / Phi, the derivative of logncdf); ctx.derived. */
const DERIVED_ONLY: Record<string, number> = { invmills: 1 };
export const CONSTANTS = ["pi", "e"];
const MAX_CHARS = 2000;
/** Bound on the expanded tree (nested sums multiply): keeps sum(sum(sum(...))) from exploding. */
const MAX_NODES = 50_000;

/** Names of a variable family r / wstar for width n: n = 1 is the scalar name, else name1..namen. */
export function familyNames(base: string, n: number): string[] {
  return n === 1 ? [base] : Array.from({ length: n }, (_, i) => `${base}${i + 1}`);
}

export interface ParseContext {
  /** Prefix of every message, e.g. "models/x.yaml:5: loss". */
  where: string;
  /** Variables allowed in this expression (e.g. yhat, r, y for the loss). */
  vars: string[];
  /** Declared parameter names. */
  params: string[];
  /** Indexed families usable here (e.g. { r: ["r1", "r2"] }): r_a in sum(..., a), range messages. */
  families?: Record<string, string[]>;
  /** Re-parsing derived text (the DMFT document): also accept the derivative-only helpers. */
  derived?: boolean;
}

interface MNode {
  type: string;
  name?: string;
  value?: unknown;
  op?: string;
  fn?: MNode | string;
  args?: MNode[];
  content?: MNode;
  implicit?: boolean;
  toString(): string;
}

/** Heaviside step with step(0) = 1/2, as the symbolic core keeps it: (1 + sign(u)) / 2. */
const step = (u: Expr): Expr => div(add(num(1), fn("sign", u)), num(2));

const BINARY: Record<string, (a: Expr, b: Expr) => Expr> = {
  add,
  subtract: sub,
  multiply: mul,
  divide: div,
  pow,
  larger: (a, b) => step(sub(a, b)),
  largerEq: (a, b) => step(sub(a, b)),
  smaller: (a, b) => step(sub(b, a)),
  smallerEq: (a, b) => step(sub(b, a)),
};

export function parseExpr(text: string, ctx: ParseContext): Expr {
  const fail = (msg: string): never => {
    throw new UsageError(`${ctx.where}: ${msg}`);
  };
  if (text.length > MAX_CHARS) fail(`expression longer than ${MAX_CHARS} characters`);
  let root: MNode;
  try {
    root = math.parse(text) as unknown as MNode;
  } catch (err) {
    return fail(`cannot parse '${text}': ${(err as Error).message}`);
  }
  const families = ctx.families ?? {};
  const hasFamilies = Object.keys(families).length > 0;
  const allowed = () =>
    `allowed here: ${[...ctx.vars, ...ctx.params].join(", ")}; constants ${CONSTANTS.join(", ")}; ` +
    `functions ${Object.keys(FUNCTIONS).join(", ")}${hasFamilies ? ", sum(expr, a)" : ""}`;
  /** Index variables of the enclosing sum(...)s and their current values. */
  const bound = new Map<string, number>();
  let nodes = 0;
  const symbol = (name: string): Expr => {
    const index = bound.get(name);
    if (index !== undefined) return num(index);
    const fam = /^([A-Za-z]+)(?:_([A-Za-z]\w*)|([1-9]\d*))$/.exec(name);
    const members = fam ? families[fam[1]] : undefined;
    if (fam && members) {
      const at = fam[2] !== undefined ? bound.get(fam[2]) : Number(fam[3]);
      if (at === undefined)
        return fail(`'${name}' outside sum(..., ${fam[2]}) (write e.g. sum(${name}, ${fam[2]}))`);
      // k = 1: r1 is another name for r
      if (at >= 1 && at <= members.length) return sym(members[at - 1]);
      if (fam[3] !== undefined)
        return fail(
          `'${name}' is out of range: this model has ${members.length === 1 ? members[0] : `${members[0]}..${members[members.length - 1]}`} (set k / k_teacher)`,
        );
    }
    if (ctx.vars.includes(name) || ctx.params.includes(name) || CONSTANTS.includes(name)) return sym(name);
    if (Object.hasOwn(FUNCTIONS, name) || name === "sum")
      return fail(`function '${name}' used without arguments`);
    return fail(`unknown symbol '${name}' (${allowed()})`);
  };
  const sum = (n: MNode, args: MNode[]): Expr => {
    const usage = `use sum(expression, a) with an index a and ${Object.keys(families)
      .map((f) => `${f}_a`)
      .join(" or ")} inside`;
    if (!hasFamilies) return fail(`unknown function 'sum' (${allowed()})`);
    const [body, idx] = args;
    if (args.length !== 2 || idx.type !== "SymbolNode") return fail(`'${n.toString()}': ${usage}`);
    const a = String(idx.name);
    if (!/^[A-Za-z]\w*$/.test(a) || [...ctx.vars, ...ctx.params, ...CONSTANTS].includes(a) || bound.has(a))
      return fail(`'${n.toString()}': the index '${a}' is already a name here; pick another`);
    if (Object.hasOwn(FUNCTIONS, a) || /^(r|wstar|yhat|sum)(\d*)$/.test(a))
      return fail(`'${n.toString()}': the index '${a}' is a reserved name; pick another`);
    // The range comes from the families the body indexes with a.
    const used = new Set<string>();
    for (const s of (body as unknown as { filter(f: (x: MNode) => boolean): MNode[] }).filter(
      (x) => x.type === "SymbolNode",
    )) {
      const m = /^([A-Za-z]+)_(\w+)$/.exec(String(s.name));
      if (m && m[2] === a && families[m[1]]) used.add(m[1]);
    }
    // Each expression has one family (activation, loss: r; label: wstar), so the range is its width.
    const family = [...used][0];
    if (family === undefined) return fail(`'${n.toString()}': ${usage}`);
    let acc: Expr | undefined;
    for (let i = 1; i <= families[family].length; i++) {
      bound.set(a, i);
      const term = conv(body);
      acc = acc ? add(acc, term) : term;
    }
    bound.delete(a);
    return acc!;
  };
  const conv = (n: MNode): Expr => {
    if (++nodes > MAX_NODES) fail(`expression too large after expanding sum(...) (over ${MAX_NODES} nodes)`);
    switch (n.type) {
      case "ConstantNode":
        if (typeof n.value !== "number" || !Number.isFinite(n.value))
          return fail(`constant '${n.toString()}' is not a finite number`);
        return num(n.value);
      case "SymbolNode":
        return symbol(String(n.name));
      case "ParenthesisNode":
        return conv(n.content as MNode);
      case "OperatorNode": {
        const args = (n.args ?? []).map(conv);
        const f = String(n.fn);
        if (f === "unaryMinus" && args.length === 1) return neg(args[0]);
        if (f === "unaryPlus" && args.length === 1) return args[0];
        const bin = BINARY[f];
        if (bin && args.length === 2) return bin(args[0], args[1]);
        return fail(`operator '${n.op}' is not allowed (use + - * / ^ and the comparisons < <= > >=)`);
      }
      case "FunctionNode": {
        const callee = n.fn as MNode;
        if (callee.type !== "SymbolNode") return fail(`unsupported call '${n.toString()}'`);
        const name = String(callee.name);
        if (name === "sum") return sum(n, n.args ?? []);
        const known = Object.hasOwn(FUNCTIONS, name) || (ctx.derived && Object.hasOwn(DERIVED_ONLY, name));
        if (!known) return fail(`unknown function '${name}' (${allowed()})`);
        const arity = FUNCTIONS[name] ?? DERIVED_ONLY[name];
        const args = n.args ?? [];
        if (args.length !== arity)
          return fail(
            `${name} takes ${arity} argument${arity > 1 ? "s" : ""}, got ${args.length} in '${n.toString()}'`,
          );
        return name === "step" ? step(conv(args[0])) : fn(name, ...args.map(conv));
      }
      default:
        return fail(`unsupported construct '${n.toString()}' (${n.type})`);
    }
  };
  return conv(root);
}
