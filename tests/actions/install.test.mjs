// The install action (action.yml) run by the local runner against a local file server that
// publishes releases like GitHub does: a good binary, a tampered one, a missing checksum.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { runAction } from "./runner.mjs";
import { actionDir, binary, git, project, sourceDir, tempDir } from "./support.mjs";

const arch = process.arch === "arm64" ? "arm64" : "x64";
const asset = `sbdeploy-linux-${arch}`;
const version = execFileSync(binary(), ["--version"], { encoding: "utf8" }).trim().replace(/^sbdeploy /, "");
// A small stand-in that answers --version like the binary (the real one, tens of MB with debug
// info, is served only where a sub-action runs it).
const good = Buffer.from(`#!/bin/sh\necho "sbdeploy ${version}"\n`);
const real = readFileSync(binary());
const sha = (b) => createHash("sha256").update(b).digest("hex");
const sums = (b) => `${sha(Buffer.from("other"))}  sbdeploy-linux-other\n${sha(b)}  ${asset}\n`;
const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";

// path -> [status, body, headers]
const files = {
  [`/good/download/v${version}/${asset}`]: [200, good],
  [`/good/download/v${version}/SHA256SUMS`]: [200, sums(good)],
  [`/good/latest/download/${asset}`]: [302, "", { location: `/good/download/v${version}/${asset}` }],
  [`/good/latest/download/SHA256SUMS`]: [302, "", { location: `/good/download/v${version}/SHA256SUMS` }],
  [`/tampered/download/v${version}/${asset}`]: [200, Buffer.concat([good, Buffer.from("\n# one more byte")])],
  [`/tampered/download/v${version}/SHA256SUMS`]: [200, sums(good)],
  [`/nosum/download/v${version}/${asset}`]: [200, good],
  [`/nosum/download/v${version}/SHA256SUMS`]: [200, `${sha(good)}  sbdeploy-linux-other\n`],
  [`/acme/sbdeploy/releases/download/v${version}/${asset}`]: [200, good],
  [`/acme/sbdeploy/releases/download/v${version}/SHA256SUMS`]: [200, sums(good)],
  [`/real/download/v${version}/${asset}`]: [200, real],
  [`/real/download/v${version}/SHA256SUMS`]: [200, sums(real)],
};
const requests = [];
let server;
let url;

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url);
    const [status, body, headers] = files[req.url] ?? [404, "not found"];
    res.writeHead(status, headers ?? {});
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const install = (options) => runAction(actionDir("install"), { workspace: tempDir(), path: BASE_PATH, ...options });

test("install: downloads the release asset, verifies it, caches it and puts it on PATH", async () => {
  const toolCache = tempDir("sbdeploy-tool-cache-");
  const first = await install({ toolCache, with: { version, "download-url": `${url}/good` } });
  assert.equal(first.ok, true, first.log);
  const dir = join(toolCache, "sbdeploy", version, arch);
  assert.deepEqual(first.outputs, { version, path: join(dir, "sbdeploy"), "cache-hit": "false" });
  assert.deepEqual(first.pathAdded, [dir]);
  assert.ok(existsSync(join(toolCache, "sbdeploy", version, `${arch}.complete`)));
  assert.deepEqual(readFileSync(join(dir, "sbdeploy")), good);
  const lines = first.step.install.stdout.trim().split("\n");
  assert.equal(lines.at(-2), `sbdeploy: sha256 ${sha(good)} verified`);
  assert.equal(lines.at(-1), `sbdeploy ${version}`, "ends with sbdeploy --version");

  const served = requests.length;
  const second = await install({ toolCache, with: { version: `v${version}`, "download-url": `${url}/good` } });
  assert.equal(second.ok, true, second.log);
  assert.deepEqual(second.outputs, { version, path: join(dir, "sbdeploy"), "cache-hit": "true" });
  assert.equal(requests.length, served, "a cache hit downloads nothing");
});

test("install: refuses a tampered binary", async () => {
  const toolCache = tempDir("sbdeploy-tool-cache-");
  const r = await install({ toolCache, with: { version, "download-url": `${url}/tampered` } });
  assert.equal(r.ok, false);
  const error = r.annotations.find((a) => a.command === "error");
  const tampered = files[`/tampered/download/v${version}/${asset}`][1];
  assert.equal(
    error.message,
    `checksum mismatch for ${asset}: expected ${sha(good)}, got ${sha(tampered)}; refusing to install it (a corrupted or tampered download)`,
  );
  assert.equal(existsSync(join(toolCache, "sbdeploy")), false, "nothing cached");
  assert.deepEqual(r.pathAdded, []);
  assert.equal(r.outputs.path, "");
});

test("install: refuses a binary the checksums file does not list", async () => {
  const r = await install({ with: { version, "download-url": `${url}/nosum` } });
  assert.equal(r.ok, false);
  assert.equal(
    r.annotations.find((a) => a.command === "error").message,
    `SHA256SUMS of the release has no single checksum for ${asset}; refusing to install an unverified binary`,
  );
  assert.deepEqual(r.pathAdded, []);
});

