package report

// The page's and the diagrams' style. Colours come from variables so that
// one rule set serves light, dark (prefers-color-scheme) and paper (the
// print style forces the light palette: toner, not screen glow). Fonts are
// the reader's own: no web font is fetched.

const lightVars = `--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#c8d1da;--box:#f6f8fa;` +
	`--syn:#0969da;--fin:#9a6700;--rst:#cf222e;--data:#1f2328;--ack:#6e7781;--state:#6639ba;--statebg:#fbefff;` +
	`--eof:#1a7f37;--note:#8250df;--ok:#1a7f37;--okbg:#dafbe1;--bad:#cf222e;--badbg:#ffebe9;--mid:#9a6700;--midbg:#fff8c5;`

const darkVars = `--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--box:#161b22;` +
	`--syn:#4493f8;--fin:#d29922;--rst:#f85149;--data:#e6edf3;--ack:#9198a1;--state:#ab7df8;--statebg:#1d1530;` +
	`--eof:#3fb950;--note:#d2a8ff;--ok:#3fb950;--okbg:#12261e;--bad:#f85149;--badbg:#2d1214;--mid:#d29922;--midbg:#272115;`

// palette defines the variables on sel, dark when the reader prefers it,
// light on paper.
func palette(sel string) string {
	return sel + "{" + lightVars + "}" +
		"@media (prefers-color-scheme: dark){" + sel + "{" + darkVars + "}}" +
		"@media print{" + sel + "{" + lightVars + "}}"
}

// svgCSS styles a diagram, inline or standalone.
var svgCSS = palette(".seq") + `
.seq{font:12px ui-monospace,"DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;background:var(--bg)}
.seq .bg{fill:var(--bg)}
.seq text{fill:var(--fg);white-space:pre}
.seq .axis line{stroke:var(--line)}
.seq .tick,.seq .axis-head{fill:var(--muted);font-size:10px;text-anchor:end}
.seq .life{stroke:var(--line);stroke-width:1.5}
.seq rect.actor{fill:var(--box);stroke:var(--fg);stroke-width:1.2}
.seq text.actor{font-weight:700;text-anchor:middle}
.seq .packet{color:var(--ack)}
.seq .packet.data{color:var(--data)}
.seq .packet.syn{color:var(--syn)}
.seq .packet.fin{color:var(--fin)}
.seq .packet.rst,.seq .packet.icmp{color:var(--rst)}
.seq .packet line,.seq .packet path.loop{stroke:currentColor;stroke-width:1.6;fill:none}
.seq .packet.fin line,.seq .packet.rst line{stroke-width:2.2}
.seq .packet .head{fill:currentColor}
.seq .packet text{fill:currentColor}
.seq .packet.fin text,.seq .packet.rst text{font-weight:700}
.seq .packet line.hit{stroke:transparent;stroke-width:14}
.seq .packet:hover line:not(.hit),.seq .packet:focus line:not(.hit){stroke-width:3.2}
.seq .packet:focus,.seq .fold:focus{outline:none}
.seq .packet:focus text,.seq .fold:focus text{text-decoration:underline}
.seq .dropped line:not(.hit){stroke-dasharray:6 3}
.seq .injected line:not(.hit){stroke-dasharray:2 3}
.seq .wm{fill:currentColor;font-size:15px;font-weight:700;text-anchor:middle}
.seq .call rect{fill:var(--box);stroke:var(--line)}
.seq .call.err text{fill:var(--rst);font-weight:700}
.seq .call.eof text{fill:var(--eof);font-weight:700}
.seq .call.timeout text{fill:var(--fin)}
.seq .state rect{fill:var(--statebg);stroke:var(--state)}
.seq .state text{fill:var(--state);font-weight:700}
.seq .state.inferred rect{stroke-dasharray:4 3}
.seq .state.reset rect{stroke:var(--rst)}
.seq .state.reset text{fill:var(--rst)}
.seq .snapshot text{fill:var(--muted);font-size:11px}
.seq .note text{fill:var(--note);font-style:italic}
.seq .fold rect{fill:var(--box);stroke:var(--muted);stroke-dasharray:5 4}
.seq .fold text{fill:var(--muted)}
.seq .break .gap{fill:var(--bg)}
.seq .break path{stroke:var(--muted);stroke-width:1.5}
.seq .break text{fill:var(--muted);font-size:10px;text-anchor:end}
.seq .caption{font:15px system-ui,"Noto Sans","Noto Sans CJK SC",sans-serif;fill:var(--muted)}
.seq .caption .name{font-weight:700;fill:var(--fg)}
.seq .legend{fill:var(--muted);font-size:10px}
`

