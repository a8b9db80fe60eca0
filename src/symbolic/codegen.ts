// Expr -> JavaScript source of an arrow function, generated from the checked tree only (never from the
// user's text). Parameters are inlined as numeric literals (a scheduled parameter, issue 16, reads its
// current value P[i] instead: ParamCode), repeated subexpressions are computed once,
// small integer powers are unrolled into products, sigmoid/softplus/erf call the stable helpers of
// compile.ts. Example: "(r, y) => {\n  const t0 = sigmoid((-(y * r)));\n  return (-(y * t0));\n}".
// genBody does several outputs at once with array-element inputs (the vector sources of k > 1 models, the
// fused loss-gradient-Hessian source of every model, see genLossGradHess).
import { type Expr, sub, toText } from "./ast.js";
import { FUSED_ARGS } from "./compile.js";

const MATH_FNS = new Set([
  "exp",
  "log",
  "log1p",
  "sqrt",
  "abs",
  "sign",
  "tanh",
  "cosh",
  "sinh",
  "min",
  "max",
]);
const HELPERS = new Set(["erf", "erfc", "ncdf", "logncdf", "invmills", "sigmoid", "softplus"]);
const CONSTS: Record<string, string> = { pi: "Math.PI", e: "Math.E" };
const MAX_UNROLL = 16;

