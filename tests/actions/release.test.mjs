// scripts/release, dry: a temp repository holding the script, CMakeLists.txt and dist/, a local
// bare repository as its remote, small stand-in files as the two binaries (--assets), and an
// upload hook that copies them to a folder. Releases 1.2.0, 1.3.0, a backport 1.2.1 and
// 1.4.0-rc.1 in turn and checks the tagged manifests and where the major tag v1 points.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runAction } from "./runner.mjs";
import { git, gitEnv, sourceDir, tempDir } from "./support.mjs";

const script = join(sourceDir, "scripts", "release");
const sha = (b) => createHash("sha256").update(b).digest("hex");

// The clone to release from and its remote; CMakeLists.txt says `version`.
function repository(version) {
  const dir = tempDir("sbdeploy-release-");
  const remote = join(dir, "remote.git");
  const work = join(dir, "work");
  git(dir, "init", "-q", "--bare", "-b", "main", remote);
  mkdirSync(join(work, "scripts"), { recursive: true });
  cpSync(script, join(work, "scripts", "release"));
  cpSync(join(sourceDir, ".gitignore"), join(work, ".gitignore"));
  cpSync(join(sourceDir, "dist", "manifest.txt"), join(work, "dist", "manifest.txt"));
  cpSync(join(sourceDir, "dist", "README.md"), join(work, "dist", "README.md"));
  git(work, "init", "-q", "-b", "main");
  git(work, "remote", "add", "origin", remote);
  bump(work, version);
  git(work, "push", "-q", "origin", "main");
  return { work, remote };
}

function bump(work, version) {
  writeFileSync(join(work, "CMakeLists.txt"), `cmake_minimum_required(VERSION 3.25)\nproject(sbdeploy VERSION ${version} LANGUAGES C CXX)\n`);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", `Version ${version}`);
}

// Stand-in binaries for `version` (they answer --version), different for every release.
function assets(version) {
  const dir = tempDir("sbdeploy-assets-");
  const files = {};
  for (const arch of ["x64", "arm64"]) {
    files[arch] = Buffer.from(`#!/bin/sh\necho "sbdeploy ${version}" # stand-in for linux-${arch}\n`);
    writeFileSync(join(dir, `sbdeploy-linux-${arch}`), files[arch]);
  }
  return { dir, files };
}

const release = (work, ...args) => spawnSync("bash", ["scripts/release", ...args], { cwd: work, encoding: "utf8", env: gitEnv });
const remoteTag = (remote, tag) => git(remote, "rev-parse", `refs/tags/${tag}^{commit}`);

test("release: major_moves, on its own", () => {
  const moves = (version, ...tags) =>
    spawnSync("bash", ["-c", 'source "$1" && shift && major_moves "$@"', "bash", script, version, ...tags]).status === 0;
  assert.equal(moves("1.0.0"), true, "the first release of a major");
  assert.equal(moves("1.3.0", "v1.2.0", "v1", "v0.9.0"), true);
  assert.equal(moves("1.3.0", "refs/tags/v1.2.0", "refs/tags/v1.3.0"), true, "its own tag among them");
  assert.equal(moves("1.2.1", "v1.2.0", "v1.3.0"), false, "a backport");
  assert.equal(moves("1.10.0", "v1.9.0", "v1.2.10"), true, "numeric order, not text order");
  assert.equal(moves("1.9.1", "v1.10.0"), false, "numeric order, not text order");
  assert.equal(moves("1.4.0-rc.1", "v1.3.0"), false, "never a pre-release");
  assert.equal(moves("1.3.1", "v1.3.0", "v1.4.0-rc.1"), true, "pre-releases do not count");
  assert.equal(moves("2.0.0", "v1.9.0", "v3.0.0"), true, "other majors do not count");
});

