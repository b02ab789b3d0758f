#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) in their own meson
# build folder, then run each one for a set time.
#
# usage: tests/fuzz/run.sh [SECONDS [TARGET...]]
#   SECONDS  per target; default $FUZZ_SECONDS, else 60
#   TARGET   marshal, profile, request, gunzip, mprof, memlines; default all six, one after the other
#
# `make fuzz` runs this; `make test` runs it with 5 s per target as a smoke
# test.  Seeds are copied fresh on every run into build-fuzz/fuzz/seeds/:
# data/*.prof (data/'s memory data for mprof and memlines), the stats
# files under tests/corpus/ and
# tests/fuzz/regress/<target>/; the request target also gets the small
# profiles wrapped in a POST.  What libFuzzer learns is kept in
# build-fuzz/fuzz/corpus/<target>/ for the next run; crashes go to
# build-fuzz/fuzz/crashes/<target>/ and make the script fail.  A crasher
# becomes a test by copying it into tests/fuzz/regress/<target>/ (with a
# line in tests/fuzz/regress/README.md).
#
# Environment: FUZZ_BUILD (build folder, default build-fuzz), FUZZ_FRESH=1
# (start from the seeds alone, in a corpus folder emptied first: what
# `make test` does, so its smoke run does not depend on earlier runs), FUZZ_JOBS
# (targets run at once, default 1: the fuzzers take a core each),
# FUZZ_ARGS (more libFuzzer flags).
set -eu
cd "$(dirname "$0")/../.."
seconds="${1:-${FUZZ_SECONDS:-60}}"
[ $# -gt 0 ] && shift
targets="${*:-marshal profile request gunzip mprof memlines}"
build="${FUZZ_BUILD:-build-fuzz}"
jobs="${FUZZ_JOBS:-1}"
work="$build/fuzz"

if [ ! -f "$build/build.ninja" ]; then
    # werror off: clang -Wpedantic flags what gcc accepts (src/profile.c's
    # UINT32_MAX enumerator); the warnings still show.
    CC=clang meson setup "$build" --buildtype=debugoptimized -Dfuzz=true -Dwerror=false \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build" $(for t in $targets; do echo "tests/fuzz/fuzz_$t"; done)

# libFuzzer cuts longer inputs.  64 KiB holds profiles of a thousand
# functions and more (the reader's hash tables grow past their first size);
# FUZZ_ARGS=-max_len=4096 made 15 to 20 times as many executions in 10
# minutes, for the same coverage (README.md, "Fuzzing").
max_len=65536
# stats_files MAX_SIZE PATH...: the files under PATH below MAX_SIZE (find's
# -size), without notes, code, and the large real profiles of tests/corpus/
# kept gzipped (Meson unpacks them at test time)
stats_files() {
    size="$1"
    shift
    find "$@" -type f -size -"$size" ! -name '*.md' ! -name '*.py' ! -name '*.json' \
        ! -name '*.gz' 2>/dev/null
}
seeds_of() {
    dir="$work/seeds/$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp tests/fuzz/regress/"$1"/* "$dir"/ 2>/dev/null || true
    case "$1" in
    marshal | profile)
        cp data/*.prof "$dir"/
        cp tests/fuzz/regress/profile/* tests/fuzz/regress/marshal/* "$dir"/ 2>/dev/null || true
        if [ -d tests/corpus ]; then
            # subfolders (workloads/, marshal/, real/, malformed/) flattened
            stats_files 1024k tests/corpus |
                while read -r f; do cp "$f" "$dir/$(echo "$f" | tr / _)"; done
        fi
        ;;
    request)
        stats_files "$max_len"c data/*.prof tests/corpus |
            while read -r f; do
                out="$dir/post_$(echo "$f" | tr / _)"
                printf 'POST /api/profiles?name=%s\n\n' "$(basename "$f")" >"$out"
                cat "$f" >>"$out"
            done
        ;;
    mprof)
        cp data/*.mprof.dat "$dir"/
        ;;
    memlines)
        cp data/*.mem.txt "$dir"/
        ;;
    gunzip)
        stats_files 16k data/*.prof tests/corpus/workloads |
            while read -r f; do gzip -9nc "$f" >"$dir/$(echo "$f" | tr / _).gz"; done
        ;;
    esac
    rm -f "$dir"/*.md
}

run_one() {
    t="$1"
    corpus="$work/corpus/$t"
    if [ "${FUZZ_FRESH:-0}" = 1 ]; then
        corpus="$work/fresh/$t"
        rm -rf "$corpus"
    fi
    mkdir -p "$corpus" "$work/crashes/$t"
    seeds_of "$t"
    case "$t" in
    request) dict="-dict=tests/fuzz/request.dict" ;;
    *) dict="-dict=tests/fuzz/marshal.dict" ;;
    esac
    log="$work/$t.log"
    echo "fuzz_$t: ${seconds}s, log in $log"
    # halt_on_error: a UBSan report is a crash, not a line in the log
    if ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
       UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
       "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
           -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
           -artifact_prefix="$work/crashes/$t/" $dict ${FUZZ_ARGS:-} \
           "$corpus" "$work/seeds/$t" >"$log" 2>&1; then
        echo "fuzz_$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 |
            sed -E 's/.*(cov: [0-9]+ ft: [0-9]+).*/\1/'), $(grep -E '^stat::number_of_executed_units' "$log" |
            sed 's/.*: *//') executions"
    else
        echo "fuzz_$t: FAILED; the end of $log:" >&2
        tail -n 40 "$log" >&2
        return 1
    fi
}

status=0
if [ "$jobs" -le 1 ]; then
    for t in $targets; do run_one "$t" || status=1; done
else
    pids=""
    for t in $targets; do
        run_one "$t" &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || status=1; done
fi
exit $status
