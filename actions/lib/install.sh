#!/usr/bin/env bash
# Installs sbdeploy for the actions: the release binary for this runner's OS and architecture,
# checked against dist/manifest.txt of the action's own checkout (name, size, sha256) and kept
# in the runner's tool cache, or a build from source. The manifest is committed with the
# release's tag (scripts/release), so pinning the action by commit pins the binary too: nothing
# fetched from the (mutable) release decides what is trusted. Adds the binary to GITHUB_PATH,
# writes the outputs version, path and cache-hit, and ends with `sbdeploy --version`.
# Settings come from the environment (the actions map their inputs):
#   SBDEPLOY_INSTALL_VERSION       1.2.3 | v1.2.3 | 1.2.0-rc.1 | latest | source | empty (the release
#                                  this checkout's dist/manifest.txt records; source when the
#                                  action is a checkout inside the workspace)
#   SBDEPLOY_INSTALL_IF_MISSING    true: use an sbdeploy already on PATH when its --version is the
#                                  version wanted (the version input, else this checkout's); a
#                                  stale one is passed over, saying so
#   SBDEPLOY_INSTALL_REPOSITORY    owner/name holding the releases (default: this action's)
#   SBDEPLOY_INSTALL_DOWNLOAD_URL  base URL of the releases (default: <server>/<repository>/releases),
#                                  or a local folder (a path or file:// URL) holding
#                                  sbdeploy-linux-<arch> as dist/ does: an offline install
set -euo pipefail

