#!/usr/bin/env bash
# End-to-end benchmark and precision table on a realistic repository with history.
#
# usage: scripts/bench-e2e.sh [CORPUS_DIR] [HISTORY_DIR]
#   CORPUS_DIR   the unpacked Debian puppet-module packages (default: $PREFLIGHT_CORPUS;
#                fill it with scripts/fetch-corpus.sh)
#   HISTORY_DIR  the control repository built by scripts/build-history.py (default:
#                target/history); built when missing
#
# Builds the release binary, then:
#   1. `check --each ROOT..HEAD --format json` over the whole history (wall time, peak RSS)
#      and the expected/unexpected table of scripts/build-history.py --table;
#   2. every commit alone, `check --base C^ --head C` (what CI runs per patch): per-commit
#      wall time median and max, peak RSS over all of them (GNU time);
#   3. `puppet-preflight parse`, `puppet parser validate` and `puppet-lint` on the same
#      files (every .pp of the repository at HEAD), wall time of each and the ratios.
# Targets (2-core machine): median check/commit < 0.5 s, max < 2 s, peak < 200 MB,
# parse >= 30x faster than puppet parser validate. Exit status 1 when the table fails
# (a missing expected finding or an unexpected error-level finding), 0 otherwise; the
# timing targets are reported, not enforced (shared machines are noisy).
# Needs: cargo, python3, git, GNU time; puppet (Debian puppet-agent) and puppet-lint are
# installed with apt-get when missing and possible.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-${PREFLIGHT_CORPUS:-}}
hist=${2:-$root/target/history}
if [[ -z "$corpus" || ! -d "$corpus" ]]; then
    echo "usage: $0 CORPUS_DIR [HISTORY_DIR]   (or set PREFLIGHT_CORPUS)" >&2
    exit 2
fi
[[ -x /usr/bin/time ]] || { echo "$0: /usr/bin/time (GNU time) not found (apt-get install time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$0: python3 not found" >&2; exit 2; }

need=()
command -v puppet >/dev/null || need+=(puppet-agent)
command -v puppet-lint >/dev/null || need+=(puppet-lint)
if ((${#need[@]})); then
    if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
        echo "installing ${need[*]}" >&2
        apt-get install -y -q "${need[@]}" >/dev/null
    else
        echo "$0: ${need[*]} missing and cannot be installed here (needs apt-get as root); the comparison is skipped" >&2
    fi
fi

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/puppet-preflight"

if [[ ! -f "$hist.expected.json" || ! -d "$hist/.git" ]]; then
    rm -rf "$hist" "$hist.expected.json"
    python3 "$root/scripts/build-history.py" "$corpus" "$hist"
fi
expected="$hist.expected.json"
first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$expected")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
rss_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }
elapsed() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f", e - s }'; }

echo "== history: $hist ($(git -C "$hist" rev-list --count HEAD) commits, $(git -C "$hist" ls-files '*.pp' | wc -l) manifests)"
echo
echo "== check --each $first..HEAD --format json"
s=$(now)
/usr/bin/time -v -o "$work/each.time" "$bin" check --repo "$hist" --isolated --each "$first..HEAD" \
    --format json --fail-level never >"$work/each.json" 2>"$work/each.err" ||
    { echo "check --each failed:"; cat "$work/each.err"; exit 2; }
e=$(now)
each_wall=$(elapsed "$s" "$e")
each_rss=$(rss_mb "$work/each.time")
ncommits=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["commits"]))' "$work/each.json")
echo "wall ${each_wall} s for ${ncommits} commits, peak RSS ${each_rss} MB"
[[ -n "${BENCH_KEEP:-}" ]] && cp "$work/each.json" "$BENCH_KEEP"
echo
echo "== expected/unexpected table"
table=0
python3 "$root/scripts/build-history.py" --table "$expected" "$work/each.json" || table=$?

