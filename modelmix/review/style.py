"""The stylesheet inlined into every HTML review (system fonts only, nothing to download)."""

CSS = """
:root{--ink:#1f2328;--muted:#5b636e;--line:#d8dee4;--soft:#f6f8fa;--good:#1a7f37;--bad:#c0392b;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--ink);
font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 24px 48px}
header h1{font-size:26px;margin:0 0 4px}
header h1 span{color:var(--accent)}
.sub{color:var(--muted);margin:0 0 8px}
.warn{background:#fff8c5;border:1px solid #e3c34f;border-radius:6px;padding:8px 12px}
h2{font-size:19px;margin:32px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:18px 0 6px;color:var(--muted);font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin-top:20px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:var(--soft)}
.card-label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card-value{font-size:24px;font-weight:650;margin:2px 0}
.card-change{font-weight:600}
.card-prev,.card-note{color:var(--muted);font-size:12px}
.good{color:var(--good)}.bad{color:var(--bad)}.neutral{color:var(--muted)}
.chart{display:block;max-width:100%;height:auto}
.chart .grid{stroke:#e6e9ed;stroke-width:1}.chart .axis{stroke:#8c959f;stroke-width:1}
.chart .divider{stroke:#57606a;stroke-width:1;stroke-dasharray:4 3}
.chart text{font:11px -apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#57606a}
.chart .group{font-weight:600;fill:var(--ink)}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:4px 0 8px 64px;font-size:12px;color:var(--muted)}
.legend i,.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
td:first-child{min-width:7em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
details summary{cursor:pointer;white-space:nowrap}
details[open]{max-width:420px}
.note{color:var(--muted);margin:4px 0 10px}
.empty{color:var(--muted);font-style:italic}
.two{display:grid;grid-template-columns:1fr 1fr;gap:24px}
.two ul{margin:0;padding-left:18px}
.next{margin-top:32px;border:1px solid #b6d4ea;background:#f1f8fd;border-radius:8px;padding:4px 18px 12px}
.next h2{border:none;margin-top:14px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fff;border:1px solid var(--line);
border-radius:4px;padding:0 4px;display:inline-block;max-width:100%}
.next ol{padding-left:20px}.next li{margin:6px 0}
.tag{display:inline-block;font-size:11px;border-radius:10px;padding:0 8px;margin-right:4px;color:#fff;
background:var(--accent)}
.tag.escalation{background:var(--bad)}.tag.unpriced{background:#8c6d31}.tag.downgrade{background:var(--good)}
footer{margin-top:36px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:10px}
@media (max-width:640px){.two{grid-template-columns:1fr}}
@media print{.next{break-inside:avoid}section{break-inside:avoid-page}}
"""
