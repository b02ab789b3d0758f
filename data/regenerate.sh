#!/bin/sh
# Regenerate the bundled sample profiles from rasa_sample/ (see README.md):
#
#   rasa_maxsize1000.prof   RulePolicy with lru_cache(maxsize=1000), as in rasa 2.8.22
#   rasa_maxsize5000.prof   the same run with maxsize=5000
#   rasa_maxsize*.mprof.dat memory over time of each run (`mprof run`)
#   rasa_maxsize*.mem.txt   memory line by line of RulePolicy._predict
#                           (`python -m memory_profiler`)
#
# Usage: data/regenerate.sh            (from anywhere; it works inside data/)
#   RUNS=n     profile each size n times and keep the median run (default 3)
#   PYTHON=... interpreter to use (default python3)
#   MPYTHON=... interpreter with memory_profiler for the memory data (default:
#              PYTHON if it has it, else /usr/bin/python3, Debian's
#              python3-memory-profiler); MEMORY=0 skips the memory data,
#              MEMORY_ONLY=1 makes only the memory data (the .prof files stay)
#
# File names inside a .prof are recorded as the profiled process saw them.
# So that they name no one's checkout, the program is copied to a neutral
# folder, /workspaces/rasa-sample (where a dev container would keep it),
# profiled there and removed; the files then say
# /workspaces/rasa-sample/rule_policy.py, and the stdlib's files the path of
# the interpreter that ran it.  The folder must not exist beforehand.
set -eu
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
RUNS=${RUNS:-3}
WORKDIR=/workspaces/rasa-sample

# 1. The stand-in must keep rasa 2.8.22's line numbers, or the story
#    ("rule_policy.py:895(<lambda>)") no longer reads right.
"$PYTHON" - <<'EOF'
import ast
import sys

path = "rasa_sample/rule_policy.py"
tree = ast.parse(open(path).read(), path)
policy = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "RulePolicy"]
if not policy:
    sys.exit("%s: class RulePolicy not found" % path)
methods = {n.name: n for n in policy[0].body if isinstance(n, ast.FunctionDef)}
errors = []
for name, line in [("_get_possible_keys", 887),
                   ("predict_action_probabilities", 1070),
                   ("_predict", 1081)]:
    got = methods[name].lineno if name in methods else None
    if got != line:
        errors.append("%s is on line %s, expected %d" % (name, got, line))
lambdas = [n.lineno for n in ast.walk(methods["_get_possible_keys"]) if isinstance(n, ast.Lambda)] \
    if "_get_possible_keys" in methods else []
if lambdas != [895]:
    errors.append("the filter lambda in _get_possible_keys is on line(s) %s, expected 895" % lambdas)
if errors:
    sys.exit("%s: line numbers moved:\n  %s" % (path, "\n  ".join(errors)))
print("%s: line numbers ok (_get_possible_keys 887, <lambda> 895, "
      "predict_action_probabilities 1070, _predict 1081)" % path)
EOF

# 2. Profile main.py in fresh processes, in $WORKDIR.  PYTHONHASHSEED=0
#    fixes the set iteration order and so the LRU hit/miss pattern.  Timings
#    are noisy, so each size is run $RUNS times and the run with the median
#    predict_action_probabilities cumtime is kept.
if [ -e "$WORKDIR" ]; then
    echo "$WORKDIR exists: move it away first (this script creates and removes it)" >&2
    exit 1
fi
made_parent=
[ -d "$(dirname "$WORKDIR")" ] || made_parent=$(dirname "$WORKDIR")
cleanup() {
    rm -f rasa_maxsize*.prof.run*
    rm -rf "$WORKDIR"
    [ -z "$made_parent" ] || rmdir "$made_parent" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$WORKDIR"
cp -R rasa_sample/. "$WORKDIR/"
# The memory data's wrapper: main.py with RulePolicy._predict decorated by
# memory_profiler's profile (line by line under `python -m memory_profiler`,
# a FUNC bracket under `mprof run`), without touching rule_policy.py's lines.
cat > "$WORKDIR/memory_main.py" <<'EOF'
"""main.py with RulePolicy._predict under memory_profiler's @profile."""
import builtins
import os
import runpy

import rule_policy

rule_policy.RulePolicy._predict = builtins.profile(rule_policy.RulePolicy._predict)
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "main.py"),
               run_name="__main__")
EOF
data=$(pwd)
if [ "${MEMORY_ONLY:-0}" = 0 ]; then
for size in 1000 5000; do
    out=rasa_maxsize$size.prof
    runs=
    i=1
    while [ "$i" -le "$RUNS" ]; do
        (cd "$WORKDIR" && PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 RASA_LRU_MAXSIZE=$size \
            "$PYTHON" -m cProfile -o "$data/$out.run$i" "$WORKDIR/main.py")
        runs="$runs $out.run$i"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086  # $runs is a list of plain file names
    "$PYTHON" - "$out" $runs <<'EOF'
import os
import pstats
import sys

out, runs = sys.argv[1], sys.argv[2:]

def predict_cumtime(path):
    for (f, line, name), (cc, nc, tt, ct, callers) in pstats.Stats(path).stats.items():
        if name == "predict_action_probabilities":
            return ct
    sys.exit("%s: predict_action_probabilities not in the profile" % path)

