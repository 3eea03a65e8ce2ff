// Hand-written summaries with the defects of issue 24, each with the expectations a case would
// have and the assertions that must fail on it (`tests/visual/run --broken`): the checks bite. The
// good-* summaries, as the issue asks the writer to make them, must pass the same checks.
const PUSH = { outcome: { emoji: "❌", command: "push", contains: ["2 of 3", "line 1"] }, tables: [{ contains: "20250101000003", rows: 3, cols: 4 }],
  adversarial: [{ text: "pipe|name", version: "20250101000003" }, { text: "tick`s`name", version: "20250101000002" }, { text: "<img src=x> **bold**" }] };
const TWO = { outcome: { emoji: "✅", command: "status" }, second: { emoji: ["⏭️", "✅"], command: "push" } };
const CHART = { outcome: { emoji: "✅", command: "metrics report" }, chart: { maxBuckets: 21 } };

export const broken = [
  { name: "good-push", file: "good-push.md", mustFail: [], expect: PUSH },
  { name: "good-two-commands", file: "good-two-commands.md", mustFail: [], expect: TWO },
  { name: "good-chart", file: "good-chart.md", mustFail: [], expect: CHART },
  {
    name: "broken-pipe", file: "pipe.md", mustFail: ["user text in table"],
    expect: { outcome: { emoji: "❌", command: "push" }, adversarial: [{ text: "pipe|name", version: "20250101000003" }] },
  },
  {
    name: "broken-html", file: "html.md", mustFail: ["no element from user text", "user text verbatim"],
    expect: { outcome: { emoji: "❌", command: "push" }, adversarial: [{ text: "<img src=x> **bold**" }] },
  },
  {
    name: "broken-blank-line", file: "blank-line.md", mustFail: ["second command's first line", "ends with a blank line"],
    expect: { outcome: { emoji: "✅", command: "status" }, second: { emoji: "✅", command: "push" } },
  },
  {
    name: "broken-outcome", file: "outcome.md", mustFail: ["first line holds the outcome"],
    expect: { outcome: { emoji: "✅", command: "push", contains: ["1"] } },
  },
  {
    name: "broken-lint", file: "lint.md", mustFail: ["no overflow past 1000 px", "errors first"],
    expect: { outcome: { emoji: "❌", command: "lint" }, errorsFirst: true },
  },
  {
    name: "broken-thresholds", file: "thresholds.md", mustFail: ["failed thresholds first"],
    expect: { outcome: { emoji: "❌", command: "metrics report" }, failedFirst: true },
  },
  {
    name: "broken-chart", file: "chart.md",
    mustFail: ["chart buckets", "x-axis labels do not overlap", "integer y ticks", "failures not green"],
    expect: { outcome: { emoji: "✅", command: "metrics report" }, chart: { maxBuckets: 21 } },
  },
  {
    name: "broken-empty-chart", file: "chart.md", mustFail: ["no chart for an empty period"],
    expect: { chart: false },
  },
];
