// The report's stylesheet (inlined into index.html).
export const STYLE = `
:root { --fg: #1d2330; --muted: #5d6778; --line: #e3e6ec; --pass: #1e8a4c; --fail: #c0392b; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #f6f7f9; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 1020px; margin: 0 auto; padding: 24px 28px 60px; background: white; min-height: 100vh; }
header h1 { margin: 0 0 14px; font-size: 28px; }
.kicker { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: .08em; font-size: 12px; }
h2 { margin: 34px 0 10px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
.banner { display: flex; gap: 18px; align-items: center; padding: 14px 18px; border-radius: 8px; color: white; }
.banner.pass { background: var(--pass); } .banner.fail { background: var(--fail); }
.banner .big { font-size: 30px; font-weight: 700; letter-spacing: .04em; }
.banner .sub { opacity: .9; font-size: 13px; }
.badge { white-space: nowrap; font-size: 11px; font-weight: 600; padding: 2px 7px; border-radius: 10px; vertical-align: middle; margin-left: 6px; }
.badge.gating { background: #fdebd0; color: #8a4b08; } .badge.info { background: #e8eef7; color: #2c4f7c; }
.table-block { margin: 10px 0 22px; }
.table-block.informative { opacity: .93; }
.versus { margin: 2px 0; color: var(--muted); font-size: 13px; }
.rule { margin: 6px 0 8px; font-size: 13px; color: var(--muted); }
.rule-label { font-weight: 600; margin-right: 6px; }
table { border-collapse: collapse; }
.verdict-table { width: 100%; font-size: 13px; }
.verdict-table th, .verdict-table td { padding: 5px 7px; border-bottom: 1px solid var(--line); text-align: left; }
.verdict-table thead th { color: var(--muted); font-weight: 600; font-size: 12px; }
.verdict-table thead th.group { text-align: center; border-bottom: 1px solid #c9ced8; }
.verdict-table thead tr:last-child th { text-align: right; }
.verdict-table code { color: var(--muted); font-size: 11px; }
td.num { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
.at { color: var(--muted); font-size: 11px; }
td.verdict { font-weight: 700; white-space: nowrap; } td.verdict.pass { color: var(--pass); } td.verdict.fail { color: var(--fail); }
tr.fail { background: #fdf1f0; }
.problem { color: var(--fail); }
.meter { display: inline-block; width: 48px; height: 7px; background: #eceef2; border-radius: 4px; vertical-align: middle; overflow: hidden; }
.meter span { display: block; height: 100%; background: var(--accent); }
tr.fail .meter span { background: var(--fail); }
.note, .hint { color: var(--muted); font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0 4px; font-size: 13px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.plot-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px 22px; }
.plot-grid.small { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px 16px; }
figure.plot { margin: 8px 0; }
figure.plot figcaption { font-size: 13px; margin-bottom: 2px; }
figure.plot svg { max-width: 100%; height: auto; }
.heat-row { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; }
.eq { overflow-x: auto; }
.eq-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 20px; }
.equations { font-size: 14px; margin-top: 14px; }
.equations > summary { font-size: 15px; font-weight: 600; cursor: pointer; }
.equations h2 { font-size: 16px; margin: 18px 0 6px; } .equations h3 { font-size: 14px; }
.equations .display { overflow-x: auto; overflow-y: hidden; margin: 8px 0; }
.equations table { margin: 8px 0; font-size: 13px; } .equations th, .equations td { padding: 2px 10px; border-bottom: 1px solid var(--line); text-align: left; }
.meta-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.kv { font-size: 13px; }
.kv th { text-align: left; color: var(--muted); font-weight: 500; padding: 2px 14px 2px 0; vertical-align: top; white-space: nowrap; }
.kv td { padding: 2px 0; }
details { margin: 4px 0; font-size: 13px; }
pre { background: #f4f5f8; padding: 8px; overflow-x: auto; font-size: 12px; }
a { color: var(--accent); }
@media (max-width: 760px) { .plot-grid, .plot-grid.small, .heat-row, .meta-grid, .eq-grid { grid-template-columns: 1fr; } }
`;
