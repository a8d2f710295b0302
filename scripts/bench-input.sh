#!/bin/sh
# Times reading both whole trees of a change in a repository of >= 3,000 manifests.
#
#   scripts/bench-input.sh [REPO] [-- extra check flags]
#
# Without REPO, builds one from the Debian corpus ($PREFLIGHT_CORPUS, default .corpus;
# fill it with scripts/fetch-corpus.sh) into a temporary directory with
# scripts/build-corpus-repo.sh. Builds the bench example in
# release mode, then prints wall times (median/min/max over RUNS, default 15), the CPU
# time per run and the load average: on a shared machine the wall time includes waiting
# for a core, the CPU time does not. The target is < 150 ms wall on an idle machine.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
repo=${1:-}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
if [ -z "$repo" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/preflight-bench.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT INT TERM
    repo=$tmp/repo
    "$here/scripts/build-corpus-repo.sh" "${PREFLIGHT_CORPUS:-$here/.corpus}" "$repo"
fi

cd "$here"
cargo build --quiet --release --example bench_input
echo "repository: $repo ($(git -C "$repo" ls-files '*.pp' | wc -l) manifests)"
echo "== default mode: HEAD^ against HEAD"
./target/release/examples/bench_input --repo "$repo" --runs "${RUNS:-15}" "$@"
echo "== --base HEAD~3 (two commits of manifest edits, renames and deletions)"
./target/release/examples/bench_input --repo "$repo" --runs "${RUNS:-15}" --base HEAD~3 "$@"
