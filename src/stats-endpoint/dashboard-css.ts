/**
 * The stylesheet of the HTML dashboard, inlined in its `<style>` element (the CSP allows inline styles only).
 * Chart text is sized in viewBox units: the breakpoints keep it near 12-15 CSS px at every width.
 */
export const DASHBOARD_CSS = `
:root{--bg:#f5f6f8;--card:#fff;--text:#17202b;--muted:#526070;--border:#d9dee5;--grid:#e6e9ee;
--legacy:#c2410c;--provider:#1d4ed8;--ok:#166534;--ok-bg:#e8f5ec;--warn:#8a4b00;--warn-bg:#fff4e0;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f141a;--card:#18202a;--text:#e7ecf2;--muted:#a3afbd;--border:#2c3744;
--grid:#26303c;--legacy:#fb923c;--provider:#7aa7ff;--ok:#86efac;--ok-bg:#12301d;--warn:#fcd34d;--warn-bg:#3a2a08}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:8px 0 0}
h2{font-size:1.15rem;margin:0 0 12px}
.meta{color:var(--muted);margin:4px 0 16px;font-size:.9rem}
section{background:var(--card);border:1px solid var(--border);border-radius:10px;padding:16px;margin:0 0 16px}
.notice{border-radius:10px;padding:12px 16px;margin:0 0 16px;background:var(--warn-bg);color:var(--warn);border:1px solid currentColor}
.status{display:inline-block;font-weight:700;font-size:1.05rem;padding:4px 12px;border-radius:999px;margin:0 0 8px}
.status.ready{background:var(--ok-bg);color:var(--ok)}
.status.not-ready{background:var(--warn-bg);color:var(--warn)}
.reason{margin:0 0 12px}
dl{margin:0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
.tile{border:1px solid var(--border);border-radius:8px;padding:12px}
.tile dt{color:var(--muted);font-size:.9rem}
.tile dd{margin:0}
.value{display:block;font-size:1.7rem;font-weight:700;line-height:1.2;font-variant-numeric:tabular-nums}
.value.date{font-size:1.2rem;padding:4px 0 3px}
.note{display:block;color:var(--muted);font-size:.85rem}
figure{margin:0}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 20px;margin:0 0 8px;padding:0}
.legend li{display:flex;align-items:center;gap:8px}
.legend svg{width:28px;height:12px;flex:none}
figcaption{color:var(--muted);font-size:.85rem;margin-top:4px}
.chart{display:block;width:100%;height:auto}
.chart text{font-size:10px;fill:var(--muted)}
@media (max-width:960px){.chart text{font-size:11px}}
@media (max-width:700px){.chart text{font-size:15px}}
@media (max-width:480px){.chart text{font-size:22px}.chart .minor{display:none}}
.chart .y-label{paint-order:stroke;stroke:var(--card);stroke-width:4px;stroke-linejoin:round}
.chart .grid{stroke:var(--grid);stroke-width:1;vector-effect:non-scaling-stroke}
.chart .axis{stroke:var(--muted)}
.chart .tick{stroke:var(--muted);vector-effect:non-scaling-stroke}
.line,.partial{fill:none;stroke-linejoin:round;stroke-linecap:round;vector-effect:non-scaling-stroke}
.line.provider,.swatch.provider{stroke:var(--provider);stroke-width:5}
.line.legacy,.swatch.legacy{stroke:var(--legacy);stroke-width:2;stroke-dasharray:6 4}
.partial{stroke-width:2;stroke-dasharray:1 4}
.partial.legacy{stroke:var(--legacy)}.partial.provider,.swatch.partial{stroke:var(--muted)}
.swatch{fill:none}.swatch.partial{stroke-width:2;stroke-dasharray:1 4;stroke-linecap:round}
.marker.provider{fill:var(--provider)}
.marker.legacy{fill:var(--legacy);stroke:var(--card);stroke-width:1}
.marker.hollow{fill:var(--card);stroke-width:2;vector-effect:non-scaling-stroke}
.marker.hollow.provider{stroke:var(--provider)}.marker.hollow.legacy{stroke:var(--legacy)}
.marker.hollow.muted{stroke:var(--muted)}
#series-table .partial-row th,#series-table .partial-row td{font-style:italic;color:var(--muted)}
@media (max-width:600px){main{padding:12px 8px}section{padding:12px 10px}.tiles{grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px}.tile{padding:10px}.value{font-size:1.45rem}
.value.date{font-size:1.05rem}#readiness .facts{grid-template-columns:1fr;gap:0}#readiness .facts dd{margin-bottom:8px}
table{font-size:.8125rem}th,td{padding:6px 3px}}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);font-size:.9rem;padding:0 0 8px}
th,td{padding:6px 8px;border-bottom:1px solid var(--border);text-align:right;white-space:nowrap}
th[scope=row],thead th:first-child{text-align:left}
th[scope=row]{font-weight:400;white-space:normal}
th[scope=rowgroup]{text-align:left;font-size:.85rem;color:var(--muted);padding-top:14px}
thead th{font-size:.85rem;color:var(--muted)}
details{margin-top:12px}
summary{cursor:pointer;color:var(--provider)}
a{color:var(--provider)}
footer{color:var(--muted);font-size:.85rem;padding:0 0 24px}
`;
