// The visual test's view of a rendered summary: runs inside the page (page.evaluate) and returns,
// as plain data, what a person sees: the blocks in order, the tables (rows, columns, cells, widths),
// elements wider than the content box, inline elements that could have come from user text, and
// for each Mermaid xychart its axis label boxes, tick texts and series colours.
export function collectFacts(contentWidth) {
  const root = document.getElementById("summary");
  const left = root.getBoundingClientRect().left;
  const text = (e) => (e.innerText ?? e.textContent ?? "").replace(/\u00a0/g, " ");
  const visibleHeight = Math.round(root.getBoundingClientRect().height);

  // Measured with every <details> open, as a reader who expands them sees it.
  const closed = [...root.querySelectorAll("details:not([open])")];
  for (const d of closed) d.open = true;

  const blocks = [...root.children].map((e) => ({ tag: e.localName, text: text(e).trim() }));
  const tables = [...root.querySelectorAll("table")].map((t) => ({
    header: [...t.querySelectorAll("thead tr th")].map((c) => text(c).trim()),
    rows: [...t.querySelectorAll("tbody tr")].map((r) => [...r.children].map((c) => ({
      text: text(c).trim(), title: c.querySelector("[title]")?.getAttribute("title") ?? c.getAttribute("title") ?? "",
    }))),
    scrollWidth: t.scrollWidth,
    clientWidth: t.clientWidth,
  }));

  const overflowing = [];
  for (const e of root.querySelectorAll("*")) {
    if (e.closest("pre") || (e.closest("svg") && e.localName !== "svg")) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0) continue;
    const right = Math.round(r.right - left);
    const hidden = e.localName === "table" && e.scrollWidth > e.clientWidth + 1;
    if (right > contentWidth + 1 || hidden)
      overflowing.push({ tag: e.localName, width: Math.max(right, e.scrollWidth), text: text(e).trim().slice(0, 60) });
  }

  const inline = [...root.querySelectorAll("img, strong, b, em, i, a, del, s, strike, code, kbd, sup, sub, h1, h2, h3, h4, h5, h6")]
    .filter((e) => !e.closest("svg"))
    .map((e) => ({ tag: e.localName, text: text(e).trim(), src: e.getAttribute("src") ?? "" }));

  const charts = [...root.querySelectorAll("div.mermaid")].map((div) => {
    const svg = div.querySelector("svg");
    const box = (t) => { const r = t.getBoundingClientRect(); return { text: t.textContent, x: r.left, y: r.top, w: r.width, h: r.height }; };
    const colour = (e) => (!e ? "" : e.localName === "rect" ? getComputedStyle(e).fill : getComputedStyle(e).stroke);
    const series = svg ? [...svg.querySelectorAll('g[class^="bar-plot-"], g[class^="line-plot-"]')].map((g) => ({
      kind: g.getAttribute("class").startsWith("bar") ? "bar" : "line",
      index: Number(g.getAttribute("class").replace(/\D+/g, "")),
      colour: colour(g.querySelector("rect, path")),
    })) : [];
    return {
      source: div.dataset.source ?? "",
      rendered: !!svg,
      kind: svg?.getAttribute("aria-roledescription") ?? "",
      width: svg ? Math.round(svg.getBoundingClientRect().width) : 0,
      xLabels: svg ? [...svg.querySelectorAll("g.bottom-axis g.label text")].map(box) : [],
      yLabels: svg ? [...svg.querySelectorAll("g.left-axis g.label text")].map((t) => t.textContent) : [],
      series,
    };
  });
  for (const d of closed) d.open = false;

  return {
    blocks, tables, overflowing, inline, charts, visibleHeight,
    text: text(root),
    mermaidError: document.body.dataset.mermaidError ?? "",
  };
}
