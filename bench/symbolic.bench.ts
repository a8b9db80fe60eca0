// ns/call of the compiled logistic l(r, y) (generated from the AST) against a hand-written function
// (the baseline) and mathjs compile().evaluate of the same expression; the fused VectorFns.lossGradHess
// against the three calls loss, grad, hess (the baseline) as the Monte-Carlo solver's sample loop makes them;
// plus derive() time per model. Run: npx tsx bench/symbolic.bench.ts
import { readdirSync } from "node:fs";
import { loadDerived } from "../src/symbolic/index.js";
import { math } from "../src/symbolic/mathjs.js";

const N = 2_000_000;
const rs = new Float64Array(1024);
const ys = new Float64Array(1024);
for (let i = 0; i < rs.length; i++) {
  rs[i] = 6 * Math.sin(i * 12.9898) - 1;
  ys[i] = i % 3 === 0 ? -1 : 1;
}

// A fresh closure per measured function keeps each call site monomorphic.
const makeTimer = () => (f: (r: number, y: number) => number, n: number) => {
  let acc = 0;
  for (let i = 0; i < n / 10; i++) acc += f(rs[i & 1023], ys[i & 1023]); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) acc += f(rs[i & 1023], ys[i & 1023]);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (!Number.isFinite(acc)) throw new Error("non-finite sum");
  return ns;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function handL(r: number, y: number): number {
  const z = -y * r;
  const s = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  return -y * s;
}

const d = loadDerived("models/logistic-regression.yaml");
const mj = math.compile("-y * exp(-y * r) / (1 + exp(-y * r))");
const scope = { r: 0, y: 0 };
const viaMathjs = (r: number, y: number) => {
  scope.r = r;
  scope.y = y;
  return mj.evaluate(scope) as number;
};

// Interleaved rounds; the median per-round ratio to the baseline is robust to a busy machine.
const cases: Array<[string, (r: number, y: number) => number, number]> = [
  ["hand-written l (baseline)", handL, N],
  ["compiled l (generated)", d.fns.l, N],
  ["compiled dl (generated)", d.fns.dl, N],
  ["mathjs compile().evaluate l", viaMathjs, N / 20],
];
const timers = cases.map(() => makeTimer());
const ns: number[][] = cases.map(() => []);
for (let round = 0; round < 5; round++)
  cases.forEach(([, f, n], i) => {
    ns[i].push(timers[i](f, n));
  });
console.log("logistic gradient, median of 5 interleaved rounds: ns/call, ratio to hand-written");
cases.forEach(([name], i) => {
  const ratio = median(ns[i].map((v, k) => v / ns[0][k]));
  console.log(`  ${name.padEnd(30)} ${median(ns[i]).toFixed(1).padStart(8)} ns  x${ratio.toFixed(2)}`);
});

// The solver's per-sample pattern (src/solvers/mc/group.ts): r in a scratch buffer, l, H stored per sample.
const M = 4096;
const fusedCases = (model: string): Array<[string, () => number]> => {
  const { vec } = loadDerived(`models/${model}.yaml`);
  const { k } = vec;
  const r = Float64Array.from({ length: M * k }, (_, i) => 6 * Math.sin(i * 12.9898) - 1);
  const yv = Float64Array.from({ length: M }, (_, i) => (i % 3 === 0 ? -1 : 1) * (1 + (i % 5) / 10));
  const lk = new Float64Array(M * k);
  const Hk = new Float64Array(M * k * k);
  const rbuf = new Float64Array(k);
  const separate = () => {
    let s = 0;
    for (let i = 0; i < M; i++) {
      for (let a = 0; a < k; a++) rbuf[a] = r[i * k + a];
      s += vec.loss(rbuf, 0, yv[i]);
      vec.grad(rbuf, 0, yv[i], lk, i * k);
      vec.hess(rbuf, 0, yv[i], Hk, i * k * k);
    }
    return s;
  };
  const fused = () => {
    let s = 0;
    for (let i = 0; i < M; i++) {
      for (let a = 0; a < k; a++) rbuf[a] = r[i * k + a];
      s += vec.lossGradHess(rbuf, 0, yv[i], lk, i * k, Hk, i * k * k);
    }
    return s;
  };
  return [
    [`${model}: loss + grad + hess (baseline)`, separate],
    [`${model}: lossGradHess (fused)`, fused],
  ];
};
const timeSweeps = (f: () => number, sweeps: number) => {
  let acc = 0;
  for (let i = 0; i < sweeps / 10; i++) acc += f(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < sweeps; i++) acc += f();
  if (!Number.isFinite(acc)) throw new Error("non-finite sum");
  return Number(process.hrtime.bigint() - t0) / (sweeps * M);
};
for (const [model, sweeps] of [
  ["logistic-regression", 200],
  ["committee-erf", 20],
] as const) {
  const fc = fusedCases(model);
  const fns = fc.map(() => []) as number[][];
  for (let round = 0; round < 5; round++)
    fc.forEach(([, f], i) => {
      fns[i].push(timeSweeps(f, sweeps));
    });
  console.log(`${model}, M = ${M} samples, median of 5 interleaved rounds: ns/sample, ratio to three calls`);
  fc.forEach(([name], i) => {
    const ratio = median(fns[i].map((v, k) => v / fns[0][k]));
    console.log(`  ${name.padEnd(50)} ${median(fns[i]).toFixed(1).padStart(8)} ns  x${ratio.toFixed(2)}`);
  });
}

console.log("derive() per shipped model (parse, derivatives, codegen, cross-checks, KaTeX):");
for (const f of readdirSync("models").filter((x) => x.endsWith(".yaml"))) {
  loadDerived(`models/${f}`);
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) loadDerived(`models/${f}`);
  console.log(`  ${f.padEnd(30)} ${((performance.now() - t0) / 5).toFixed(1).padStart(8)} ms`);
}
