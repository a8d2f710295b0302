#!/bin/sh
# bench-staged.sh: how long the pre-commit hook's `check --staged` takes for a one-file
# change in a repository of about 2,000 manifests (the issue's budget: 0.5 s wall).
#
# Usage: contrib/bench-staged.sh [MODULES_DIR] [RUNS]
#   MODULES_DIR  a directory of Puppet modules to copy into a scratch repository
#                (default: the modules of Debian's puppet-module corpus,
#                $PREFLIGHT_CORPUS/usr/share/puppet/modules.available; fill it with
#                scripts/fetch-corpus.sh)
#   RUNS         timed runs (default 5); the first, untimed run warms the page cache
# Environment: PREFLIGHT (default: target/release/puppet-preflight, else on PATH).
# Prints one line per run and a last line `check --staged: median X.XXX s wall (N manifests)`.
set -eu
modules=${1:-${PREFLIGHT_CORPUS:-.corpus}/usr/share/puppet/modules.available}
runs=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PREFLIGHT:-}" ]; then
    if [ -x "$here/target/release/puppet-preflight" ]; then
        PREFLIGHT=$here/target/release/puppet-preflight
    else
        PREFLIGHT=puppet-preflight
    fi
fi
[ -d "$modules" ] || { echo "bench-staged: no module directory $modules" >&2; exit 2; }
# The runs happen inside the scratch repository: a relative path must not break them.
case $PREFLIGHT in
    */*) PREFLIGHT=$(cd "$(dirname "$PREFLIGHT")" && pwd)/$(basename "$PREFLIGHT") ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/preflight-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
repo=$tmp/repo
mkdir -p "$repo"
cp -R "$modules" "$repo/modules"
cd "$repo"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org \
    GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org
git init -q
git add -A
git commit -qm base
count=$(git ls-files '*.pp' | wc -l | tr -d ' ')
file=$(git ls-files '*.pp' | head -n 1)
printf '\n# a one-line change\n' >> "$file"
git add "$file"

# Warm-up; exit status 2 (an error, not a finding) would make every timing meaningless.
status=0
"$PREFLIGHT" check --staged >/dev/null 2>&1 || status=$?
if [ "$status" -ge 2 ]; then
    echo "bench-staged: $PREFLIGHT check --staged failed (exit $status)" >&2
    exit 2
fi
i=0
: > "$tmp/times"
while [ "$i" -lt "$runs" ]; do
    start=$(date +%s.%N)
    "$PREFLIGHT" check --staged >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' >> "$tmp/times"
    i=$((i + 1))
done
sort -n "$tmp/times" | awk '{print "run: " $1 " s"}'
median=$(sort -n "$tmp/times" | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
echo "check --staged: median $median s wall ($count manifests, one file staged)"
