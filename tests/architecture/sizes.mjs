// The size rules of CONTRIBUTING.md, checked: no function in src/cli/ over 80 lines (from the
// first line of its signature to its closing brace: a handler reads as the steps it takes), and
// no .cpp file in src/ over 500 lines unless its opening comment says why ("over 500 lines:
// <reason>", e.g. the statement splitter, one concept that needs the room).
//   node tests/architecture/sizes.mjs [ROOT]   prints one line per problem, exits 1 if any
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const MAX_HANDLER_LINES = 80;
export const MAX_FILE_LINES = 500;

// The text with comments, string and character literals blanked (line breaks kept), so braces
// inside them do not count.
export function code(text) {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const c = text[i], next = text[i + 1];
    if (c === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === "R" && next === '"') {
      const open = text.indexOf("(", i);
      const delim = ")" + text.slice(i + 2, open) + '"';
      const end = text.indexOf(delim, open);
      const stop = end < 0 ? text.length : end + delim.length;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || (c === "'" && !/[0-9a-fA-F]/.test(text[i - 1] ?? ""))) {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out += " ".repeat(j + 1 - i);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// Each function body at namespace level: { name, start, end } (1-based lines), start being the
// first line of its signature. Blocks opened by namespace, class, struct, enum or an
// initializer ("= {") are not functions; a class's member functions defined inline are not
// counted on their own.
export function functions(text) {
  const lines = code(text).split("\n");
  const found = [];
  let namespaces = 0, depth = 0, head = "", headLine = 0, open = null;
  const stack = [];
  lines.forEach((line, n) => {
    for (const c of line) {
      if (depth === namespaces && !/\s/.test(c) && c !== "{" && c !== "}" && head.trim() === "") headLine = n + 1;
      if (c === "{") {
        if (depth === namespaces) {
          const h = head.trim();
          const isNamespace = /(^|\s)namespace(\s[\w:]*)?\s*$/.test(h) || /extern\s*$/.test(h);
          if (isNamespace) {
            namespaces++;
            stack.push("ns");
          } else {
            const isFunction = h.includes(")") && !/(^|\s)(class|struct|enum|union)\s/.test(h) && !/=\s*$/.test(h);
            open = isFunction ? { name: (h.match(/([\w:~<>=!+*\-\/\[\]]+)\s*\(/) ?? [, h])[1], start: headLine } : null;
            stack.push("body");
          }
          head = "";
        } else stack.push("inner");
        depth = stack.filter((s) => s !== "ns").length + namespaces;
        continue;
      }
      if (c === "}") {
        const kind = stack.pop();
        if (kind === "ns") namespaces--;
        depth = stack.filter((s) => s !== "ns").length + namespaces;
        if (kind === "body" && depth === namespaces) {
          if (open) found.push({ ...open, end: n + 1 });
          open = null;
          head = "";
        }
        continue;
      }
      if (depth === namespaces) {
        if (c === ";") head = "";
        else if (!(c === "#" && head.trim() === "")) head += c;
      }
    }
    if (depth === namespaces) {
      if (/^\s*#/.test(line)) head = "";
      else head += "\n";
    }
  });
  return found;
}

const listCpp = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .flatMap((e) => (e.isDirectory() ? listCpp(join(dir, e.name)) : e.name.endsWith(".cpp") ? [join(dir, e.name)] : []))
    : [];

// Every problem of the tree at ROOT, one line each.
export function checkSizes(root) {
  const problems = [];
  for (const file of listCpp(join(root, "src", "cli"))) {
    for (const f of functions(readFileSync(file, "utf8"))) {
      const n = f.end - f.start + 1;
      if (n > MAX_HANDLER_LINES)
        problems.push(
          `${relative(root, file)}:${f.start}: ${f.name} is ${n} lines, over ${MAX_HANDLER_LINES}; hint: split it into named steps (src/util/try.hpp's TRY keeps them short)`,
        );
    }
  }
  for (const file of listCpp(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    const n = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    const opening = text.split("\n").slice(0, 20).join("\n");
    if (n > MAX_FILE_LINES && !/over 500 lines:/.test(opening))
      problems.push(
        `${relative(root, file)}: ${n} lines, over ${MAX_FILE_LINES}; hint: split it by concept, or say in its opening comment "over 500 lines: <why>"`,
      );
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const problems = checkSizes(root);
  for (const p of problems) console.log(p);
  process.exit(problems.length ? 1 : 0);
}