// langCSS shows one language in a standalone SVG (no script there).
func langCSS(lang string) string {
	if lang == "zh" {
		return ".l-en{display:none}"
	}
	return ".l-zh{display:none}"
}

// pageCSS styles the HTML report around the diagrams.
var pageCSS = palette(":root") + `
html[data-lang=en] .l-zh,html[data-lang=zh] .l-en{display:none}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1240px;padding:1.5rem 2rem 3rem;background:var(--bg);color:var(--fg);
 font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC","PingFang SC",sans-serif}
a{color:var(--syn)}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:.9em}
header.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:.4rem 1.2rem;border-bottom:2px solid var(--line);margin-bottom:1rem}
header.top h1{margin:.2rem 0;font-size:1.7rem}
header.top .sub{color:var(--muted);margin:0;flex:1}
#lang{font:inherit;padding:.2rem .8rem;border:1px solid var(--line);border-radius:6px;background:var(--box);color:var(--fg);cursor:pointer}
#lang:focus-visible{outline:2px solid var(--syn)}
table.index{border-collapse:collapse;width:100%;font-size:.92rem}
table.index th,table.index td{text-align:left;padding:.25rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
table.index th{color:var(--muted);font-weight:600}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;font-weight:600;margin:.1rem .15rem .1rem 0;white-space:nowrap}
.agrees,.pass{background:var(--okbg);color:var(--ok)}
.differs,.fail,.err{background:var(--badbg);color:var(--bad)}
.partly{background:var(--midbg);color:var(--mid)}
.not-observed,.skip{background:var(--box);color:var(--muted)}
section.scenario{margin-top:2.5rem;padding-top:.5rem;border-top:1px solid var(--line)}
section.scenario h2{margin:.3rem 0;font-size:1.35rem}
section.scenario h2 a{color:inherit;text-decoration:none}
section.scenario h2 .title{font-weight:400;color:var(--muted)}
section.scenario h3{font-size:1rem;margin:1.2rem 0 .4rem}
.facts{margin:.2rem 0;color:var(--muted)}
.note,.error{margin:.3rem 0;padding:.3rem .7rem;border-left:3px solid var(--mid);background:var(--midbg)}
.error{border-color:var(--bad);background:var(--badbg)}
.diagram{overflow-x:auto;border:1px solid var(--line);border-radius:8px;background:var(--bg);margin-top:.6rem}
.diagram svg{display:block;max-width:100%;height:auto}
.detail{min-height:1.5em;margin:.3rem 0 0;color:var(--muted);font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:.8rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem;background:var(--box)}
.card>header{display:flex;gap:.6rem;align-items:center;margin-bottom:.3rem}
.card>header b{font-size:1.05rem}
.card dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.15rem .7rem;font-size:.9rem}
.card dt{color:var(--muted)}
.card dd{margin:0}
ul.expects{list-style:none;padding:0;margin:0;font-size:.9rem}
ul.expects li{padding:.1rem 0}
ul.expects .mk{display:inline-block;width:1.4em;font-weight:700}
ul.expects .ok .mk{color:var(--ok)}
ul.expects .bad .mk{color:var(--bad)}
ul.expects .skipped{color:var(--muted)}
ul.expects .ln{display:inline-block;min-width:2.5em;color:var(--muted)}
ul.expects .got{color:var(--bad)}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);padding-top:.6rem}
@media print{
 body{max-width:none;padding:0;font-size:11pt}
 #lang,.detail{display:none}
 section.scenario{break-before:page;border:0}
 .diagram{overflow:visible;border:0}
 .diagram svg{max-width:100%;height:auto}
 .card{break-inside:avoid}
 a{color:inherit;text-decoration:none}
}
`

// pageJS is the page's only script: the language switch and, for mouse
// and keyboard alike, the focused element's full text under its diagram
// (an SVG <title> shows on hover only).
const pageJS = `(function(){
var d=document.documentElement,b=document.getElementById("lang");
function set(l){d.setAttribute("data-lang",l);d.lang=l;b.textContent=l==="zh"?"English":"中文";b.setAttribute("aria-pressed",l==="zh")}
b.addEventListener("click",function(){set(d.getAttribute("data-lang")==="zh"?"en":"zh")});
set(d.getAttribute("data-lang"));
function show(e){var t=e.target;if(!t||!t.closest)return;var g=t.closest(".packet,.fold,.call,.state,.snapshot,.note");
if(!g||!g.closest(".seq"))return;var s=g.closest("section"),p=s&&s.querySelector(".detail"),tt=g.querySelector("title");
if(p&&tt)p.textContent=tt.textContent}
document.addEventListener("focusin",show);document.addEventListener("mouseover",show);
})();`
