#!/bin/bash
# Build the pstatsviz image, or build it and test it end to end.
#
# usage: scripts/container.sh build [EXTRA BUILD ARGS...]   (make container)
#        scripts/container.sh test                          (make container-test)
#
# build  podman (docker when podman is absent) builds Containerfile as
#        $IMAGE (pstatsviz:latest).  BASE=IMAGE passes --build-arg BASE=IMAGE
#        for a local bookworm base.  Arguments after "build" go to the build
#        command, e.g. --network=host.
# test   Needs root.  It installs podman, runc, debootstrap and curl when they
#        are missing.  It debootstraps a bookworm base from the Debian mirror
#        in this machine's apt sources, imports it as $BASE_IMAGE (once: it
#        is kept and reused), builds the image on it, and checks it:
#        /healthz, an upload, a tree, and a restart on the same volume.  It
#        removes its containers and volume, keeps the images, and prints the
#        image size and the time taken.  It exits non-zero at the first
#        failure, with what failed.
#
# Environment: IMAGE (pstatsviz:latest), BASE (build only), BASE_IMAGE
# (localhost/bookworm-base:latest), MIRROR (default: read from
# /etc/apt/sources.list*), REBUILD_BASE=1 (debootstrap again),
# PROFILE (data/rasa_maxsize1000.prof).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-pstatsviz:latest}"
BASE_IMAGE="${BASE_IMAGE:-localhost/bookworm-base:latest}"
PROFILE="${PROFILE:-data/rasa_maxsize1000.prof}"
SUITE=bookworm

die() { echo "container.sh: FAILED: $*" >&2; exit 1; }
step() { printf '==> [%4ds] %s\n' "$SECONDS" "$*"; }

engine() {
    if command -v podman >/dev/null 2>&1; then echo podman
    elif command -v docker >/dev/null 2>&1; then echo docker
    else die "neither podman nor docker is installed"
    fi
}

# The engine command: podman or docker, with global options in test mode.
ENGINE=()

# build_image [EXTRA BUILD ARGS...]
build_image() {
    local args=(build -t "$IMAGE" -f Containerfile)
    # The OCI format (podman's default) has no HEALTHCHECK: keep Docker's.
    [ "${ENGINE[0]}" = podman ] && args+=(--format docker)
    [ -n "${BASE:-}" ] && args+=(--build-arg "BASE=$BASE")
    "${ENGINE[@]}" "${args[@]}" "$@" .
}

image_size_mb() {
    local bytes
    bytes=$("${ENGINE[@]}" image inspect "$IMAGE" --format '{{.Size}}') || return 1
    awk -v b="$bytes" 'BEGIN { printf "%.1f MB (%d bytes)", b / 1e6, b }'
}

# ---------------------------------------------------------------- test ----

# The test's podman flags: runc and cgroupfs work on a machine without systemd.
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)

install_missing() {
    local missing="" pkg
    for pkg in podman runc debootstrap curl python3; do
        case "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" in
            *"install ok installed"*) ;;
            *) missing="$missing $pkg" ;;
        esac
    done
    [ -z "$missing" ] && return 0
    step "installing:$missing"
    apt-get update -q || die "apt-get update"
    # shellcheck disable=SC2086 # a list of package names
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
        || die "apt-get install$missing"
}

# Print "URI SUITE" for each Debian "deb" source of $SUITE* in this machine's
# apt configuration, one-line (.list) and deb822 (.sources) formats alike.
# apt reads only *.list and *.sources, so the glob reads the same files.
apt_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [opt=v ...] URI SUITE COMPONENT...
        awk -v s="$SUITE" '$1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) ~ "^" s "(-|$)") print $i, $(i + 1)
            }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # Stanzas separated by blank lines; Enabled: no turns one off.
        awk -v s="$SUITE" '
            function flush(   i, j, nu, ns, u, su) {
                if (types ~ /(^| )deb( |$)/ && enabled != "no") {
                    nu = split(uris, u, " "); ns = split(suites, su, " ")
                    for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
                        if (su[j] ~ "^" s "(-|$)") print u[i], su[j]
                }
                types = uris = suites = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            tolower($1) == "types:"   { $1 = ""; types = $0 }
            tolower($1) == "uris:"    { $1 = ""; uris = $0 }
            tolower($1) == "suites:"  { $1 = ""; suites = $0 }
            tolower($1) == "enabled:" { enabled = tolower($2) }
            END { flush() }' "$f"
    done
}

