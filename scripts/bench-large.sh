#!/usr/bin/env bash
# Benchmark `check` on a large generated repository (scripts/gen-large-repo.py): every
# commit of its history cold (no result cache) and warm (the same commits again with the
# cache filled), `--staged` on a one-file change, and `resources --rev HEAD`. Prints the
# median, p99 and max wall time and the peak memory of each, with the command lines.
#
# usage: scripts/bench-large.sh [REPO_DIR] [--manifests N] [--nodes N] [--commits N]
#                               [--bin PATH]
#   REPO_DIR   where the generated repository is (made when missing; default
#              target/bench-large-<manifests>)
#   --manifests N (default 20000), --nodes N (default 400), --commits N (default 30):
#              passed to the generator
#   --bin PATH the binary (default: target/release/puppet-preflight, built when missing)
#
# Needs python3, git and GNU time. Timings are measurements, not assertions: run it on a
# quiet machine (the README's figures say what load they were taken under).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
repo=
manifests=20000
nodes=400
commits=30
bin=
while [[ $# -gt 0 ]]; do
    case $1 in
        --manifests) manifests=$2; shift 2 ;;
        --nodes) nodes=$2; shift 2 ;;
        --commits) commits=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "bench-large.sh: unknown option $1" >&2; exit 2 ;;
        *) repo=$1; shift ;;
    esac
done
repo=${repo:-$root/target/bench-large-$manifests}
if [[ -z "$bin" ]]; then
    bin=${CARGO_TARGET_DIR:-$root/target}/release/puppet-preflight
    [[ -x "$bin" ]] || (cd "$root" && cargo build --release --quiet)
fi
[[ -x "$bin" ]] || { echo "bench-large.sh: no binary at $bin" >&2; exit 2; }
if [[ ! -d "$repo/.git" ]]; then
    python3 "$root/scripts/gen-large-repo.py" "$repo" --manifests "$manifests" \
        --nodes "$nodes" --commits "$commits"
fi
TIME=$(command -v gtime || echo /usr/bin/time)
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export PUPPET_PREFLIGHT_CACHE_DIR=$cache
unset PUPPET_PREFLIGHT_NO_CACHE

# run LABEL CMD...: wall seconds and peak KB of one run, appended to $cache/LABEL.
run() {
    local label=$1; shift
    "$TIME" -f '%e %M' -o "$cache/t" "$@" > /dev/null 2>&1 || {
        local st=$?
        [[ $st -eq 1 ]] || { echo "bench-large.sh: '$*' exited with $st" >&2; exit 1; }
    }
    cat "$cache/t" >> "$cache/$label"
}

stats() {
    python3 - "$1" "$2" <<'EOF'
import sys
label, path = sys.argv[1], sys.argv[2]
# GNU time adds "Command exited with non-zero status 1" for a run with findings.
rows = [l.split() for l in open(path) if l[:1].isdigit()]
wall = sorted(float(r[0]) for r in rows)
peak = max(int(r[1]) for r in rows) / 1024
def q(p):
    return wall[min(len(wall) - 1, int(round(p * (len(wall) - 1))))]
print(f"{label:<28} n={len(wall):<4} median {q(0.5):.2f} s  p99 {q(0.99):.2f} s  "
      f"max {wall[-1]:.2f} s  peak {peak:.0f} MB")
EOF
}

cd "$repo"
count=$(git ls-files '*.pp' | wc -l)
list=$(git rev-list --no-merges "HEAD~$((commits))..HEAD" 2>/dev/null || git rev-list --no-merges HEAD)
echo "repository: $repo ($count manifests, $(git ls-files | wc -l) files)"
echo "binary: $bin"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
for c in $list; do
    run cold "$bin" check --no-cache --base "$c^" --head "$c" --format json
done
for c in $list; do
    run fill "$bin" check --base "$c^" --head "$c" --format json
done
for c in $list; do
    run warm "$bin" check --base "$c^" --head "$c" --format json
done
for _ in 1 2 3 4 5; do
    run resources "$bin" resources --rev HEAD
done
# --staged: a one-file change in the index of a scratch clone (the repository is not
# touched).
scratch=$(mktemp -d)
git clone -q --shared "$repo" "$scratch/r"
(
    cd "$scratch/r"
    f=$(git ls-files 'modules/*/manifests/service.pp' | sed -n 1p)
    printf '# a staged edit\n' >> "$f"
    git add "$f"
    for _ in 1 2 3 4 5; do
        run staged-cold "$bin" check --no-cache --staged --format json
    done
    # The cold runs above do not write the cache: one run fills it first.
    run staged-fill "$bin" check --staged --format json
    for _ in 1 2 3 4 5; do
        run staged-warm "$bin" check --staged --format json
    done
)
rm -rf "$scratch"
echo "check per commit, cold:   $bin check --no-cache --base C^ --head C"
stats "check, cold cache" "$cache/cold"
echo "check per commit, warm:   the same commits again, after one run filled the cache"
stats "check, warm cache" "$cache/warm"
stats "check --staged, cold" "$cache/staged-cold"
stats "check --staged, warm" "$cache/staged-warm"
stats "resources --rev HEAD" "$cache/resources"
