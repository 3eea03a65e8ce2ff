// The visual test's assertions: what a person must see in a rendered summary (issue 24), checked
// on the DOM facts of facts.mjs. Each check returns failures as { assertion, detail }, one line each.
const EMOJI = /^(✅|❌|⏭|⚠|⛔)/u;
const plain = (s) => s.replace(/\uFE0F/g, "");
const firstLine = (s) => s.split("\n").find((l) => l.trim())?.trim() ?? "";
const matches = (text, want) => (want instanceof RegExp ? want.test(text) : text.includes(want));
const show = (s, n = 90) => JSON.stringify(s.length > n ? `${s.slice(0, n)}...` : s);

function outcomeLine(line, want, label) {
  const out = [];
  const emojis = [want.emoji].flat().map(plain);
  if (!emojis.some((e) => plain(line).startsWith(e)))
    out.push({ assertion: label, detail: `does not open with ${emojis.join("/")}: ${show(line)}` });
  if (!line.includes(want.command)) out.push({ assertion: label, detail: `does not name "${want.command}": ${show(line)}` });
  for (const c of want.contains ?? [])
    if (!matches(line, c)) out.push({ assertion: label, detail: `lacks ${c}: ${show(line)}` });
  return out;
}

function tables(facts, want) {
  const out = [];
  for (const t of want) {
    const found = facts.tables.find((x) => [x.header.join(" "), ...x.rows.flat().map((c) => c.text)].some((s) => s.includes(t.contains)));
    if (!found) { out.push({ assertion: "table", detail: `no table contains "${t.contains}"` }); continue; }
    if (t.rows !== undefined && found.rows.length !== t.rows)
      out.push({ assertion: "table rows", detail: `table with "${t.contains}" has ${found.rows.length} rows, expected ${t.rows}` });
    const cols = new Set([found.header.length, ...found.rows.map((r) => r.length)]);
    if (t.cols !== undefined && (cols.size !== 1 || found.header.length !== t.cols))
      out.push({ assertion: "table columns", detail: `table with "${t.contains}" has ${[...cols].join("/")} columns, expected ${t.cols}` });
  }
  return out;
}