test("release: manifest committed and tagged, pushed, uploaded; v1 moves only for the highest final release", async () => {
  const { work, remote } = repository("1.2.0");
  const uploads = tempDir("sbdeploy-uploads-");
  const hook = `mkdir -p "${uploads}/$1" && cp "\${@:2}" "${uploads}/$1/" && echo "$SBDEPLOY_RELEASE_PRERELEASE" >"${uploads}/$1/prerelease"`;

  const check = (version, a) => {
    const tag = `v${version}`;
    const commit = remoteTag(remote, tag);
    assert.equal(git(remote, "cat-file", "-t", `refs/tags/${tag}`), "tag", `${tag} is annotated`);
    assert.equal(git(remote, "log", "-1", "--format=%s", commit), `Release ${tag}: dist/manifest.txt`);
    const manifest = git(remote, "show", `${commit}:dist/manifest.txt`).split("\n");
    assert.ok(manifest[0].startsWith("# "), "comment lines first");
    assert.deepEqual(
      manifest.filter((l) => !l.startsWith("#")),
      [`version ${version}`, ...["x64", "arm64"].map((arch) => `sbdeploy-linux-${arch} ${a.files[arch].length} ${sha(a.files[arch])}`)],
    );
    assert.deepEqual(git(remote, "diff", "--name-only", `${commit}~1`, commit).split("\n"), ["dist/manifest.txt"], "the release commit changes only the manifest");
    for (const arch of ["x64", "arm64"]) assert.deepEqual(readFileSync(join(uploads, tag, `sbdeploy-linux-${arch}`)), a.files[arch]);
    return commit;
  };

  // 1.2.0: the first release of v1.
  const a120 = assets("1.2.0");
  let r = release(work, "1.2.0", "--assets", a120.dir, "--upload", hook);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const c120 = check("1.2.0", a120);
  assert.equal(git(remote, "rev-parse", "refs/heads/main"), c120, "the release commit is on the branch");
  assert.equal(remoteTag(remote, "v1"), c120);
  assert.equal(readFileSync(join(uploads, "v1.2.0", "prerelease"), "utf8"), "false\n");
  assert.match(r.stdout, /moved v1 to v1\.2\.0/);

  // 1.3.0 after 1.2.0: v1 moves.
  bump(work, "1.3.0");
  const a130 = assets("1.3.0");
  r = release(work, "v1.3.0", "--assets", a130.dir, "--upload", hook);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const c130 = check("1.3.0", a130);
  assert.equal(remoteTag(remote, "v1"), c130);

  // The install action at that tag takes the binary the manifest names (offline, from the assets).
  const checkout = tempDir("sbdeploy-release-checkout-");
  execFileSync("bash", ["-c", 'git -C "$0" archive v1.3.0 | tar -x -C "$1"', remote, checkout]);
  cpSync(join(sourceDir, "action.yml"), join(checkout, "action.yml"));
  cpSync(join(sourceDir, "actions"), join(checkout, "actions"), { recursive: true });
  const installed = await runAction(checkout, { workspace: tempDir(), with: { "download-url": a130.dir } });
  assert.equal(installed.ok, true, installed.log);
  assert.equal(installed.outputs.version, "1.3.0");

  // A backport 1.2.1 on a branch from v1.2.0: released, v1 stays at 1.3.0.
  git(work, "checkout", "-q", "-b", "release-1.2", "v1.2.0");
  bump(work, "1.2.1");
  const a121 = assets("1.2.1");
  r = release(work, "1.2.1", "--assets", a121.dir, "--upload", hook);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const c121 = check("1.2.1", a121);
  assert.equal(git(remote, "rev-parse", "refs/heads/release-1.2"), c121);
  assert.equal(remoteTag(remote, "v1"), c130);
  assert.match(r.stdout, /v1 stays where it is/);

  // 1.4.0-rc.1 on main: a pre-release, v1 stays; --no-upload uploads nothing.
  git(work, "checkout", "-q", "main");
  bump(work, "1.4.0");
  const arc = assets("1.4.0-rc.1");
  r = release(work, "1.4.0-rc.1", "--assets", arc.dir, "--upload", hook);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  check("1.4.0-rc.1", arc);
  assert.equal(readFileSync(join(uploads, "v1.4.0-rc.1", "prerelease"), "utf8"), "true\n");
  assert.equal(remoteTag(remote, "v1"), c130);

  // The same version again: refused, nothing pushed.
  const head = git(remote, "rev-parse", "refs/heads/main");
  r = release(work, "1.4.0-rc.1", "--assets", arc.dir, "--no-upload");
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "release: v1.4.0-rc.1 is on origin already; hint: release the next version\n");
  assert.equal(git(remote, "rev-parse", "refs/heads/main"), head);
});

test("release: a version that is not CMakeLists.txt's is refused (exit 2), before anything is done", () => {
  const { work, remote } = repository("1.2.0");
  const a = assets("1.3.0");
  for (const [args, message] of [
    [["1.3.0"], "VERSION 1.3.0 does not match CMakeLists.txt, which says project(sbdeploy VERSION 1.2.0); hint: bump the version in CMakeLists.txt and commit it first, or release 1.2.0"],
    [["1.2"], 'VERSION "1.2" is not x.y.z or x.y.z-pre (1.2.0, 1.2.0-rc.1)'],
    [[], "VERSION is missing"],
    [["1.2.0", "--frobnicate"], 'unknown option "--frobnicate"'],
  ]) {
    const r = release(work, ...args, "--assets", a.dir, "--no-upload");
    assert.equal(r.status, 2, args.join(" "));
    assert.equal(r.stderr.split("\n")[0], `release: ${message}`);
    assert.match(r.stderr, /^usage: scripts\/release VERSION/m);
  }
  assert.equal(git(remote, "tag", "--list"), "", "no tag");
  assert.equal(git(work, "status", "--porcelain"), "", "no change");
});

test("release: --check, and missing assets", () => {
  const { work } = repository("1.2.0");
  let r = release(work, "1.2.0", "--check");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "== release: v1.2.0 matches CMakeLists.txt and is not on origin yet\n");
  const empty = tempDir("sbdeploy-assets-");
  r = release(work, "1.2.0", "--assets", empty, "--no-upload");
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `release: no ${empty}/sbdeploy-linux-x64; hint: build it with scripts/build-static x64\n`);
});