test("install: a release that does not exist", async () => {
  const r = await install({ with: { version: "9.9.9", "download-url": `${url}/good` } });
  assert.equal(r.ok, false);
  assert.equal(r.annotations.find((a) => a.command === "error").message, `download of "${url}/good/download/v9.9.9/SHA256SUMS" failed`);
});

test("install: latest follows the release redirect and caches under the version it got", async () => {
  const toolCache = tempDir("sbdeploy-tool-cache-");
  const r = await install({ toolCache, with: { version: "latest", "download-url": `${url}/good` } });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.version, version);
  assert.equal(r.outputs.path, join(toolCache, "sbdeploy", version, arch, "sbdeploy"));
});

test("install: by default, the version and repository of the action's own checkout", async () => {
  // Where the runner checks out `uses: acme/sbdeploy@v1`.
  const root = join(tempDir("sbdeploy-runner-"), "_actions", "acme", "sbdeploy", "v1");
  mkdirSync(join(root, "actions", "lib"), { recursive: true });
  for (const f of ["action.yml", "CMakeLists.txt", "actions/lib/install.sh"]) cpSync(join(sourceDir, f), join(root, f));
  const r = await runAction(root, { workspace: tempDir(), path: BASE_PATH, github: { serverUrl: url } });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.version, version);
  assert.ok(requests.includes(`/acme/sbdeploy/releases/download/v${version}/${asset}`));
});

test("install: no release binary for this platform names the way out", async () => {
  for (const [runner, what] of [
    [{ os: "macOS", arch: "ARM64" }, "no release binary for macOS: releases have Linux binaries only"],
    [{ os: "Linux", arch: "ARM" }, "no release binary for linux/ARM: releases have x64 and arm64 binaries"],
  ]) {
    const r = await install({ runner, with: { version, "download-url": `${url}/good` } });
    assert.equal(r.ok, false);
    assert.equal(r.annotations.find((a) => a.command === "error").message, `${what}; hint: set version: source to build from source`);
  }
});

test("install: rejects a version that is not one", async () => {
  const r = await install({ with: { version: "1.2; rm -rf /", "download-url": `${url}/good` } });
  assert.equal(r.ok, false);
  assert.equal(r.annotations.find((a) => a.command === "error").message, 'version "1.2; rm -rf /" is not a release version; hint: use 1.2.3, v1.2.3, latest or source');
});

// Building from source, with cmake replaced by a stand-in that records its arguments and
// "builds" by copying the binary under test (a real build takes minutes).
function fakeCmake() {
  const dir = tempDir("sbdeploy-fake-cmake-");
  const log = join(dir, "calls");
  writeFileSync(
    join(dir, "cmake"),
    `#!/bin/bash\nprintf '%s\\n' "$*" >>${log}\nif [[ $1 == --build ]]; then printf '%s' '${good}' >"$2/sbdeploy"; chmod +x "$2/sbdeploy"; else mkdir -p "$4"; fi\n`,
  );
  chmodSync(join(dir, "cmake"), 0o755);
  return { path: `${dir}:${BASE_PATH}`, calls: () => readFileSync(log, "utf8").trim().split("\n") };
}

test("install: from a checkout of this repository (uses: ./) or with version: source, it builds", async (t) => {
  for (const [what, options] of [
    ["uses: ./", { workspace: sourceDir, with: {} }],
    ["version: source", { workspace: tempDir(), with: { version: "source" } }],
  ]) {
    await t.test(what, async () => {
      const cmake = fakeCmake();
      const temp = tempDir("sbdeploy-runner-temp-");
      const r = await install({ ...options, runnerTemp: temp, path: cmake.path });
      assert.equal(r.ok, true, r.log);
      const build = join(temp, "sbdeploy-source");
      assert.deepEqual(cmake.calls(), [
        `-S ${sourceDir} -B ${build}/build -DCMAKE_BUILD_TYPE=Release -DSBDEPLOY_TESTS=OFF`,
        `--build ${build}/build --target sbdeploy -j${execFileSync("nproc", { encoding: "utf8" }).trim()}`,
      ]);
      assert.deepEqual(r.outputs, { version, path: join(build, "bin", "sbdeploy"), "cache-hit": "false" });
      assert.deepEqual(r.pathAdded, [join(build, "bin")]);
    });
  }
});

// The sub-actions install sbdeploy themselves when none is on PATH.
test("install: a sub-action without sbdeploy on PATH installs it first", async () => {
  const workspace = project({ "20240101000000_a.sql": "select 1;\n" });
  git(workspace, "init", "-q", "-b", "main");
  git(workspace, "add", "-A");
  git(workspace, "commit", "-q", "-m", "init");
  const r = await runAction(actionDir("paths-filter-migrations"), {
    workspace,
    path: BASE_PATH,
    env: { SBDEPLOY_INSTALL_DOWNLOAD_URL: `${url}/real` },
    github: { eventName: "workflow_dispatch", ref: "refs/heads/main", sha: git(workspace, "rev-parse", "HEAD") },
    with: { base: "HEAD" },
  });
  assert.equal(r.ok, true, r.log);
  assert.match(r.step.install.stdout, new RegExp(`sbdeploy: sha256 ${sha(real)} verified\\nsbdeploy ${version.replace(/\./g, "\\.")}\\n$`));
  assert.equal(r.outputs.changed, "false");
});