runs.sort(key=predict_cumtime)
os.replace(runs[len(runs) // 2], out)
print("%s: kept the median of %d run(s)" % (out, len(runs)))
EOF
done
fi

# 3. The memory data of both sizes, one run each: memory_profiler's line
#    report of RulePolicy._predict, and an mprof recording of the whole run
#    (sampled every 0.01 s).  Written where rasa_sample/ is copied, then
#    moved here.
if [ "${MEMORY:-1}" != 0 ]; then
    MPYTHON=${MPYTHON:-}
    for py in "$PYTHON" /usr/bin/python3; do
        if [ -z "$MPYTHON" ] && "$py" -c "import memory_profiler, mprof" 2>/dev/null; then
            MPYTHON=$py
        fi
    done
    if [ -z "$MPYTHON" ]; then
        echo "no Python with memory_profiler (apt-get install python3-memory-profiler)," \
             "or MEMORY=0" >&2
        exit 1
    fi
    for size in 1000 5000; do
        (cd "$WORKDIR" && PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 RASA_LRU_MAXSIZE=$size \
            "$MPYTHON" -m memory_profiler "$WORKDIR/memory_main.py" \
            > "$data/rasa_maxsize$size.mem.txt")
        (cd "$WORKDIR" && PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 RASA_LRU_MAXSIZE=$size \
            "$MPYTHON" -m mprof run --interval 0.01 -o "$data/rasa_maxsize$size.mprof.dat" \
            "$WORKDIR/memory_main.py" > /dev/null)
        echo "rasa_maxsize$size.mem.txt, rasa_maxsize$size.mprof.dat: written"
    done
fi

# 4. Read both files back with pstats and print the figures for README.md.
[ "${MEMORY_ONLY:-0}" = 0 ] || exit 0
"$PYTHON" - rasa_maxsize1000.prof rasa_maxsize5000.prof <<'EOF'
import os
import pstats
import sys

def figures(path):
    st = pstats.Stats(path)
    row = {"total": st.total_tt}
    for (f, line, name), (cc, nc, tt, ct, callers) in st.stats.items():
        base = os.path.basename(f)
        if name == "loads" and f.endswith(os.path.join("json", "__init__.py")):
            row["json.loads"] = (nc, tt, ct)
        elif base == "rule_policy.py" and name == "predict_action_probabilities":
            row["predict"] = (nc, tt, ct)
        elif base == "rule_policy.py" and name == "<lambda>" and line == 895:
            row["lambda"] = (nc, tt, ct)
        elif base == "rule_policy.py" and name == "_rule_key_to_state":
            row["to_state"] = (nc, tt, ct)
    missing = {"json.loads", "predict", "lambda", "to_state"} - set(row)
    if missing:
        sys.exit("%s: missing from the profile: %s" % (path, ", ".join(sorted(missing))))
    return row

rows = {path: figures(path) for path in sys.argv[1:]}
for path, r in rows.items():
    print()
    print(path)
    print("  whole run (total_tt)                   %8.3f s" % r["total"])
    print("  predict_action_probabilities  cumtime  %8.3f s" % r["predict"][2])
    print("  rule_policy.py:895(<lambda>)  ncalls   %8d   cumtime %.3f s (%.0f%% of predict)"
          % (r["lambda"][0], r["lambda"][2], 100.0 * r["lambda"][2] / r["predict"][2]))
    print("  _rule_key_to_state (cache misses)      %8d" % r["to_state"][0])
    print("  json.loads                    ncalls   %8d   cumtime %.3f s (%.1f us per call)"
          % (r["json.loads"][0], r["json.loads"][2], 1e6 * r["json.loads"][2] / r["json.loads"][0]))

a, b = rows.values()
def change(x, y):
    return "%+.0f%%" % (100.0 * (y - x) / x)
print()
print("maxsize 1000 -> 5000")
print("  json.loads calls                    %d -> %d (%s)"
      % (a["json.loads"][0], b["json.loads"][0], change(a["json.loads"][0], b["json.loads"][0])))
print("  json.loads cumtime                  %.3f s -> %.3f s (%s)"
      % (a["json.loads"][2], b["json.loads"][2], change(a["json.loads"][2], b["json.loads"][2])))
print("  predict_action_probabilities cum.   %.3f s -> %.3f s (%s)"
      % (a["predict"][2], b["predict"][2], change(a["predict"][2], b["predict"][2])))
print("  <lambda> at rule_policy.py:895 cum. %.3f s -> %.3f s (%s)"
      % (a["lambda"][2], b["lambda"][2], change(a["lambda"][2], b["lambda"][2])))
print("  whole run (total_tt)                %.3f s -> %.3f s (%s)"
      % (a["total"], b["total"], change(a["total"], b["total"])))
# The call counts depend only on PYTHONHASHSEED=0 and main.py's fixed seed:
# README.md gives them, and they must not move.
for (path, r), calls in zip(rows.items(), (8338, 4082)):
    if r["json.loads"][0] != calls:
        sys.exit("%s: json.loads called %d times, README.md says %d: is PYTHONHASHSEED=0 "
                 "in effect, or did rasa_sample/ change?" % (path, r["json.loads"][0], calls))
if b["predict"][2] >= a["predict"][2]:
    print("WARNING: predict_action_probabilities was not faster at maxsize=5000 this time; "
          "the machine was probably busy, run again")
EOF
