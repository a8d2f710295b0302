#!/usr/bin/env bash
# Benchmark: `puppet-preflight parse` against `puppet parser validate` on the same files.
#
# usage: scripts/bench-parse.sh [CORPUS_DIR] [RUNS]
#   CORPUS_DIR  directory of .pp files (default: $PREFLIGHT_CORPUS; fill it with
#               scripts/fetch-corpus.sh)
#   RUNS        timed runs of puppet-preflight, the best is reported (default 5)
#
# Prints: corpus size, puppet-preflight wall time on all cores and on one thread (--jobs 1),
# single-thread throughput in MB/s, peak RSS (/usr/bin/time -v), Puppet's wall time for
# `puppet parser validate` on the same file list, and the ratio. Builds the release binary
# first. Needs: cargo, puppet (Debian package puppet or puppet-agent), GNU time.
# Puppet's number includes its validation pass and its start-up, which is part of what a
# user waits for.
set -euo pipefail

dir=${1:-${PREFLIGHT_CORPUS:-}}
runs=${2:-5}
if [[ -z "$dir" || ! -d "$dir" ]]; then
    echo "usage: $0 CORPUS_DIR [RUNS]   (or set PREFLIGHT_CORPUS)" >&2
    exit 2
fi
command -v puppet >/dev/null || { echo "$0: puppet not found (apt-get install puppet-agent or puppet)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "$0: /usr/bin/time (GNU time) not found" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/puppet-preflight"

list=$(mktemp)
trap 'rm -f "$list" "$list".*' EXIT
find "$dir" -name '*.pp' -type f | sort > "$list"
mapfile -t files < "$list"
nfiles=${#files[@]}
bytes=$(cat "${files[@]}" | wc -c)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1e6 }')
echo "corpus: $nfiles files, $mb MB ($dir)"

now() { date +%s.%N; }
# best wall time of $runs runs of "$@" (exit status 0 or 1 accepted)
best() {
    local best_t=999999 t s e
    for _ in $(seq "$runs"); do
        s=$(now)
        "$@" >/dev/null 2>&1 || [[ $? -eq 1 ]]
        e=$(now)
        t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')
        best_t=$(awk -v a="$t" -v b="$best_t" 'BEGIN { print (a < b) ? a : b }')
    done
    echo "$best_t"
}

all=$(best "$bin" parse --format json "${files[@]}")
one=$(best "$bin" parse --format json --jobs 1 "${files[@]}")
# single-thread CPU time (user+sys) over 5 passes of the whole list: on a shared machine
# wall time also counts time spent waiting for a core, CPU time does not
/usr/bin/time -f '%U %S' -o "$list.cpu" "$bin" parse --format json --jobs 1 \
    "${files[@]}" "${files[@]}" "${files[@]}" "${files[@]}" "${files[@]}" >/dev/null 2>&1 || true
cpu=$(tail -n 1 "$list.cpu" | awk '{ printf "%.3f", $1 + $2 }')
mbs_cpu=$(awk -v m="$mb" -v t="$cpu" 'BEGIN { if (t > 0) printf "%.0f", 5 * m / t; else print "inf" }')
# time inside the parser as measured by --stats (best of $runs)
ptime=999999
for _ in $(seq "$runs"); do
    t=$({ "$bin" parse --format json --jobs 1 --stats "${files[@]}" 2>&1 >/dev/null || true; } |
        sed -n 's/.*parser time \([0-9.]*\) s.*/\1/p')
    ptime=$(awk -v a="$t" -v b="$ptime" 'BEGIN { print (a < b) ? a : b }')
done
mbs_parse=$(awk -v m="$mb" -v t="$ptime" 'BEGIN { printf "%.0f", m / t }')
/usr/bin/time -v -o "$list.time" "$bin" parse --format json "${files[@]}" >/dev/null 2>&1 || true
rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$list.time")
mbs=$(awk -v m="$mb" -v t="$one" 'BEGIN { printf "%.1f", m / t }')

s=$(now)
puppet parser validate "${files[@]}" >/dev/null 2>&1 || true
e=$(now)
pup=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }')
ratio=$(awk -v p="$pup" -v a="$all" 'BEGIN { printf "%.0f", p / a }')

echo "puppet-preflight parse, $(nproc) threads: ${all} s (best of $runs)"
echo "puppet-preflight parse, 1 thread:  ${one} s wall = ${mbs} MB/s including start-up and reading"
echo "single-thread throughput:          ${mbs_cpu} MB/s by CPU time (user+sys, 5 passes: ${cpu} s)"
echo "                                   ${mbs_parse} MB/s inside the parser (--stats, best of $runs: ${ptime} s)"
echo "puppet-preflight peak RSS:         ${rss} MB"
echo "puppet parser validate:            ${pup} s"
echo "ratio (puppet / puppet-preflight): ${ratio}x (wall time)"
echo "load average during the run:       $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