// User text stays text: verbatim in the page, whole in every table row of its version, and no
// element (img, emphasis, link, code) made from a piece of it.
function adversarial(facts, want) {
  const out = [];
  for (const a of want) {
    if (!facts.text.includes(a.text)) out.push({ assertion: "user text verbatim", detail: `${show(a.text)} not in the page as text` });
    if (a.version)
      for (const t of facts.tables)
        for (const row of t.rows)
          if (row.some((c) => c.text.includes(a.version)) || row.some((c) => c.text.includes(a.text.split(/[|`]/)[0]) && !c.text.includes(a.text)))
            if (!row.some((c) => c.text.includes(a.text) || c.title.includes(a.text)))
              out.push({ assertion: "user text in table", detail: `row ${show(row.map((c) => c.text).join(" | "))} splits ${show(a.text)}` });
  }
  for (const e of facts.inline) {
    if (e.tag === "img") { out.push({ assertion: "no element from user text", detail: `an <img src="${e.src}"> is rendered` }); continue; }
    const fragment = e.text.length >= 2 && want.some((a) => a.text.includes(e.text) && e.text !== a.text && !e.text.includes(a.text));
    if (fragment) out.push({ assertion: "no element from user text", detail: `<${e.tag}>${e.text}</${e.tag}> is made from user text` });
  }
  return out;
}

const rgb = (s) => (/rgba?\((\d+), (\d+), (\d+)/.exec(s) ?? []).slice(1).map(Number);
function isGreen(colour) {
  const [r, g, b] = rgb(colour).map((x) => x / 255);
  if (r === undefined) return false;
  const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2, d = max - min;
  if (d < 0.08) return false;
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? 60 * (((g - b) / d) % 6) : max === g ? 60 * ((b - r) / d + 2) : 60 * ((r - g) / d + 4);
  return s > 0.2 && h >= 75 && h <= 170;
}

// Series values in the chart's Mermaid source, in plot order (bar-plot-0, line-plot-1...).
function seriesValues(source) {
  return [...source.matchAll(/^\s*(bar|line)\b[^[]*\[([^\]]*)\]/gm)].map((m) => m[2].split(",").map(Number));
}

function chart(facts, want, theme) {
  const out = [];
  const charts = facts.charts;
  if (want === false) {
    if (charts.length) out.push({ assertion: "no chart for an empty period", detail: `${charts.length} chart(s) drawn` });
    return out;
  }
  if (charts.length !== 1) return [{ assertion: "chart", detail: `${charts.length} charts, expected 1` }];
  const c = charts[0];
  if (!c.rendered) return [{ assertion: "chart", detail: `Mermaid did not render it: ${facts.mermaidError}` }];
  const n = c.xLabels.length;
  if (want.buckets !== undefined && n !== want.buckets) out.push({ assertion: "chart buckets", detail: `${n} x-axis labels, expected ${want.buckets}` });
  if (want.maxBuckets !== undefined && n > want.maxBuckets) out.push({ assertion: "chart buckets", detail: `${n} x-axis labels, expected at most ${want.maxBuckets}` });
  const boxes = [...c.xLabels].sort((a, b) => a.x - b.x);
  for (let i = 1; i < boxes.length; i++)
    if (boxes[i].x < boxes[i - 1].x + boxes[i - 1].w - 0.5) {
      out.push({ assertion: "x-axis labels do not overlap", detail: `"${boxes[i - 1].text}" and "${boxes[i].text}" overlap (${theme})` });
      break;
    }
  const values = seriesValues(c.source);
  if (values.flat().every(Number.isInteger)) {
    const bad = c.yLabels.filter((t) => !Number.isInteger(Number(t)));
    if (bad.length) out.push({ assertion: "integer y ticks", detail: `count axis has ticks ${bad.slice(0, 3).join(", ")}` });
  }
  // With two or more series the smallest one is the failures: never drawn green.
  if (values.length >= 2) {
    const sums = values.map((v) => v.reduce((a, b) => a + b, 0));
    const failed = sums.indexOf(Math.min(...sums));
    const drawn = c.series.find((s) => s.index === failed);
    if (drawn && isGreen(drawn.colour)) out.push({ assertion: "failures not green", detail: `failed deployments drawn ${drawn.colour} (${theme} theme)` });
  }
  if (c.width > 1000) out.push({ assertion: "no overflow", detail: `chart is ${c.width} px wide` });
  return out;
}

// All assertions of one case: `facts` by theme ({ light, dark? }), the raw summary, what ran.
export function check(expect, { facts, markdown, steps, hints }) {
  const out = [];
  const f = facts.light;
  const last = steps.at(-1);
  if (expect.exit !== undefined && last && last.code !== expect.exit)
    out.push({ assertion: "scenario", detail: `sbdeploy ${last.args.join(" ")} exited ${last.code}, expected ${expect.exit}: ${show(firstLine(last.stderr))}` });
  for (const s of steps.filter((x) => !x.summary && x.code !== 0))
    out.push({ assertion: "scenario", detail: `setup step sbdeploy ${s.args.join(" ")} exited ${s.code}: ${show(firstLine(s.stderr))}` });
  if (!markdown.trim()) return [...out, { assertion: "summary written", detail: "the step summary is empty" }];
  if (!/\n[ \t]*\n$/.test(markdown)) out.push({ assertion: "ends with a blank line", detail: `the summary ends with ${show(markdown.slice(-30))}` });
  if (expect.outcome) out.push(...outcomeLine(firstLine(f.blocks[0]?.text ?? ""), expect.outcome, "first line holds the outcome"));
  if (expect.second) {
    const firstTable = f.blocks.findIndex((b) => b.tag === "table");
    const swallowed = f.tables.some((t) => t.rows.some((r) => r.some((c) => c.text.includes(`${expect.second.command}`) && EMOJI.test(c.text))));
    const own = f.blocks.slice(firstTable + 1).find((b) => b.tag !== "table" && EMOJI.test(b.text) && b.text.includes(expect.second.command));
    if (swallowed || !own) out.push({ assertion: "second command's first line", detail: swallowed ? "it became a row of the previous table" : "not found after the first summary" });
    else out.push(...outcomeLine(firstLine(own.text), expect.second, "second command's first line"));
  }
  out.push(...tables(f, expect.tables ?? []));
  for (const o of f.overflowing.slice(0, 2))
    out.push({ assertion: "no overflow past 1000 px", detail: `<${o.tag}> is ${o.width} px: ${show(o.text, 50)}` });
  out.push(...adversarial(f, expect.adversarial ?? []));
  for (const t of expect.text ?? []) if (!t.test(f.text)) out.push({ assertion: "says", detail: `no text matches ${t}` });
  for (const t of expect.notText ?? []) if (t.test(f.text)) out.push({ assertion: "does not say", detail: `text matches ${t}: ${show(t.exec(f.text)[0])}` });
  for (const r of expect.rows ?? []) {
    const row = f.tables.flatMap((t) => t.rows).find((cells) => r.row.test(cells[0]?.text ?? ""));
    if (!row || !r.text.test(row.map((c) => c.text).join(" | ")))
      out.push({ assertion: "states its basis", detail: `row ${r.row} ${row ? show(row.map((c) => c.text).join(" | ")) : "missing"} lacks ${r.text}` });
  }
  if (expect.consoleHint)
    for (const h of hints) if (!f.text.replace(/\s+/g, " ").includes(h.replace(/\s+/g, " ")))
      out.push({ assertion: "the console's hint", detail: `summary lacks ${show(h)}` });
  if (expect.maxHeight && f.visibleHeight > expect.maxHeight)
    out.push({ assertion: "long lists collapse", detail: `summary is ${f.visibleHeight} px tall as first shown, expected at most ${expect.maxHeight}` });
  if (expect.errorsFirst) {
    const level = (c) => /^\W*(error|warning)\b/i.exec(c.text)?.[1].toLowerCase();
    const t = f.tables.find((x) => x.rows.some((r) => r.some((c) => level(c) === "error")));
    const levels = (t?.rows ?? []).map((r) => r.map(level).find(Boolean));
    if (!t) out.push({ assertion: "errors first", detail: "no findings table with an error row" });
    else if (levels.lastIndexOf("error") > levels.indexOf("warning") && levels.includes("warning"))
      out.push({ assertion: "errors first", detail: `rows in order ${levels.join(", ")}` });
  }
  if (expect.failedFirst) {
    const t = f.tables.find((x) => /threshold/i.test(x.header[0] ?? ""));
    const verdicts = (t?.rows ?? []).map((r) => (r.some((c) => c.text.includes("❌")) ? "failed" : "met"));
    if (!t || !verdicts.includes("failed")) out.push({ assertion: "failed thresholds first", detail: "no thresholds table with a failed row" });
    else if (verdicts.lastIndexOf("failed") > verdicts.indexOf("met") && verdicts.includes("met"))
      out.push({ assertion: "failed thresholds first", detail: `rows in order ${verdicts.join(", ")}` });
  }
  if (expect.chart !== undefined)
    for (const [theme, tf] of Object.entries(facts)) out.push(...chart(tf, expect.chart, theme));
  return dedupe(out);
}

function dedupe(list) {
  const seen = new Set();
  return list.filter((x) => { const k = `${x.assertion}|${x.detail}`; return !seen.has(k) && seen.add(k); });
}
