#!/usr/bin/env bash
# Installs sbdeploy for the actions: the release binary for this runner's OS and architecture,
# checked against the release's SHA256SUMS and kept in the runner's tool cache, or a build from
# source. Adds it to GITHUB_PATH, writes the outputs version, path and cache-hit, and ends with
# `sbdeploy --version`. Settings come from the environment (the actions map their inputs):
#   SBDEPLOY_INSTALL_VERSION       1.2.3 | v1.2.3 | latest | source | empty (this action's version;
#                                  source when the action is a checkout inside the workspace)
#   SBDEPLOY_INSTALL_IF_MISSING    true: keep an sbdeploy already on PATH when no version is given
#   SBDEPLOY_INSTALL_REPOSITORY    owner/name holding the releases (default: this action's)
#   SBDEPLOY_INSTALL_DOWNLOAD_URL  base URL of the releases (default: <server>/<repository>/releases)
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
version=${SBDEPLOY_INSTALL_VERSION:-}

if [[ -z $version && ${SBDEPLOY_INSTALL_IF_MISSING:-false} == true ]] && existing=$(command -v sbdeploy); then
  echo "sbdeploy: using $existing (already on PATH)"
  finish "$existing" false
  exit 0
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
      libpg-query-dev libpugixml-dev) missing=() package status
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
  cmake -S "$action_root" -B "$build/build" -DCMAKE_BUILD_TYPE=Release -DSBDEPLOY_TESTS=OFF
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

# Which release: this action's own version unless one is given.
if [[ -z $version ]]; then
  version=$(sed -n 's/^project(sbdeploy VERSION \([0-9][0-9.]*\).*/\1/p' "$action_root/CMakeLists.txt" 2>/dev/null || true)
  [[ -n $version ]] || fail "cannot tell this action's version: no project(sbdeploy VERSION ...) in \"$action_root/CMakeLists.txt\"; hint: set the version input"
fi
version=${version#v}
if [[ $version == latest ]]; then
  release_path=latest/download
elif [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  release_path=download/v$version
else
  fail "version \"$version\" is not a release version; hint: use 1.2.3, v1.2.3, latest or source"
fi

cache_root=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}/tool-cache}/sbdeploy
if [[ $version != latest && -f $cache_root/$version/$arch.complete && -x $cache_root/$version/$arch/sbdeploy ]]; then
  echo "sbdeploy: $version from the tool cache"
  use_dir "$cache_root/$version/$arch"
  finish "$cache_root/$version/$arch/sbdeploy" true
  exit 0
fi

base=${SBDEPLOY_INSTALL_DOWNLOAD_URL:-}
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
base=${base%/}

download=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sbdeploy-download.XXXXXX")
trap 'rm -rf "$download"' EXIT
fetch() {
  curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 --output "$2" "$1" ||
    fail "download of \"$1\" failed"
}
echo "sbdeploy: downloading $base/$release_path/$asset"
fetch "$base/$release_path/SHA256SUMS" "$download/SHA256SUMS"
fetch "$base/$release_path/$asset" "$download/$asset"

expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$download/SHA256SUMS")
[[ $expected =~ ^[0-9a-f]{64}$ ]] ||
  fail "SHA256SUMS of the release has no single checksum for $asset; refusing to install an unverified binary"
actual=$(sha256sum "$download/$asset" | cut -d' ' -f1)
[[ $actual == "$expected" ]] ||
  fail "checksum mismatch for $asset: expected $expected, got $actual; refusing to install it (a corrupted or tampered download)"
echo "sbdeploy: sha256 $actual verified"

chmod 755 "$download/$asset"
printed=$("$download/$asset" --version) || fail "the downloaded $asset does not run on this runner"
got=${printed#sbdeploy }
[[ $version == latest || $got == "$version" ]] ||
  fail "the release v$version holds a binary that says \"$printed\"; hint: check the release assets"

dir=$cache_root/$got/$arch
mkdir -p "$dir"
mv "$download/$asset" "$dir/sbdeploy"
touch "$cache_root/$got/$arch.complete"
use_dir "$dir"
finish "$dir/sbdeploy" false
