// The local runner itself: it must run a composite action the way GitHub does, or the action
// tests prove nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { condition, interpolate, parseFileCommands, parseWorkflowCommands, runAction, templateParts } from "./runner.mjs";
import { tempDir } from "./support.mjs";

function action(yaml) {
  const dir = tempDir("sbdeploy-action-");
  writeFileSync(join(dir, "action.yml"), yaml);
  return dir;
}

test("templates: expressions, quoted braces, literal text", () => {
  assert.deepEqual(templateParts("a ${{ 'x}}y' }} b ${{ inputs.n }}"), [
    { text: "a " },
    { expression: "'x}}y'" },
    { text: " b " },
    { expression: "inputs.n" },
  ]);
  const contexts = { inputs: { n: "3", "dash-name": "d" }, github: { event: { pull_request: { title: "t" } } } };
  assert.equal(interpolate("n=${{ inputs.n }}, ${{ inputs.dash-name }}", contexts), "n=3, d");
  assert.equal(interpolate("${{ github.event.pull_request.title }}", contexts), "t");
  assert.equal(interpolate("${{ format('{0}-{1}', inputs.n, 'x') }}", contexts), "3-x");
  assert.equal(interpolate("${{ inputs.missing }}", contexts), "");
  assert.throws(() => templateParts("${{ inputs.n "), /unterminated expression/);
});

test("conditions: implicit success(), status functions, ${{ }} form", () => {
  const ok = { failed: false };
  const failed = { failed: true };
  const contexts = { inputs: { a: "", b: "x" } };
  assert.equal(condition(undefined, contexts, ok), true);
  assert.equal(condition(undefined, contexts, failed), false);
  assert.equal(condition("inputs.b != ''", contexts, ok), true);
  assert.equal(condition("inputs.b != ''", contexts, failed), false, "success() && (...)");
  assert.equal(condition("${{ inputs.a != '' }}", contexts, ok), false);
  assert.equal(condition("always() && inputs.b == 'X'", contexts, failed), true, "comparisons ignore case");
  assert.equal(condition("failure()", contexts, failed), true);
  assert.equal(condition("failure()", contexts, ok), false);
});

test("file commands: name=value and heredoc blocks", () => {
  assert.deepEqual(parseFileCommands("a=1\nb<<EOF\nline 1\nline 2\nEOF\nc=x=y\n", "GITHUB_OUTPUT"), {
    a: "1",
    b: "line 1\nline 2",
    c: "x=y",
  });
  assert.throws(() => parseFileCommands("b<<EOF\nno end\n", "GITHUB_OUTPUT"), /matching delimiter not found "EOF"/);
});

test("workflow commands: properties and escapes", () => {
  assert.deepEqual(parseWorkflowCommands("plain\n::error file=a%2Cb.sql,line=3::bad%0Anext %25\n::add-mask::s3cret\n"), [
    { command: "error", properties: { file: "a,b.sql", line: "3" }, message: "bad\nnext %" },
    { command: "add-mask", properties: {}, message: "s3cret" },
  ]);
});

test("a composite action: inputs, defaults, env, GITHUB_ENV/PATH/OUTPUT between steps, if:, outputs", async () => {
  const dir = action(`name: t
description: t
inputs:
  who:
    description: w
    default: \${{ github.actor }}
  flag:
    description: f
    default: "false"
outputs:
  greeting:
    description: g
    value: \${{ steps.second.outputs.greeting }}
  skipped:
    description: s
    value: \${{ steps.third.outputs.never }}
runs:
  using: composite
  steps:
    - id: first
      shell: bash
      env:
        WHO: \${{ inputs.who }}
      run: |
        echo "FROM_FIRST=$WHO" >>"$GITHUB_ENV"
        mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool\\n' >"$RUNNER_TEMP/bin/tool" && chmod +x "$RUNNER_TEMP/bin/tool"
        echo "$RUNNER_TEMP/bin" >>"$GITHUB_PATH"
        [[ $- == *e* ]] && shopt -qo pipefail && echo "options ok"
    - id: second
      shell: bash
      run: |
        { echo "greeting<<X"; echo "hello $FROM_FIRST"; echo "from $(tool)"; echo "X"; } >>"$GITHUB_OUTPUT"
    - id: third
      if: inputs.flag == 'true'
      shell: bash
      run: echo "never=1" >>"$GITHUB_OUTPUT"
    - id: fourth
      shell: bash
      run: false
    - id: fifth
      shell: bash
      run: echo unreachable
    - id: cleanup
      if: always()
      shell: bash
      run: echo "outcome of fourth is known"
`);
  const r = await runAction(dir, { github: { actor: "mona" } });
  assert.equal(r.ok, false, "fourth failed");
  assert.deepEqual(r.inputs, { who: "mona", flag: "false" });
  assert.equal(r.step.first.stdout, "options ok\n");
  assert.deepEqual(r.outputs, { greeting: "hello mona\nfrom tool", skipped: "" });
  assert.deepEqual(
    r.steps.map((s) => [s.id, s.outcome]),
    [
      ["first", "success"],
      ["second", "success"],
      ["third", "skipped"],
      ["fourth", "failure"],
      ["fifth", "skipped"],
      ["cleanup", "success"],
    ],
  );
  assert.equal(r.step.fourth.exitCode, 1);
  assert.deepEqual(r.env, { FROM_FIRST: "mona" });
  await assert.rejects(runAction(dir, { with: { whom: "x" } }), /unexpected input "whom"; valid inputs: who, flag/);
});

test("each step gets fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files", async () => {
  const dir = action(`name: t
description: t
runs:
  using: composite
  steps:
    - id: a
      shell: bash
      run: echo "x=1" >>"$GITHUB_OUTPUT"; echo "# a" >>"$GITHUB_STEP_SUMMARY"; echo "$GITHUB_OUTPUT" >"$RUNNER_TEMP/first"
    - id: b
      shell: bash
      run: test "$GITHUB_OUTPUT" != "$(cat "$RUNNER_TEMP/first")" && test ! -s "$GITHUB_OUTPUT" && test ! -s "$GITHUB_STEP_SUMMARY"
`);
  const r = await runAction(dir);
  assert.equal(r.ok, true, r.log);
  assert.deepEqual(r.step.a.outputs, { x: "1" });
  assert.equal(r.step.a.summary, "# a\n");
  assert.deepEqual(r.step.b.outputs, {});
});
