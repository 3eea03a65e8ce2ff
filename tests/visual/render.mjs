// The visual test's renderer: a step summary (Markdown) rendered as GitHub renders it on a run page
// (cmark-gfm from Debian, GitHub's HTML allowlist, github-markdown-css, Mermaid 11 for ```mermaid
// blocks, 1,000 px of content in an 1,100 px page) in headless Chromium (Debian) driven by
// puppeteer-core; returns what a person sees as DOM facts, and writes a PNG.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectFacts } from "./facts.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "package.json"));
const puppeteer = require("puppeteer-core");

export const PAGE_WIDTH = 1100;
export const CONTENT_WIDTH = 1000;

// Markdown -> HTML exactly as cmark-gfm renders it with GitHub's extensions. --unsafe keeps raw
// HTML (the <details>/<summary>/<br> the writer emits, and any HTML that slipped in from user text):
// the allowlist in the page then keeps only what GitHub keeps, so HTML that GitHub would render
// (img, strong, a...) shows up here too and the checks can see it.
export function markdownToHtml(markdown) {
  return execFileSync("cmark-gfm", ["-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter",
    "--unsafe", "--github-pre-lang"], { input: markdown, encoding: "utf8", maxBuffer: 64 << 20 });
}

function css(theme) {
  const file = theme === "dark" ? "github-markdown-dark.css" : "github-markdown-light.css";
  return readFileSync(require.resolve(`github-markdown-css/${file}`), "utf8");
}

// The run page's summary box: an 1,100 px window, 1,000 px of Markdown content.
function shell(theme) {
  const background = theme === "dark" ? "#0d1117" : "#ffffff";
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css(theme)}</style><style>
html,body{margin:0;background:${background}}
.page{width:${PAGE_WIDTH}px;box-sizing:border-box;padding:24px ${(PAGE_WIDTH - CONTENT_WIDTH) / 2}px}
.markdown-body{width:${CONTENT_WIDTH}px;box-sizing:border-box;
  font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif,"Noto Color Emoji"}