export function literal(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot inline non-finite number ${v}`);
  return v < 0 ? `(${v})` : String(Object.is(v, -0) ? 0 : v);
}

/** Parameter name -> its value (inlined as a literal) or the code reading it (a schedule slot "P[i]"). */
export type ParamCode = Record<string, number | string>;

export function genSource(e: Expr, args: string[], params: ParamCode): string {
  const { lines, values } = genBody([e], Object.fromEntries(args.map((a) => [a, a])), params);
  return `(${args.join(", ")}) => {\n${lines.map((l) => `${l}\n`).join("")}  return ${values[0]};\n}`;
}

/**
 * sigmoid/softplus of u, -u, and of a - b, b - a share exp(-|u|) (|fl(b - a)| = |fl(a - b)| exactly): the
 * argument without its sign and its sharing key, for those calls.
 */
function expShareable(x: Expr): { u: Expr; key: string } | undefined {
  if (x.k !== "fn" || (x.name !== "sigmoid" && x.name !== "softplus") || x.args.length !== 1)
    return undefined;
  const u = x.args[0].k === "neg" ? x.args[0].a : x.args[0];
  if (u.k !== "sub") return { u, key: toText(u) };
  return { u, key: [toText(u), toText(sub(u.b, u.a))].sort()[0] };
}

/**
 * Statements and value expressions computing several trees at once (subexpressions shared between them
 * are computed once). `bind` maps each free variable to the code that reads it (an argument name, or an
 * array element such as "r[ro + 1]", read once into a temporary). `shareExp`: when two or more different
 * sigmoid/softplus calls share |argument| (see expShareable), one e = exp(-|u|) feeds sigmoidE/softplusE
 * (compile.ts), bit-identical to the separate helpers.
 */
export function genBody(
  exprs: Expr[],
  bind: Record<string, string>,
  params: ParamCode,
  shareExp = false,
): { lines: string[]; values: string[] } {
  const counts = new Map<string, number>();
  /** Argument key (sign dropped) -> the different sigmoid/softplus calls on it. */
  const expUsers = new Map<string, Set<string>>();
  const count = (x: Expr): void => {
    if (x.k === "num" || x.k === "sym") return;
    const key = toText(x);
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n > 1) return; // children already counted
    const share = shareExp ? expShareable(x) : undefined;
    if (share) expUsers.set(share.key, (expUsers.get(share.key) ?? new Set()).add(key));
    if (x.k === "neg") count(x.a);
    else if (x.k === "fn") x.args.forEach(count);
    else {
      count(x.a);
      count(x.b);
    }
  };
  exprs.forEach(count);
  const lines: string[] = [];
  const names = new Map<string, string>();
  const hoist = (key: string, code: string): string => {
    const name = `t${lines.length}`;
    lines.push(`  const ${name} = ${code};`);
    names.set(key, name);
    return name;
  };
  const gen = (x: Expr, forceName = false): string => {
    if (x.k === "num") return literal(x.v);
    if (x.k === "sym") {
      if (Object.hasOwn(bind, x.name)) {
        const code = bind[x.name];
        if (/^[A-Za-z]\w*$/.test(code)) return code;
        return names.get(`@${x.name}`) ?? hoist(`@${x.name}`, code);
      }
      if (Object.hasOwn(CONSTS, x.name)) return CONSTS[x.name];
      if (Object.hasOwn(params, x.name)) {
        const v = params[x.name];
        return typeof v === "number" ? literal(v) : v;
      }
      throw new Error(`codegen: unbound symbol '${x.name}'`);
    }
    const key = toText(x);
    const known = names.get(key);
    if (known) return known;
    const code = genNode(x);
    return forceName || (counts.get(key) ?? 0) > 1 ? hoist(key, code) : code;
  };
  const genNode = (x: Expr): string => {
    switch (x.k) {
      case "neg":
        return `(-${gen(x.a)})`;
      case "add":
        return `(${gen(x.a)} + ${gen(x.b)})`;
      case "sub":
        return `(${gen(x.a)} - ${gen(x.b)})`;
      case "mul":
        return `(${gen(x.a)} * ${gen(x.b)})`;
      case "div":
        return `(${gen(x.a)} / ${gen(x.b)})`;
      case "pow": {
        const n = x.b.k === "num" ? x.b.v : Number.NaN;
        if (Number.isInteger(n) && Math.abs(n) <= MAX_UNROLL) {
          if (n === 0) return "1";
          const base = gen(x.a, x.a.k !== "num" && x.a.k !== "sym");
          const prod = `(${Array(Math.abs(n)).fill(base).join(" * ")})`;
          return n > 0 ? prod : `(1 / ${prod})`;
        }
        if (n === 0.5) return `Math.sqrt(${gen(x.a)})`;
        return `Math.pow(${gen(x.a)}, ${gen(x.b)})`;
      }
      case "fn": {
        const share = expShareable(x);
        if (share && (expUsers.get(share.key)?.size ?? 0) > 1) {
          const key = `@exp ${share.key}`;
          const e = names.get(key) ?? hoist(key, `Math.exp((-Math.abs(${gen(share.u, true)})))`);
          return `${x.name}E(${gen(x.args[0])}, ${e})`;
        }
        const callee = MATH_FNS.has(x.name) ? `Math.${x.name}` : HELPERS.has(x.name) ? x.name : undefined;
        if (!callee) throw new Error(`codegen: no code for function '${x.name}'`);
        return `${callee}(${x.args.map((a) => gen(a)).join(", ")})`;
      }
      default:
        throw new Error("codegen: unexpected leaf");
    }
  };
  const values = exprs.map((e) => gen(e));
  return { lines, values };
}

/**
 * Source of VectorFns.lossGradHess (arguments FUSED_ARGS of compile.ts): g[go + a] = grad[a],
 * h[ho + a k + b] = hess[a k + b] (upper triangle computed, lower mirrored: hess must be symmetric),
 * returns loss; one body for all three
 * trees, so shared subexpressions and the exp of sigmoid/softplus pairs are computed once. The values are
 * bit-identical to separate sources of the same trees. `bind` as for genBody (r read at r[ro + a]).
 */
export function genLossGradHess(
  loss: Expr,
  grad: Expr[],
  hess: Expr[],
  bind: Record<string, string>,
  params: ParamCode,
): string {
  const k = grad.length;
  const upper = hess.map((_, i) => i).filter((i) => Math.floor(i / k) <= i % k);
  const { lines, values } = genBody([loss, ...grad, ...upper.map((i) => hess[i])], bind, params, true);
  const at = (arr: string, off: string, i: number) => (i === 0 ? `${arr}[${off}]` : `${arr}[${off} + ${i}]`);
  grad.forEach((_, a) => {
    lines.push(`  ${at("g", "go", a)} = ${values[1 + a]};`);
  });
  upper.forEach((i, j) => {
    lines.push(`  ${at("h", "ho", i)} = ${values[1 + k + j]};`);
  });
  for (let i = 0; i < k * k; i++)
    if (Math.floor(i / k) > i % k)
      lines.push(`  ${at("h", "ho", i)} = ${at("h", "ho", (i % k) * k + Math.floor(i / k))};`);
  return `(${FUSED_ARGS.join(", ")}) => {\n${lines.join("\n")}\n  return ${values[0]};\n}`;
}

/** Source of a function that throws when called (a derivative that is a Dirac delta). */
export function unsupportedSource(fnName: string, args: string[]): string {
  return `(${args.join(", ")}) => unsupported("${fnName}")`;
}

/** Source of a scalar function of a vector model (k > 1 or k_teacher > 1): throws when called. */
export function notScalarSource(fnName: string, args: string[]): string {
  return `(${args.join(", ")}) => notScalar("${fnName}")`;
}
