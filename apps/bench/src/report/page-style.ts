// The report's stylesheet, inlined in the page: system fonts only, nothing fetched.
export const PAGE_STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1d1d1f; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 12px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 12px; border-top: 2px solid #d8dbe0; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p { max-width: 80ch; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eceef1; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
dl.machine { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
dl.machine dt { color: #555; }
dl.machine dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; margin: 12px 0; }
svg.chart { max-width: 100%; height: auto; border: 1px solid #d8dbe0; border-radius: 4px; background: #fff; }
table { border-collapse: collapse; margin: 6px 0 12px; background: #fff; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #d8dbe0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f3; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.verdict { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: 600; font-size: 12px; white-space: nowrap; }
.verdict.met { background: #dff3e4; color: #176b2c; border: 1px solid #9fd4ad; }
.verdict.unmet { background: #fbe3e1; color: #9b1c12; border: 1px solid #eba49d; }
.target { color: #555; font-size: 12px; white-space: nowrap; }
.tally { font-weight: 600; }
details { margin: 8px 0 16px; }
summary { cursor: pointer; color: #0b5cad; }
footer { margin-top: 40px; color: #666; font-size: 12px; }
@media print { body { background: #fff; } details { display: block; } }
`;