</style></head><body><div class="page"><article class="markdown-body" id="summary"></article></div></body></html>`;
}

// In the page: GitHub's sanitizer (html-pipeline's allowlist, the elements and attributes a
// summary can use), emoji shortcodes as GitHub writes them, ```mermaid blocks as diagrams.
async function fill(page, html, theme) {
  await page.evaluate((raw) => {
    const ELEMENTS = new Set(("h1 h2 h3 h4 h5 h6 h7 h8 br b i strong em a pre code img tt div ins del sup sub p ol ul " +
      "table thead tbody tfoot blockquote dl dt dd kbd q samp var hr ruby rt rp li tr td th s strike summary details " +
      "caption figure figcaption abbr bdo cite dfn mark small span time wbr input").split(" "));
    const DROP_WITH_CONTENT = new Set(["script", "style", "iframe", "object", "embed", "template", "textarea", "title"]);
    const ATTRIBUTES = new Set(["abbr", "align", "alt", "axis", "border", "cellpadding", "cellspacing", "colspan",
      "dir", "headers", "height", "hreflang", "lang", "nowrap", "open", "rowspan", "scope", "span", "start",
      "summary", "title", "valign", "width", "itemprop"]);
    const EXTRA = { a: ["href"], img: ["src", "longdesc"], pre: ["lang"], code: ["class"], input: ["type", "checked", "disabled"] };
    const EMOJI = { white_check_mark: "✅", x: "❌", warning: "⚠️", heavy_check_mark: "✔️", no_entry: "⛔",
      no_entry_sign: "🚫", fast_forward: "⏩", next_track_button: "⏭️", information_source: "ℹ️",
      grey_question: "❔", hourglass: "⌛", rocket: "🚀", red_circle: "🔴", green_circle: "🟢" };
    const doc = new DOMParser().parseFromString(`<body>${raw}</body>`, "text/html");
    const clean = (node) => {
      for (const child of [...node.childNodes]) {
        if (child.nodeType === Node.COMMENT_NODE) { child.remove(); continue; }
        if (child.nodeType === Node.TEXT_NODE) {
          if (!child.parentElement?.closest("code, pre"))
            child.textContent = child.textContent.replace(/:([a-z_]+):/g, (m, name) => EMOJI[name] ?? m);
          continue;
        }
        if (child.nodeType !== Node.ELEMENT_NODE) { child.remove(); continue; }
        const tag = child.localName;
        if (DROP_WITH_CONTENT.has(tag)) { child.remove(); continue; }
        clean(child);
        if (!ELEMENTS.has(tag)) { child.replaceWith(...child.childNodes); continue; }
        for (const attr of [...child.attributes]) {
          const ok = ATTRIBUTES.has(attr.name) || (EXTRA[tag] ?? []).includes(attr.name);
          const url = ["href", "src", "longdesc"].includes(attr.name);
          if (!ok || (url && /^\s*(javascript|data|vbscript):/i.test(attr.value))) child.removeAttribute(attr.name);
        }
      }
    };
    clean(doc.body);
    const target = document.getElementById("summary");
    target.replaceChildren(...[...doc.body.childNodes].map((n) => document.importNode(n, true)));
    // GitHub shows ```mermaid blocks as diagrams: <pre lang="mermaid"> becomes a diagram container.
    for (const pre of target.querySelectorAll('pre[lang="mermaid"]')) {
      const div = document.createElement("div");
      div.className = "mermaid";
      div.textContent = pre.textContent;
      div.dataset.source = pre.textContent;
      pre.replaceWith(div);
    }
  }, html);
  if (!(await page.$("div.mermaid"))) return;
  // Mermaid is loaded once per page (theme) and kept: the page is reused for every summary.
  if (!(await page.evaluate(() => !!window.mermaid))) {
    await page.addScriptTag({ path: require.resolve("mermaid/dist/mermaid.min.js") });
    await page.evaluate((dark) => window.mermaid.initialize({ startOnLoad: false, theme: dark ? "dark" : "default", securityLevel: "strict" }),
      theme === "dark");
  }
  await page.evaluate(async () => {
    delete document.body.dataset.mermaidError;
    try {
      await window.mermaid.run({ querySelector: "div.mermaid" });
    } catch (e) {
      document.body.dataset.mermaidError = String(e?.message ?? e);
    }
  });
}

export class Renderer {
  static async open({ chromium, netns }) {
    const args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
      "--disable-sync", "--disable-default-apps", "--disable-domain-reliability", "--disable-gpu", "--font-render-hinting=none", "--disable-dev-shm-usage",
      // two pages (light, dark) take turns: the one in the background must still paint
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"];
    const executablePath = netns ? join(here, "chromium-netns") : chromium;
    const browser = await puppeteer.launch({
      executablePath, pipe: true, headless: true, args, protocolTimeout: 60_000, env: { ...process.env, SBDEPLOY_CHROMIUM: chromium },
    });
    return new Renderer(browser);
  }

  constructor(browser) {
    this.browser = browser;
  }

  // One page per theme, reused: the shell and Mermaid load once.
  async page(theme) {
    this.pages ??= {};
    if (!this.pages[theme]) {
      const page = await this.browser.newPage();
      await page.setViewport({ width: PAGE_WIDTH, height: 800, deviceScaleFactor: 1 });
      await page.setContent(shell(theme), { waitUntil: "load" });
      this.pages[theme] = page;
    }
    return this.pages[theme];
  }

  // Renders `markdown` in `theme` (light|dark); writes `png` when given; returns the DOM facts.
  async render(markdown, { theme = "light", png } = {}) {
    const page = await this.page(theme);
    await page.bringToFront();
    await fill(page, markdownToHtml(markdown), theme);
    const facts = await page.evaluate(collectFacts, CONTENT_WIDTH);
    if (png) await (await page.$(".page")).screenshot({ path: png });
    return facts;
  }

  async close() {
    await this.browser.close();
  }
}
