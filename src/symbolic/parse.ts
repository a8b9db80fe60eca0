// Model expressions -> checked Expr. mathjs parses the text; every node is checked against a whitelist
// (arithmetic, ^, the functions below, the variables of this expression, declared parameters, pi, e)
// before it is converted, so nothing else (property access, assignment, strings, ...) gets through.
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
  sigmoid: 1,
  softplus: 1,
  min: 2,
  max: 2,
};
export const CONSTANTS = ["pi", "e"];
const MAX_CHARS = 2000;

export interface ParseContext {
  /** Prefix of every message, e.g. "models/x.yaml:5: loss". */
  where: string;
  /** Variables allowed in this expression (e.g. yhat, r, y for the loss). */
  vars: string[];
  /** Declared parameter names. */
  params: string[];
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

const BINARY: Record<string, (a: Expr, b: Expr) => Expr> = {
  add,
  subtract: sub,
  multiply: mul,
  divide: div,
  pow,
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
  const allowed = () =>
    `allowed here: ${[...ctx.vars, ...ctx.params].join(", ")}; constants ${CONSTANTS.join(", ")}; ` +
    `functions ${Object.keys(FUNCTIONS).join(", ")}`;
  const conv = (n: MNode): Expr => {
    switch (n.type) {
      case "ConstantNode":
        if (typeof n.value !== "number" || !Number.isFinite(n.value))
          return fail(`constant '${n.toString()}' is not a finite number`);
        return num(n.value);
      case "SymbolNode": {
        const name = String(n.name);
        if (ctx.vars.includes(name) || ctx.params.includes(name) || CONSTANTS.includes(name))
          return sym(name);
        if (Object.hasOwn(FUNCTIONS, name)) return fail(`function '${name}' used without arguments`);
        return fail(`unknown symbol '${name}' (${allowed()})`);
      }
      case "ParenthesisNode":
        return conv(n.content as MNode);
      case "OperatorNode": {
        const args = (n.args ?? []).map(conv);
        const f = String(n.fn);
        if (f === "unaryMinus" && args.length === 1) return neg(args[0]);
        if (f === "unaryPlus" && args.length === 1) return args[0];
        const bin = BINARY[f];
        if (bin && args.length === 2) return bin(args[0], args[1]);
        return fail(`operator '${n.op}' is not allowed (use + - * / ^)`);
      }
      case "FunctionNode": {
        const callee = n.fn as MNode;
        if (callee.type !== "SymbolNode") return fail(`unsupported call '${n.toString()}'`);
        const name = String(callee.name);
        if (!Object.hasOwn(FUNCTIONS, name)) return fail(`unknown function '${name}' (${allowed()})`);
        const arity = FUNCTIONS[name];
        const args = n.args ?? [];
        if (args.length !== arity)
          return fail(
            `${name} takes ${arity} argument${arity > 1 ? "s" : ""}, got ${args.length} in '${n.toString()}'`,
          );
        return fn(name, ...args.map(conv));
      }
      default:
        return fail(`unsupported construct '${n.toString()}' (${n.type})`);
    }
  };
  return conv(root);
}