# Debootstrap a minimal bookworm and import it as $BASE_IMAGE, unless that
# image exists already.
make_base() {
    if [ "${REBUILD_BASE:-0}" != 1 ] && "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
        step "base image $BASE_IMAGE exists: reused (REBUILD_BASE=1 makes it again)"
        return 0
    fi
    local sources mirror
    sources=$(apt_sources | awk '!seen[$0]++')
    mirror="${MIRROR:-$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$sources")}"
    [ -n "$mirror" ] || die "no 'deb URI $SUITE' source in /etc/apt/sources.list or /etc/apt/sources.list.d/*.{list,sources}; set MIRROR=URI"
    mirror="${mirror%/}"
    step "debootstrap --variant=minbase $SUITE from $mirror"

    local dir include=""
    dir=$(mktemp -d /var/tmp/pstatsviz-base.XXXXXX)
    TMPDIRS+=("$dir")
    # apt over https needs the CA certificates, which minbase leaves out.
    case "$mirror" in https:*) include="--include=ca-certificates" ;; esac
    debootstrap --variant=minbase $include "$SUITE" "$dir/rootfs" "$mirror" \
        > "$dir/debootstrap.log" 2>&1 \
        || { tail -n 20 "$dir/debootstrap.log" >&2; die "debootstrap from $mirror"; }

    # The base gets the same Debian sources as this machine: the mirror's
    # bookworm, and its -updates and -security suites when configured, so
    # the image has the same security fixes as the host.
    {
        echo "deb $mirror $SUITE main"
        [ -n "${MIRROR:-}" ] || awk -v s="$SUITE" '$2 != s { print "deb", $1, $2, "main" }' <<<"$sources"
    } > "$dir/rootfs/etc/apt/sources.list"
    # Acquire:: options of this machine (a proxy, or Check-Valid-Until for
    # a snapshot mirror) are what make the mirror reachable and accepted.
    # Single-line ones are copied so that apt-get in the build stage sees
    # the mirror as the host does.
    grep -hsE '^[[:space:]]*Acquire::[^{}]*;[[:space:]]*$' /etc/apt/apt.conf /etc/apt/apt.conf.d/* \
        > "$dir/rootfs/etc/apt/apt.conf.d/90host-acquire" || true
    # Package caches: 80 MB that every build stage would carry.
    rm -rf "$dir"/rootfs/var/cache/apt/*.bin "$dir"/rootfs/var/cache/apt/archives/*.deb \
           "$dir"/rootfs/var/lib/apt/lists/*
    echo "base sources:"; sed 's/^/    /' "$dir/rootfs/etc/apt/sources.list"

    tar -C "$dir/rootfs" --numeric-owner -cf - . \
        | "${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null \
        || die "podman import of the debootstrap'd $SUITE as $BASE_IMAGE"
    rm -rf "$dir"
    step "imported $BASE_IMAGE"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

CONTAINERS=()
VOLUME=""
TMPDIRS=()
TMP=""
# Runs at exit, on success and failure alike: containers, volume, temp dirs.
cleanup() {
    local c
    for c in "${CONTAINERS[@]}"; do "${PODMAN[@]}" rm -f -t 2 "$c" >/dev/null 2>&1 || true; done
    CONTAINERS=()
    [ -z "$VOLUME" ] || "${PODMAN[@]}" volume rm -f "$VOLUME" >/dev/null 2>&1 || true
    VOLUME=""
    [ "${#TMPDIRS[@]}" = 0 ] || rm -rf "${TMPDIRS[@]}"
    TMPDIRS=()
}

# start_server NAME PORT: run the image on the test volume, on 127.0.0.1:PORT.
# The host network keeps CNI and iptables out of the test.  The server binds
# to loopback, so it is not reachable from elsewhere while the test runs.
# The ulimits fit under this machine's hard limits, which podman's defaults
# exceed.
start_server() {
    local name="$1" port="$2"
    CONTAINERS+=("$name")
    # Without systemd, podman logs that it cannot add a timer for the
    # HEALTHCHECK.  That is harmless (`podman healthcheck run` still works),
    # so stderr is shown only when the run fails.
    "${PODMAN[@]}" run -d --name "$name" --network=host \
        --ulimit nofile=1000:20000 --ulimit nproc=1000:1000 \
        -v "$VOLUME:/data" "$IMAGE" \
        pstatsviz serve --host 127.0.0.1 --port "$port" --db /data/profiles.db \
        >/dev/null 2>"$TMP/run.err" \
        || { cat "$TMP/run.err" >&2; die "podman run $IMAGE ($name)"; }
    local i
    for ((i = 0; i < 150; i++)); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/healthz"; then
            step "$name answers /healthz on port $port"
            return 0
        fi
        if [ "$("${PODMAN[@]}" inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
            "${PODMAN[@]}" logs "$name" 2>&1 | grep -v 'systemd connection' >&2 || true
            die "$name exited before answering /healthz (its log is above)"
        fi
        sleep 0.2
    done
    "${PODMAN[@]}" logs "$name" 2>&1 | grep -v 'systemd connection' >&2 || true
    die "$name gave no 200 on http://127.0.0.1:$port/healthz within 30 s (its log is above)"
}

# http METHOD URL OUT [CURL ARGS...]: prints the status code; the body goes to OUT.
http() {
    local method="$1" url="$2" out="$3"; shift 3
    curl -sS -X "$method" -o "$out" -w '%{http_code}' "$@" "$url" || true
}

# json_check FILE PYTHON-EXPRESSION: the expression (of j, the parsed body)
# must be true.
json_check() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
try:
    with open(path, encoding="utf-8") as f:
        j = json.load(f)
except (OSError, ValueError) as e:
    sys.exit(f"{path}: not JSON: {e}")
sys.exit(0 if eval(expr, {"json": json}, {"j": j}) else f"{path}: expected {expr}")
EOF
}

run_test() {
    [ "$(id -u)" = 0 ] || die "test needs root (apt-get, debootstrap, rootful podman)"
    [ -f "$PROFILE" ] || die "$PROFILE is missing"
    ENGINE=("${PODMAN[@]}")
    trap cleanup EXIT
    install_missing
    make_base

    step "building $IMAGE on $BASE_IMAGE"
    # The host network: RUN apt-get reaches the mirror as the host does.
    BASE="$BASE_IMAGE" build_image --network=host \
        || die "podman build (the log is above)"
    step "built $IMAGE: $(image_size_mb)"

    TMP=$(mktemp -d)
    TMPDIRS+=("$TMP")
    local tmp="$TMP"
    VOLUME="pstatsviz-test-$$"
    "${PODMAN[@]}" volume create "$VOLUME" >/dev/null || die "podman volume create $VOLUME"

    local port code id want
    port=$(free_port)
    start_server "pstatsviz-test-a-$$" "$port"
    if "${PODMAN[@]}" healthcheck run "pstatsviz-test-a-$$" >"$tmp/health.out" 2>&1; then
        step "the image's HEALTHCHECK passes"
    else
        cat "$tmp/health.out" >&2
        die "podman healthcheck run: the image's HEALTHCHECK fails while /healthz answers 200"
    fi

    code=$(http POST "http://127.0.0.1:$port/api/profiles" "$tmp/upload.json" \
           -H 'Content-Type: application/octet-stream' --data-binary "@$PROFILE")
    [ "$code" = 201 ] || { cat "$tmp/upload.json" >&2 2>/dev/null; die "POST /api/profiles answered $code, expected 201"; }
    id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/upload.json") \
        || die "POST /api/profiles: no id in $(cat "$tmp/upload.json")"
    # Ids are content-derived: the first 128 bits of the file's SHA-256.
    want=$(sha256sum "$PROFILE" | cut -c1-32)
    [ "$id" = "$want" ] || die "POST /api/profiles gave id $id, expected $want (SHA-256 of $PROFILE)"
    step "uploaded $PROFILE: 201, id $id"

    code=$(http GET "http://127.0.0.1:$port/api/profiles/$id/tree?depth=3" "$tmp/tree.json" \
           -H 'Accept-Encoding: identity')
    [ "$code" = 200 ] || die "GET /api/profiles/$id/tree?depth=3 answered $code"
    json_check "$tmp/tree.json" '"problem_function" in json.dumps(j)' \
        || die "GET /api/profiles/$id/tree?depth=3 has no problem_function"
    step "tree?depth=3 is JSON with problem_function"

    "${PODMAN[@]}" stop -t 10 "pstatsviz-test-a-$$" >/dev/null 2>"$tmp/stop.err" \
        || { cat "$tmp/stop.err" >&2; die "podman stop"; }
    "${PODMAN[@]}" rm "pstatsviz-test-a-$$" >/dev/null 2>"$tmp/stop.err" \
        || { cat "$tmp/stop.err" >&2; die "podman rm"; }
    step "first container stopped and removed"

    port=$(free_port)
    start_server "pstatsviz-test-b-$$" "$port"
    code=$(http GET "http://127.0.0.1:$port/api/profiles/$id" "$tmp/meta.json")
    [ "$code" = 200 ] || die "after a restart on the same volume, GET /api/profiles/$id answered $code"
    json_check "$tmp/meta.json" "j.get('id') == '$id'" \
        || die "after a restart, GET /api/profiles/$id returned another id"
    step "a new container on the same volume serves profile $id"

    cleanup
    step "containers and volume removed; images kept:"
    "${PODMAN[@]}" images --format '    {{.Repository}}:{{.Tag}}  {{.Size}}' \
        | grep -E "pstatsviz|bookworm-base" || true
    echo "container-test: PASSED. $IMAGE is $(image_size_mb), total ${SECONDS}s"
}

case "${1:-}" in
    build) shift
           eng=$(engine) || exit 1
           ENGINE=("$eng")
           step "building $IMAGE with ${ENGINE[0]}${BASE:+ on $BASE}"
           build_image "$@" || die "${ENGINE[0]} build (the log is above)"
           echo "$IMAGE: $(image_size_mb)" ;;
    test)  run_test ;;
    *)     echo "usage: $0 build [BUILD ARGS...] | test" >&2; exit 2 ;;
esac