fail() {
  # An error annotation for the run's summary (escaped as workflow commands need), and the exit.
  local message="$*"
  message=${message//'%'/%25}
  message=${message//$'\r'/%0D}
  message=${message//$'\n'/%0A}
  printf '::error title=sbdeploy install::%s\n' "$message"
  exit 1
}

output() {
  [[ -n ${GITHUB_OUTPUT:-} ]] && printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  return 0
}

# Puts DIR on PATH for the following steps and for the rest of this one.
use_dir() {
  [[ -n ${GITHUB_PATH:-} ]] && printf '%s\n' "$1" >>"$GITHUB_PATH"
  PATH="$1:$PATH"
}

finish() {
  local bin=$1 cache_hit=$2 printed
  printed=$("$bin" --version) || fail "\"$bin --version\" failed"
  output version "${printed#sbdeploy }"
  output path "$bin"
  output cache-hit "$cache_hit"
  printf '%s\n' "$printed"
}

action_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
manifest=$action_root/dist/manifest.txt
release_version='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'

version=${SBDEPLOY_INSTALL_VERSION:-}
version=${version#v}
[[ -z $version || $version == latest || $version == source || $version =~ $release_version ]] ||
  fail "version \"$version\" is not a release version; hint: use 1.2.3, v1.2.3, latest or source"

# This checkout's version (CMakeLists.txt: x.y.z) and the release its manifest records (x.y.z
# or x.y.z-pre; empty before the first release). Between releases (CMakeLists.txt bumped, the
# manifest still the last release's) the manifest is not this tree's: the checkout is no release.
checkout_version=$(sed -n 's/^project(sbdeploy VERSION \([0-9][0-9.]*\).*/\1/p' "$action_root/CMakeLists.txt" 2>/dev/null || true)
manifest_version=
if [[ -f $manifest ]]; then
  manifest_version=$(awk '$1 == "version" && NF == 2 { print $2 }' "$manifest")
  [[ -z $manifest_version || $manifest_version =~ $release_version ]] ||
    fail "\"$manifest\" names no single release version; hint: restore dist/manifest.txt from the release's tag"
fi
own_release=
[[ -n $manifest_version && ${manifest_version%%-*} == "$checkout_version" ]] && own_release=$manifest_version

if [[ ${SBDEPLOY_INSTALL_IF_MISSING:-false} == true && $version != latest ]] && existing=$(command -v sbdeploy); then
  wanted=$version
  [[ -z $wanted || $wanted == source ]] && wanted=${own_release:-$checkout_version}
  printed=$("$existing" --version 2>/dev/null || true)
  # A pre-release's binary says CMakeLists.txt's x.y.z (1.2.0 for 1.2.0-rc.1): that counts too.
  if [[ -n $wanted && ($printed == "sbdeploy $wanted" || $printed == "sbdeploy ${wanted%%-*}") ]]; then
    echo "sbdeploy: using $existing (already on PATH)"
    finish "$existing" false
    exit 0
  fi
  echo "sbdeploy: not using $existing (already on PATH): it says \"${printed:-nothing}\", this action wants sbdeploy ${wanted:-of a release}"
fi

# Inside the workspace the action is a checkout of this repository (uses: ./), not a release.
if [[ -z $version && -n ${GITHUB_WORKSPACE:-} ]]; then
  workspace=$(cd "$GITHUB_WORKSPACE" && pwd -P)
  [[ $action_root == "$workspace" || $action_root == "$workspace"/* ]] && version=source
fi

build_from_source() {
  local build=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sbdeploy-source
  echo "sbdeploy: building from source in $action_root"
  if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
    local packages=(g++ cmake make pkg-config libpq-dev libcurl4-openssl-dev rapidjson-dev libcxxopts-dev
      libpg-query-dev libpugixml-dev libtomlplusplus-dev libyaml-cpp-dev) missing=() package status
    for package in "${packages[@]}"; do
      status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
      [[ $status == ii* ]] || missing+=("$package")
    done
    if ((${#missing[@]})); then
      local sudo=()
      [[ $EUID -ne 0 ]] && sudo=(sudo)
      echo "::group::apt-get install ${missing[*]}"
      "${sudo[@]}" apt-get update -q
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
      echo "::endgroup::"
    fi
  fi
  command -v cmake >/dev/null 2>&1 || fail "cmake not found: building from source needs cmake, g++ and the libraries in scripts/setup"
  echo "::group::cmake build"
  # The install preset of the checkout's CMakePresets.json (Release, no tests), built outside it.
  cmake -S "$action_root" --preset install -B "$build/build"
  cmake --build "$build/build" --target sbdeploy -j"$(nproc 2>/dev/null || echo 2)"
  echo "::endgroup::"
  mkdir -p "$build/bin"
  cp "$build/build/sbdeploy" "$build/bin/sbdeploy"
  use_dir "$build/bin"
  finish "$build/bin/sbdeploy" false
}

if [[ $version == source ]]; then
  build_from_source
  exit 0
fi

# The release asset for this runner.
os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case "$os" in
  Linux | linux) os=linux ;;
  *) fail "no release binary for $os: releases have Linux binaries only; hint: set version: source to build from source" ;;
esac
case "$arch" in
  X64 | x86_64 | amd64) arch=x64 ;;
  ARM64 | aarch64 | arm64) arch=arm64 ;;
  *) fail "no release binary for $os/$arch: releases have x64 and arm64 binaries; hint: set version: source to build from source" ;;
esac
asset=sbdeploy-$os-$arch

# Which release: the one this checkout's manifest records, and no other. A version input naming
# another release is refused rather than checked against that release's own checksums: those
# would come from the release itself, which whoever can edit the release can replace, and the
# action's scripts and inputs go with the binary of their own release. Pinning the action at
# that release's tag gets its manifest, and with it its binary.
if [[ -z $own_release ]]; then
  if [[ -z $manifest_version ]]; then
    what="this checkout of the action records no release (no version line in dist/manifest.txt): it is a commit before its first release"
  else
    what="this checkout of the action is ${checkout_version:-of no known version} (CMakeLists.txt) and its dist/manifest.txt records the release $manifest_version: it is a commit between releases"
  fi
  fail "$what, so it has no checksums for a binary${version:+ of \"$version\"}; hint: pin the action at a release tag (uses: <owner>/sbdeploy@v1, or @vX.Y.Z), or set version: source to build from this checkout"
fi
if [[ -n $version && $version != latest && $version != "$own_release" ]]; then
  fail "version $version: this checkout of the action installs only the release its dist/manifest.txt records, $own_release; hint: pin the action at v$version instead (uses: <owner>/sbdeploy@v$version) and leave version empty, or set version: source"
fi
read -r expected_size expected_sha < <(awk -v f="$asset" '$1 == f && NF == 3 { print $2, $3 }' "$manifest") || true
[[ ${expected_size:-} =~ ^[0-9]+$ && ${expected_sha:-} =~ ^[0-9a-f]{64}$ ]] ||
  fail "dist/manifest.txt of this action has no size and sha256 for $asset; refusing to install an unverified binary"

# verify FILE: its size and sha256 are the manifest's (prints why not).
verify() {
  local size sha
  size=$(wc -c <"$1")
  size=${size//[[:space:]]/}
  if [[ $size != "$expected_size" ]]; then
    echo "size mismatch for $asset: dist/manifest.txt says $expected_size bytes, got $size"
    return 1
  fi
  sha=$(sha256sum "$1" | cut -d' ' -f1)
  if [[ $sha != "$expected_sha" ]]; then
    echo "checksum mismatch for $asset: expected $expected_sha, got $sha"
    return 1
  fi
}

# The tool cache, under the manifest's version (a pre-release has its own entry); its binary is
# checked again, so a cache entry changed since cannot stand in for the release.
version=$own_release
cache_root=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}/tool-cache}/sbdeploy
dir=$cache_root/$version/$arch
if [[ ${SBDEPLOY_INSTALL_VERSION:-} != latest && -f $cache_root/$version/$arch.complete && -x $dir/sbdeploy ]]; then
  if why=$(verify "$dir/sbdeploy"); then
    echo "sbdeploy: $version from the tool cache"
    use_dir "$dir"
    finish "$dir/sbdeploy" true
    exit 0
  fi
  echo "sbdeploy: not using the tool cache's $version: $why"
  rm -f "$cache_root/$version/$arch.complete"
fi

download=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sbdeploy-download.XXXXXX")
trap 'rm -rf "$download"' EXIT

base=${SBDEPLOY_INSTALL_DOWNLOAD_URL:-}
base=${base%/}
if [[ $base == file://* || $base == /* || $base == .* ]]; then
  # An offline install: a folder holding the assets as dist/ does.
  folder=${base#file://}
  [[ -f $folder/$asset ]] || fail "no $asset in the folder \"$folder\" (download-url); hint: copy the release's assets there, as scripts/release leaves them in dist/"
  echo "sbdeploy: copying $folder/$asset"
  cp "$folder/$asset" "$download/$asset"
else
  if [[ -z $base ]]; then
    repository=${SBDEPLOY_INSTALL_REPOSITORY:-}
    if [[ -z $repository ]]; then
      # A remote action is checked out at <runner>/_actions/<owner>/<repo>/<ref>.
      ref_dir=$(dirname "$action_root")
      [[ $(basename "$(dirname "$(dirname "$ref_dir")")") == _actions ]] ||
        fail "cannot tell this action's repository from \"$action_root\"; hint: set the repository input"
      repository=$(basename "$(dirname "$ref_dir")")/$(basename "$ref_dir")
    fi
    base=${GITHUB_SERVER_URL:-https://github.com}/$repository/releases
  fi
  release_path=download/v$version
  [[ ${SBDEPLOY_INSTALL_VERSION:-} == latest ]] && release_path=latest/download
  url=$base/$release_path/$asset
  echo "sbdeploy: downloading $url"
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 --output "$download/$asset" "$url" ||
      fail "download of \"$url\" failed"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --tries=3 --timeout=20 --output-document="$download/$asset" "$url" ||
      fail "download of \"$url\" failed"
  else
    fail "neither curl nor wget is installed, and downloading $asset needs one of them; hint: install curl (apt-get install curl), or set download-url to a folder holding $asset"
  fi
fi

if ! why=$(verify "$download/$asset"); then
  [[ ${SBDEPLOY_INSTALL_VERSION:-} == latest ]] &&
    fail "$why; the latest release is not $version, the release this checkout of the action records; hint: pin the action at the release you want instead of version: latest"
  fail "$why; refusing to install it (a corrupted or tampered download)"
fi
echo "sbdeploy: sha256 $expected_sha verified against dist/manifest.txt"

chmod 755 "$download/$asset"
printed=$("$download/$asset" --version) || fail "the downloaded $asset does not run on this runner"
got=${printed#sbdeploy }
# A pre-release's binary may say the version of CMakeLists.txt (1.2.0 for 1.2.0-rc.1).
[[ $got == "$version" || $got == "${version%%-*}" ]] ||
  fail "the release v$version holds a binary that says \"$printed\"; hint: check dist/manifest.txt and the release assets"

mkdir -p "$dir"
mv "$download/$asset" "$dir/sbdeploy"
touch "$cache_root/$version/$arch.complete"
use_dir "$dir"
finish "$dir/sbdeploy" false
