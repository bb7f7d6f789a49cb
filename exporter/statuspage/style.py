"""The status page's stylesheet, inlined into every page: no external fonts or files, so
the page works offline. Light and dark follow ``prefers-color-scheme``; a state always
has an icon and words as well as a colour."""

CSS = """
:root{color-scheme:light dark;--bg:#f3f5f8;--card:#fff;--fg:#1c2128;--muted:#5c6673;
--line:#dce1e7;--bar:#3c6fd6;--track:#e6eaf0;--reserve:#b9c1cc;--plan:#1c2128;
--good:#1a7f37;--bad:#c42b2b;--warn:#8a5a00;--info:#0b62b8;
--good-bg:#e7f5ea;--bad-bg:#fdecec;--warn-bg:#fff4dc;--info-bg:#e6f0fb}
@media (prefers-color-scheme:dark){:root{--bg:#0e1117;--card:#171b22;--fg:#e3e7ed;
--muted:#97a1ad;--line:#2a313b;--bar:#6b9bff;--track:#252c36;--reserve:#4a5463;
--plan:#e3e7ed;--good:#56c972;--bad:#ff7b72;--warn:#e0b040;--info:#6cb6ff;
--good-bg:#13281a;--bad-bg:#33171a;--warn-bg:#2e2410;--info-bg:#102338}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",
"Liberation Sans",sans-serif}
a{color:var(--info)}
code{font:13px ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace;
overflow-wrap:anywhere}
.wrap{max-width:1180px;margin:0 auto;padding:0 16px}
header{background:var(--card);border-bottom:1px solid var(--line);padding:12px 0}
header .wrap{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 18px}
h1{font-size:20px;margin:0}
h2{font-size:16px;margin:0 0 2px}
h3{font-size:14px;margin:14px 0 4px}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;margin-left:auto}
.muted,small{color:var(--muted)}
small{font-size:12.5px}
main.wrap{padding-top:16px;padding-bottom:8px}
.banner,.note{display:flex;gap:10px;align-items:flex-start;border:1px solid var(--line);
border-left:6px solid var(--tone);background:var(--tone-bg);border-radius:8px;
padding:10px 14px;margin:0 0 12px}
.note{margin:8px 0 0;font-size:13.5px}
.banner .ic,.note .ic{flex:none;fill:none;stroke:var(--tone);stroke-width:2.2;stroke-linecap:round;
stroke-linejoin:round;margin-top:1px}
.banner p{margin:2px 0 0}
.info{--tone:var(--info);--tone-bg:var(--info-bg)}
.warn{--tone:var(--warn);--tone-bg:var(--warn-bg)}
.bad{--tone:var(--bad);--tone-bg:var(--bad-bg)}
.good{--tone:var(--good);--tone-bg:var(--good-bg)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));
gap:14px;margin-bottom:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:14px 16px;min-width:0}
.card>p{margin:6px 0}
.board{grid-column:1/-1}
.parts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(400px,100%),1fr));
column-gap:32px}
.sub{margin:0 0 10px;color:var(--muted);font-size:13px}
.cite{margin:10px 0 0;font-size:12.5px;color:var(--muted)}
ol.bars{list-style:none;margin:0;padding:0}
ol.bars li,.bh{display:grid;grid-template-columns:2.2em minmax(0,1fr) auto;
column-gap:8px;align-items:baseline;padding:3px 0}
.d1 :is(li,.bh){grid-template-columns:2.2em minmax(0,1fr) 3.2em 4.2em}
.d2 :is(li,.bh){grid-template-columns:2.2em minmax(0,1fr) 3.2em 3.2em 4.2em}
.d1.sp :is(li,.bh){grid-template-columns:2.2em minmax(0,1fr) 3.2em 60px 4.2em}
.d2.sp :is(li,.bh){grid-template-columns:2.2em minmax(0,1fr) 3.2em 3.2em 60px 4.2em}
.bh{font-size:12px;font-weight:600;color:var(--muted);border-bottom:1px solid var(--line);
margin-bottom:3px}
.bh .mvh{text-align:center;white-space:nowrap}
.bh .vlh,.bh .sph{text-align:right;white-space:nowrap}
.rk{color:var(--muted);text-align:right;font-variant-numeric:tabular-nums}
.nm{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.val{font-weight:600;font-variant-numeric:tabular-nums;text-align:right}
ol.bars small{grid-column:2/-1;grid-row:3;margin-top:-2px}
svg.bar{grid-column:2/-1;grid-row:2;width:100%;height:8px;display:block}
.mv{position:relative;text-align:center;font-size:13px;font-weight:700;white-space:nowrap;
font-variant-numeric:tabular-nums}
.mv.up{color:var(--good)}
.mv.down{color:var(--bad)}
.mv.same,.mv.na{color:var(--muted);font-weight:400}
.mv.new>span{background:var(--info-bg);color:var(--info);border:1px solid var(--info);
border-radius:4px;padding:0 3px;font-size:11px;letter-spacing:.04em}
.mv>.vh,.mv.new>.vh{position:absolute;width:1px;height:1px;padding:0;margin:-1px;border:0;
overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
svg.spark{display:block;align-self:center;justify-self:end;width:60px;height:18px;
overflow:visible}
svg.spark polyline{fill:none;stroke:var(--bar);stroke-width:1.6;stroke-linejoin:round;
stroke-linecap:round}
svg.spark circle{fill:var(--bar)}
svg.spark circle.now{fill:var(--fg)}
.legend-moves{margin:8px 0 0;font-size:12.5px;color:var(--muted)}
svg.bar rect{fill:var(--bar)}
svg.bar .tr{fill:var(--track)}
.meter{margin:10px 0 14px}
.meter .mh{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 12px}
svg.mbar{width:100%;height:18px;display:block;margin:4px 0}
svg.mbar .tr{fill:var(--track)}
svg.mbar .used{fill:var(--bar)}
svg.mbar .res{fill:url(#hatch)}
svg.mbar .plan{stroke:var(--plan);stroke-width:3;stroke-dasharray:3 2}
.hatch-bg{fill:var(--track)}
.hatch-line{stroke:var(--reserve);stroke-width:4}
.legend{display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12.5px;color:var(--muted)}
.key{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:-1px;
border-radius:2px}
.key.used{background:var(--bar)}
.key.free{background:var(--track);border:1px solid var(--line)}
.key.res{background:repeating-linear-gradient(135deg,var(--reserve) 0 3px,var(--track) 3px 6px)}
.key.plan{width:3px;background:var(--plan)}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);white-space:nowrap}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
td.name{overflow-wrap:anywhere;min-width:8em}
.tablewrap{overflow-x:auto}
.st{color:var(--tone);font-weight:600;white-space:nowrap}
.pill{display:inline-block;border-radius:999px;padding:0 8px;margin:2px 4px 2px 0;
background:var(--tone-bg);color:var(--tone);font-weight:600;font-size:13px;
white-space:nowrap}
details.group{border-top:1px solid var(--line);padding:8px 0}
details.group:first-of-type{border-top:0}
summary{cursor:pointer;list-style-position:outside;margin-left:18px}
summary h3{display:inline;margin:0 8px 0 0}
.errs{margin:4px 0 0 18px;padding:0;list-style:none;color:var(--bad);font-size:13.5px;
overflow-wrap:anywhere}
ul.plan{margin:6px 0;padding-left:18px}
ul.plan li{margin:3px 0}
footer{padding:4px 0 24px;font-size:12.5px;color:var(--muted)}
@media (max-width:600px){body{font-size:14px}h1{font-size:18px}nav{margin-left:0}
.card{padding:12px}th,td{padding:4px 6px}
ol.bars li,.bh{column-gap:6px}
.d1 :is(li,.bh){grid-template-columns:2em minmax(0,1fr) 3em 4em}
.d2 :is(li,.bh){grid-template-columns:2em minmax(0,1fr) 3em 3em 4em}
.d1.sp :is(li,.bh){grid-template-columns:2em minmax(0,1fr) 3em 60px}
.d2.sp :is(li,.bh){grid-template-columns:2em minmax(0,1fr) 3em 3em 60px}
:is(.d1,.d2) li .nm{grid-column:2/-2}
:is(.d1,.d2) li .mv{grid-row:3;grid-column:3}
:is(.d1,.d2) li .mv+.mv{grid-column:4}
:is(.d1,.d2) li small{grid-column:2/3}
.sp svg.spark{grid-row:3;grid-column:-2/-1}
.bh .sph{display:none}}
"""
