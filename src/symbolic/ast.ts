// The expression tree the symbolic core works on (built from the checked mathjs AST by parse.ts),
// its constructors, the mathjs-syntax text printer (also the structural key of a node) and queries.

export type BinOp = "add" | "sub" | "mul" | "div" | "pow";
export type Expr =
  | { k: "num"; v: number }
  | { k: "sym"; name: string }
  | { k: "neg"; a: Expr }
  | { k: BinOp; a: Expr; b: Expr }
  | { k: "fn"; name: string; args: Expr[] };

export const num = (v: number): Expr => ({ k: "num", v });
export const sym = (name: string): Expr => ({ k: "sym", name });
export const neg = (a: Expr): Expr => ({ k: "neg", a });
export const add = (a: Expr, b: Expr): Expr => ({ k: "add", a, b });
export const sub = (a: Expr, b: Expr): Expr => ({ k: "sub", a, b });
export const mul = (a: Expr, b: Expr): Expr => ({ k: "mul", a, b });
export const div = (a: Expr, b: Expr): Expr => ({ k: "div", a, b });
export const pow = (a: Expr, b: Expr): Expr => ({ k: "pow", a, b });
export const fn = (name: string, ...args: Expr[]): Expr => ({ k: "fn", name, args });

/** Operator precedence used by both printers: sums < products < unary minus < powers < atoms. */
export function prec(e: Expr): number {
  switch (e.k) {
    case "add":
    case "sub":
      return 1;
    case "mul":
    case "div":
      return 2;
    case "neg":
      return 3;
    case "pow":
      return 4;
    case "num":
      return e.v < 0 ? 3 : 5;
    default:
      return 5;
  }
}

const OPS: Record<BinOp, string> = { add: " + ", sub: " - ", mul: " * ", div: " / ", pow: "^" };

const textCache = new WeakMap<Expr, string>();

/** mathjs-syntax text (parses back to the same value with math.parse); also the node's structural key. */
export function toText(e: Expr): string {
  let t = textCache.get(e);
  if (t === undefined) {
    t = printText(e);
    textCache.set(e, t);
  }
  return t;
}

function printText(e: Expr): string {
  const wrap = (c: Expr, min: number) => (prec(c) < min ? `(${toText(c)})` : toText(c));
  switch (e.k) {
    case "num":
      return numText(e.v);
    case "sym":
      return e.name;
    case "neg":
      return `-${wrap(e.a, 2)}`;
    case "fn":
      return `${e.name}(${e.args.map(toText).join(", ")})`;
    case "pow":
      return `${wrap(e.a, 5)}^${wrap(e.b, 5)}`;
    default: {
      const p = prec(e);
      // Left operand: same precedence is fine (left-associative); right operand of - and / needs more.
      const right = e.k === "sub" || e.k === "div" ? p + 1 : p;
      return `${wrap(e.a, p)}${OPS[e.k]}${wrap(e.b, right)}`;
    }
  }
}

export function numText(v: number): string {
  return Object.is(v, -0) ? "0" : String(v);
}

export function dependsOn(e: Expr, name: string): boolean {
  switch (e.k) {
    case "num":
      return false;
    case "sym":
      return e.name === name;
    case "neg":
      return dependsOn(e.a, name);
    case "fn":
      return e.args.some((a) => dependsOn(a, name));
    default:
      return dependsOn(e.a, name) || dependsOn(e.b, name);
  }
}

/** Number of nodes of the tree (shared subtrees counted each time), counting stops past `limit`. */
export function size(e: Expr, limit = Number.POSITIVE_INFINITY): number {
  let n = 0;
  const stack: Expr[] = [e];
  while (stack.length > 0 && n <= limit) {
    const x = stack.pop()!;
    n++;
    if (x.k === "neg") stack.push(x.a);
    else if (x.k === "fn") stack.push(...x.args);
    else if (x.k !== "num" && x.k !== "sym") stack.push(x.a, x.b);
  }
  return n;
}

/** Replaces every symbol `name` by `by`. */
export function substitute(e: Expr, name: string, by: Expr): Expr {
  switch (e.k) {
    case "num":
      return e;
    case "sym":
      return e.name === name ? by : e;
    case "neg":
      return neg(substitute(e.a, name, by));
    case "fn":
      return fn(e.name, ...e.args.map((a) => substitute(a, name, by)));
    default:
      return { k: e.k, a: substitute(e.a, name, by), b: substitute(e.b, name, by) };
  }
}

export const isNum = (e: Expr, v?: number): boolean => e.k === "num" && (v === undefined || e.v === v);

/** sqrt(2) (kept symbolic for printing). */
export const sqrt2 = (): Expr => fn("sqrt", num(2));

/** 2 / sqrt(pi), the factor in erf' (kept symbolic for printing). */
export const sqrt2OverPi = (): Expr => div(num(2), fn("sqrt", sym("pi")));