echo
echo "== check --base C^ --head C, every commit alone"
: >"$work/times"
: >"$work/cpu"
peak=0
for c in $(git -C "$hist" rev-list --reverse "$first..HEAD"); do
    s=$(now)
    /usr/bin/time -v -o "$work/one.time" "$bin" check --repo "$hist" --isolated --base "$c^" --head "$c" \
        --format json --fail-level never >/dev/null 2>"$work/one.err" ||
        { echo "check failed on $c:"; cat "$work/one.err"; exit 2; }
    e=$(now)
    echo "$(elapsed "$s" "$e") $c" >>"$work/times"
    awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.3f\n", t }' "$work/one.time" >>"$work/cpu"
    peak=$(awk -v a="$peak" -v b="$(rss_mb "$work/one.time")" 'BEGIN { print (b > a) ? b : a }')
done
sort -n "$work/times" >"$work/times.sorted"
n=$(wc -l <"$work/times.sorted")
median=$(awk -v n="$n" '{ t[NR] = $1 } END { if (n % 2) print t[(n + 1) / 2]; else printf "%.3f", (t[n / 2] + t[n / 2 + 1]) / 2 }' "$work/times.sorted")
max=$(tail -n 1 "$work/times.sorted")
cpu_median=$(sort -n "$work/cpu" | awk '{ t[NR] = $1 } END { if (NR % 2) print t[(NR + 1) / 2]; else printf "%.3f", (t[NR / 2] + t[NR / 2 + 1]) / 2 }')
cpu_max=$(sort -n "$work/cpu" | tail -n 1)
echo "commits: $n; wall per commit: median ${median} s, max ${max% *} s (${max#* }); peak RSS ${peak} MB"
echo "CPU (user+sys) per commit: median ${cpu_median} s, max ${cpu_max} s (wall time includes waiting for a core)"
echo "targets: median < 0.5 s: $(awk -v m="$median" 'BEGIN { print (m < 0.5) ? "met" : "MISSED" }'),"\
     "max < 2 s: $(awk -v m="${max% *}" 'BEGIN { print (m < 2) ? "met" : "MISSED" }'),"\
     "peak < 200 MB: $(awk -v m="$peak" 'BEGIN { print (m < 200) ? "met" : "MISSED" }')"

echo
echo "== parse vs puppet parser validate vs puppet-lint (same files: every .pp at HEAD)"
mapfile -d '' -t files < <(cd "$hist" && git ls-files -z '*.pp' | sed -z "s|^|$hist/|")
nfiles=${#files[@]}
mb=$(cat "${files[@]}" | wc -c | awk '{ printf "%.2f", $1 / 1e6 }')
echo "files: $nfiles, $mb MB"
s=$(now)
/usr/bin/time -v -o "$work/parse.time" "$bin" parse --format json "${files[@]}" >"$work/parse.json" 2>/dev/null || true
e=$(now)
ours=$(elapsed "$s" "$e")
failed=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["failed"]))' "$work/parse.json" 2>/dev/null || echo "?")
echo "puppet-preflight parse:  ${ours} s, peak RSS $(rss_mb "$work/parse.time") MB, files rejected: $failed"
if command -v puppet >/dev/null; then
    s=$(now)
    puppet parser validate "${files[@]}" >"$work/puppet.out" 2>&1 || true
    e=$(now)
    pup=$(elapsed "$s" "$e")
    prej=$(grep -c '^Error' "$work/puppet.out" || true)
    ratio=$(awk -v p="$pup" -v a="$ours" 'BEGIN { printf "%.0f", p / a }')
    echo "puppet parser validate:  ${pup} s, error lines: $prej; ratio ${ratio}x" \
         "(target >= 30x: $(awk -v r="$ratio" 'BEGIN { print (r >= 30) ? "met" : "MISSED" }'))"
fi
if command -v puppet-lint >/dev/null; then
    s=$(now)
    puppet-lint "${files[@]}" >/dev/null 2>&1 || true
    e=$(now)
    lint=$(elapsed "$s" "$e")
    echo "puppet-lint:             ${lint} s; ratio $(awk -v p="$lint" -v a="$ours" 'BEGIN { printf "%.0f", p / a }')x"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
exit "$table"
