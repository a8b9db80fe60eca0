// False-FAIL study of validate's gating verdict (issue 19), not a timing benchmark (npm run bench skips it):
// for seeds 1..S, the gating stages of `validate --quick` (DMFT at dt, SGF simulation at dt) on a model whose
// theory is correct, judged by the verdict rule and by the old fixed rule (4 combined SE + 1%), with the
// simulation's initial overlaps exact (validate's default) and, with --both-inits, also drawn at random.
//   npx tsx bench/false-fail.ts models/logistic-regression.yaml 20
//   npx tsx bench/false-fail.ts models/committee-erf.yaml 3 --both-inits
import { simulate } from "../src/simulate/index.js";
import { solve } from "../src/solvers/index.js";
import { loadDerived } from "../src/symbolic/index.js";
import { compareResults, DEFAULT_RULE, type Rule } from "../src/validate/compare.js";
import { QUICK, settingsOf } from "../src/validate/settings.js";

const [path, count = "20", ...flags] = process.argv.slice(2);
if (!path) {
  process.stderr.write("usage: npx tsx bench/false-fail.ts MODEL [SEEDS] [--both-inits] [--from N]\n");
  process.exit(2);
}
const from = flags.includes("--from") ? Number(flags[flags.indexOf("--from") + 1]) : 1;
const inits = flags.includes("--both-inits") ? [true, false] : [true];
const derived = loadDerived(path, {});
const rules: Array<[string, Rule]> = [
  ["verdict rule", DEFAULT_RULE],
  ["4 SE + 1%", { ...DEFAULT_RULE, nSigma: 4 }],
];
const fails: Record<string, number> = {};
const spec = { id: "gating", title: "", gating: true, theoryLabel: "", simLabel: "" };
for (let seed = from; seed < from + Number(count); seed++) {
  const s = settingsOf(derived.model, { quick: true, seed });
  const grid = { dt: s.dt, T: s.T, seed };
  const dmft = await solve(derived, { ...grid, samples: QUICK.samples, dynamics: "sgf", kernels: true });
  for (const exactInit of inits) {
    const sgf = await simulate(derived, {
      ...grid,
      d: s.d,
      seeds: s.seeds,
      dynamics: "sgf",
      twoTime: true,
      exactInit,
    });
    const parts = [`seed ${seed}`, exactInit ? "exact init " : "random init"];
    for (const [label, rule] of rules) {
      const table = compareResults(spec, dmft, sgf, rule);
      const worst = table.rows.reduce((w, r) => (r.worst > w.worst ? r : w));
      const key = `${label}, ${exactInit ? "exact" : "random"} init`;
      fails[key] = (fails[key] ?? 0) + (table.pass ? 0 : 1);
      parts.push(
        `${label}: ${table.pass ? "pass" : "FAIL"} (worst ${worst.name} ${(100 * worst.worst).toFixed(0)}% of allowance, ${worst.maxZ.toFixed(2)} SE, c = ${worst.critical.toFixed(2)})`,
      );
    }
    console.log(parts.join(" | "));
  }
}
for (const [key, n] of Object.entries(fails)) console.log(`${key}: ${n} FAIL of ${count}`);
