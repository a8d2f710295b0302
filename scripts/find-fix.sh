#!/bin/bash
# find-fix.sh — find the commit that fixed an error a commit introduced.
#
# Usage: scripts/find-fix.sh REPO COMMIT RULE PATH [--bin BIN] [--max N]
#
# Walks the commits after COMMIT (on the ancestry path to HEAD) that touch PATH (a file or
# a directory), oldest first, and checks each X as `check --base COMMIT^ --head X
# --select RULE`: the first X at which no error of RULE is left is printed with its date
# and subject, next to COMMIT's date. That X (or a commit just before it that touches
# other files) is the candidate fix, to be read by hand before a labelled commit is
# called a hazard (corpus/labelled/). REPO is only read. Exit status: 0 when a fix is
# found, 1 when none is found within the first N commits (default 25), 2 on a usage error.
set -u
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 4 ] || usage
repo=$1 commit=$2 rule=$3 path=$4; shift 4
bin=${CARGO_TARGET_DIR:-$(dirname "$0")/../target}/release/puppet-preflight
max=25
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --max) max=$2; shift 2 ;;
    *) usage ;;
  esac
done
command -v "$bin" >/dev/null 2>&1 || [ -x "$bin" ] || { echo "find-fix: no binary $bin (build it or pass --bin)" >&2; exit 2; }
errors() {
  "$bin" check --repo "$repo" --base "$commit^" --head "$1" --no-cache --select "$rule" \
    --format json 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print(-1)  # the check failed (exit 2: an unreadable commit): not a fix
    sys.exit()
changes = d["changes"] if "changes" in d else [d]
print(sum(f["severity"] == "error" for c in changes for f in c.get("findings", [])))'
}
when=$(git -C "$repo" log -1 --format=%ad --date=short "$commit") || exit 2
for x in $(git -C "$repo" log --reverse --ancestry-path --format=%H "$commit..HEAD" -- "$path" | head -n "$max"); do
  if [ "$(errors "$x")" = 0 ]; then
    echo "$commit ($when) fixed by $(git -C "$repo" log -1 --format='%h %ad %s' --date=short "$x")"
    exit 0
  fi
done
echo "$commit ($when): no fix among the first $max commits touching $path"
exit 1
