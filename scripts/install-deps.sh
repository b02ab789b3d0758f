#!/bin/sh
# Install what the build (and, with "test", the test suite) needs, only when
# it is missing.  Debian packages through apt-get; the browser tests' npm
# packages through npm ci.  Safe to run again: it does nothing then.
#
# usage: scripts/install-deps.sh [build|test]
set -eu
cd "$(dirname "$0")/.."
purpose="${1:-build}"

BUILD_PKGS="meson ninja-build pkg-config gcc libc6-dev libmicrohttpd-dev libcjson-dev libsqlite3-dev nettle-dev zlib1g-dev python3 esbuild"
TEST_PKGS="chromium wrk clang libclang-rt-14-dev python3-memory-profiler"

missing=""
for pkg in $BUILD_PKGS $( [ "$purpose" = test ] && echo "$TEST_PKGS" ); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
# node and npm come from elsewhere on some machines: ask apt only when the
# commands are missing, or its nodejs would conflict with the one there.
if [ "$purpose" = test ] && ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
    echo "installing:$missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

if [ "$purpose" = test ] && [ -f tests/browser/package.json ]; then
    if [ ! -d tests/browser/node_modules ] || \
       [ tests/browser/package-lock.json -nt tests/browser/node_modules ]; then
        (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi
